// Manager.Check(name, text): a drop-in's text checked as it would be if saved,
// for editors (the Cockpit page) that must show every error at its line before
// anything is written. Read-only: nothing is saved or applied, so anyone may ask.
// The validator is flatnetctl check's own (src/config/check.ts).

import { DBusError } from 'dbus-next';
import { checkDropInText, DROPIN_NAME } from '../config/check.js';
import { DEFAULT_CONFIG_DIRS } from '../config/discover.js';
import { diagnosticDict, type Dict } from './dicts.js';
import { BusErrors, quoteCaller } from './errors.js';

/** The reply's two out arguments: the path it would be saved at, its diagnostics. */
export async function checkDropIn(dirs: readonly string[] | undefined, name: unknown, text: unknown): Promise<[string, Dict[]]> {
  if (typeof name !== 'string' || !DROPIN_NAME.test(name)) {
    throw new DBusError(BusErrors.InvalidArgs,
      `drop-in name ${quoteCaller(String(name))} must be one file name ending in .conf (letters, digits, . _ @ -)`);
  }
  if (typeof text !== 'string') throw new DBusError(BusErrors.InvalidArgs, 'text must be a string');
  const r = await checkDropInText(dirs ?? DEFAULT_CONFIG_DIRS, name, text);
  return [r.path, r.diagnostics.map(diagnosticDict)];
}
