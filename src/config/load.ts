// Drop-in texts → the set of networks the daemon runs, plus the networks whose
// drop-in exists but is rejected (so their links are kept, not torn down).

import type { Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import { discoverDropIns, type DirState, type DropInFile } from './discover.js';
import { fileStem, networkFromUnit } from './network.js';
import { parseUnitFile } from './unitfile.js';
import { baseName, compareFiles, validateSet } from './validate.js';

export interface ConfigSet {
  /** Valid networks, in lexical order of their files. */
  networks: NetworkConfig[];
  /** Drop-ins that exist but are rejected: name = Name= if it parsed, else the file's stem. */
  invalid: { name: string; file: string }[];
  /** Every error and warning, ordered by file and line. */
  diagnostics: Diagnostic[];
  /** What each config directory was found to be (absent when not read from directories). */
  dirs?: DirState[];
  /** Advice about valid drop-ins, for `flatnetctl check` only (never logged or published). */
  notes?: Diagnostic[];
}

/** By file (lexical), then line; diagnostics without a file last. Stable otherwise. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.file;
      const fb = b.d.file;
      if (fa !== fb) {
        if (fa === undefined) return 1;
        if (fb === undefined) return -1;
        return compareFiles(fa, fb);
      }
      return (a.d.line ?? 0) - (b.d.line ?? 0) || a.i - b.i;
    })
    .map((x) => x.d);
}

export function buildConfigSet(files: readonly DropInFile[]): ConfigSet {
  const diagnostics: Diagnostic[] = [];
  const invalid: { name: string; file: string }[] = [];
  const candidates: NetworkConfig[] = [];
  for (const f of [...files].sort((a, b) => compareFiles(a.path, b.path))) {
    const parsed = parseUnitFile(f.path, f.text);
    const r = networkFromUnit(f.path, parsed.sections);
    for (const d of parsed.diagnostics) d.network ??= r.name;
    // Not push(...xs): a file with 100k bad lines would overflow the call stack.
    for (const d of parsed.diagnostics) diagnostics.push(d);
    for (const d of r.diagnostics) diagnostics.push(d);
    const syntaxError = parsed.diagnostics.some((d) => d.severity === 'error');
    if (r.network === null || syntaxError) invalid.push({ name: r.name, file: f.path });
    else candidates.push(r.network);
  }
  const v = validateSet(candidates);
  for (const d of v.diagnostics) diagnostics.push(d);
  for (const r of v.rejected) invalid.push({ name: r.network.name, file: r.network.file });
  const sorted = sortDiagnostics(diagnostics);
  return { networks: v.valid, invalid, diagnostics: sorted.filter((d) => d.severity !== 'note'), notes: sorted.filter((d) => d.severity === 'note') };
}

/** @param uid besides root, whose files a symlinked drop-in may lead to (discoverDropIns) */
export function loadConfig(dirs: readonly string[], uid = 0): Promise<ConfigSet> {
  return loadConfigWith(dirs, [], uid);
}

/**
 * The drop-ins as they would be with these candidates (`flatnetctl plan
 * PATH…`): a candidate replaces the drop-in of its file name, wherever that
 * lives in the directories, or is added. Each keeps its own path, so its
 * diagnostics name the file the user is editing.
 */
export async function loadConfigWith(dirs: readonly string[], candidates: readonly DropInFile[], uid = 0): Promise<ConfigSet> {
  const found = await discoverDropIns(dirs, uid);
  const replaced = new Set(candidates.map((c) => baseName(c.path)));
  const set = buildConfigSet([...found.files.filter((f) => !replaced.has(baseName(f.path))), ...candidates]);
  // A drop-in that exists but cannot be read is invalid, not absent: absent
  // would delete its links, invalid keeps its last good state.
  for (const file of found.unreadable) {
    if (!replaced.has(baseName(file))) set.invalid.push({ name: fileStem(file), file });
  }
  set.diagnostics = sortDiagnostics([...found.diagnostics.filter((d) => d.file === undefined || !replaced.has(baseName(d.file))), ...set.diagnostics]);
  set.dirs = found.dirs;
  return set;
}
