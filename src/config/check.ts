// `flatnetctl check [PATH…]`: the same reading and validation the daemon does,
// over the default directories or over the files and directories named.

import { stat } from 'node:fs/promises';
import { errnoOf, type Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import { DEFAULT_CONFIG_DIRS, discoverDropIns, nothingRead, readDropIn, type DropInFile } from './discover.js';
import { buildConfigSet, loadConfig, sortDiagnostics } from './load.js';

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** Advice about valid drop-ins (severity note), shown by check only. */
  notes: Diagnostic[];
  networks: NetworkConfig[];
}

/**
 * @param paths drop-in files and/or directories (directories in priority order, as --config-dir);
 *              none = the default directories
 */
export async function checkPaths(paths: readonly string[]): Promise<CheckResult> {
  if (paths.length === 0) {
    const set = await loadConfig(DEFAULT_CONFIG_DIRS);
    return { diagnostics: sortDiagnostics([...set.diagnostics, ...nothingRead(set.dirs ?? [], true)]), notes: set.notes ?? [], networks: set.networks };
  }
  const diagnostics: Diagnostic[] = [];
  const dirs: string[] = [];
  const files: DropInFile[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (e) {
      const code = errnoOf(e);
      diagnostics.push({
        severity: 'error', code: 'unreadable', file: p,
        message: code === 'ENOENT' ? 'no such file or directory' : `cannot stat: ${e instanceof Error ? e.message : String(e)}`,
      });
      continue;
    }
    if (isDir) {
      dirs.push(p);
      continue;
    }
    const r = readDropIn(p);
    if ('text' in r) files.push({ path: p, text: r.text });
    else diagnostics.push(r.diagnostic);
  }
  if (dirs.length > 0) {
    const found = await discoverDropIns(dirs);
    diagnostics.push(...found.diagnostics, ...nothingRead(found.dirs, false));
    for (const f of found.files) if (!files.some((g) => g.path === f.path)) files.push(f);
  }
  const set = buildConfigSet(files);
  return { diagnostics: sortDiagnostics([...diagnostics, ...set.diagnostics]), notes: set.notes ?? [], networks: set.networks };
}

/** What a drop-in's file name may be: one path component, ending in .conf (what discovery reads). */
export const DROPIN_NAME = /^[A-Za-z0-9_@][A-Za-z0-9._@-]{0,250}\.conf$/;

export interface DropInCheck {
  /** Where the drop-in would be saved: `name` in the first (highest-priority) directory. */
  path: string;
  /** Its own errors and warnings, by line (others' are not repeated). */
  diagnostics: Diagnostic[];
}

/**
 * A drop-in as it would be if saved as `name` in the first of `dirs`, checked
 * beside every other drop-in there (so duplicate names and overlapping
 * ranges are found) by the same buildConfigSet the daemon and `flatnetctl
 * check` use: the Cockpit page's editor asks this through Manager.Check.
 * A file of the same name in a later directory is the one this would hide.
 */
export async function checkDropInText(dirs: readonly string[], name: string, text: string): Promise<DropInCheck> {
  const dir = (dirs[0] ?? DEFAULT_CONFIG_DIRS[0] ?? '/etc/flatnet.d').replace(/\/+$/, '');
  const path = `${dir}/${name}`;
  const found = await discoverDropIns(dirs);
  const others = found.files.filter((f) => f.path !== path && !f.path.endsWith(`/${name}`));
  const set = buildConfigSet([...others, { path, text }]);
  return { path, diagnostics: set.diagnostics.filter((d) => d.file === path) };
}
