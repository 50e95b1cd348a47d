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
