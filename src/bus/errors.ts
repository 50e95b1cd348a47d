// What a caller sees when something is wrong: our own error names, a message a
// person can act on, never a stack trace (dbus-next would send `e.stack` for any
// thrown value that is not a DBusError, so every handler goes through toDBusError).

import { DBusError } from 'dbus-next';
import { formatDiagnostic, isFlatnetError, type ErrorCode } from '../errors.js';

export const ERROR_PREFIX = 'org.flatnet.flatnet1.Error.';

export const BusErrors = {
  NoSuchNetwork: `${ERROR_PREFIX}NoSuchNetwork`,
  InvalidConfig: `${ERROR_PREFIX}InvalidConfig`,
  Conflict: `${ERROR_PREFIX}Conflict`,
  ParentMissing: `${ERROR_PREFIX}ParentMissing`,
  Unsupported: `${ERROR_PREFIX}Unsupported`,
  KernelError: `${ERROR_PREFIX}KernelError`,
  Failed: `${ERROR_PREFIX}Failed`,
  AccessDenied: 'org.freedesktop.DBus.Error.AccessDenied',
  InvalidArgs: 'org.freedesktop.DBus.Error.InvalidArgs',
  PropertyReadOnly: 'org.freedesktop.DBus.Error.PropertyReadOnly',
  UnknownProperty: 'org.freedesktop.DBus.Error.UnknownProperty',
  UnknownMethod: 'org.freedesktop.DBus.Error.UnknownMethod',
  UnknownInterface: 'org.freedesktop.DBus.Error.UnknownInterface',
  UnknownObject: 'org.freedesktop.DBus.Error.UnknownObject',
} as const;

const BY_CODE: Record<ErrorCode, string> = {
  'syntax': BusErrors.InvalidConfig,
  'unknown-key': BusErrors.InvalidConfig,
  'invalid-value': BusErrors.InvalidConfig,
  'missing-key': BusErrors.InvalidConfig,
  'duplicate': BusErrors.InvalidConfig,
  'unreadable': BusErrors.InvalidConfig,
  'conflict': BusErrors.Conflict,
  'address-in-use': BusErrors.Conflict,
  'parent-missing': BusErrors.ParentMissing,
  'kernel': BusErrors.KernelError,
  'unsupported': BusErrors.Unsupported,
  'not-found': BusErrors.NoSuchNetwork,
  'internal': BusErrors.Failed,
  'engine': BusErrors.Failed,
};

/** Cut anything that looks like a stack frame; keep the first lines of the message. */
export function withoutStack(text: string): string {
  const lines = text.split('\n');
  const frame = lines.findIndex((l) => /^\s+at\s/.test(l));
  const kept = (frame < 0 ? lines : lines.slice(0, frame)).join('\n').trim();
  return kept === '' ? 'internal error (see the flatnetd journal)' : kept;
}

/** Any thrown value → the DBusError a caller should see. */
export function toDBusError(e: unknown): DBusError {
  if (e instanceof DBusError) return new DBusError(e.type, withoutStack(e.text));
  if (isFlatnetError(e)) return new DBusError(BY_CODE[e.code], withoutStack(formatDiagnostic(e.toDiagnostic())));
  const text = e instanceof Error ? e.message : String(e);
  return new DBusError(BusErrors.Failed, withoutStack(text));
}

/** True when the error was not one we expected (worth a line in the journal). */
export function isUnexpected(e: unknown): boolean {
  return !(e instanceof DBusError) && !isFlatnetError(e);
}

export const MAX_NAME_BYTES = 255;

/** How much of a caller's string an error text repeats. */
const QUOTED_MAX = 64;

/**
 * A caller's string as an error text may repeat it: in double quotes, control
 * characters, escape sequences and invisible or direction-changing code
 * points written as \n, \u001b…, cut after QUOTED_MAX characters. The text goes
 * to terminals (busctl, flatnetctl) and journals, where a raw ESC or newline
 * would let a caller paint or forge lines.
 */
export function quoteCaller(s: string): string {
  const chars = [...s];
  const cut = chars.length > QUOTED_MAX;
  const body = (cut ? chars.slice(0, QUOTED_MAX) : chars).map((c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e)
      || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff) {
      return `\\u${cp.toString(16).padStart(4, '0')}`;
    }
    return c;
  }).join('');
  return `"${body}${cut ? '…' : ''}"`;
}

/** Check a network name given by a caller; throws InvalidArgs saying what is wrong. */
export function checkNetworkName(name: unknown): string {
  if (typeof name !== 'string') throw new DBusError(BusErrors.InvalidArgs, 'network name must be a string');
  if (name === '') throw new DBusError(BusErrors.InvalidArgs, 'network name is empty');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) {
    throw new DBusError(BusErrors.InvalidArgs,
      `network name is ${bytes} bytes long; names are at most ${MAX_NAME_BYTES} bytes`);
  }
  if (name.includes('/')) {
    throw new DBusError(BusErrors.InvalidArgs, `network name ${quoteCaller(name)} contains '/'; names cannot contain '/'`);
  }
  return name;
}

export function noSuchNetwork(name: string): DBusError {
  return new DBusError(BusErrors.NoSuchNetwork,
    `no network named ${quoteCaller(name)} (flatnetctl list shows the configured ones)`);
}

export const DEFAULT_MAX_ARG_BYTES = 16 * 1024;

/**
 * Roughly the wire size of a message body: string bytes, 8 per scalar, plus
 * per-element overhead so a huge array of tiny items is counted too. Stops early
 * once over `limit`, so measuring a huge argument is not itself expensive.
 */
export function argBytes(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += Buffer.byteLength(v, 'utf8') + 4;
    else if (Buffer.isBuffer(v)) total += v.length + 4;
    else if (Array.isArray(v)) { total += 4; for (const x of v) stack.push(x); }
    else if (v !== null && typeof v === 'object') {
      total += 4;
      for (const [k, x] of Object.entries(v)) { total += Buffer.byteLength(k, 'utf8'); stack.push(x); }
    } else total += 8;
  }
  return total;
}

export function tooLarge(limit: number): DBusError {
  return new DBusError(BusErrors.InvalidArgs,
    `arguments too large: flatnetd accepts at most ${limit} bytes of arguments per call`);
}
