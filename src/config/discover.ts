// Finding the drop-ins, systemd style: directories in priority order, a name
// in an earlier directory hides the same name in later ones, a symlink to
// /dev/null masks it, other symlinks are followed (chase.ts). One bad file
// never stops the others. The filesystem side of src/config is this file,
// chase.ts and check.ts (the paths `flatnetctl check` is given); load*.ts run
// them, and the parsing and validation they feed are pure.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chase, type Chased } from './chase.js';
import { errnoOf, type Diagnostic, type Severity } from '../errors.js';
import { compareFiles } from './validate.js';

/** Highest priority first: /etc (the admin) over /run (runtime) over /usr/lib (the vendor). */
export const DEFAULT_CONFIG_DIRS: readonly string[] = ['/etc/flatnet.d', '/run/flatnet.d', '/usr/lib/flatnet.d'];

/** A drop-in is a few hundred bytes; anything this big is a mistake, not a config. */
export const MAX_DROPIN_BYTES = 1024 * 1024;

export interface DropInFile {
  path: string;
  text: string;
}

/** What a config directory was when read: a vanished one is not an empty one. */
export interface DirState {
  dir: string;
  state: 'listed' | 'missing' | 'not-a-directory' | 'unlistable';
  /** *.conf names it holds (before precedence and masking). */
  dropIns: number;
}

export interface Discovered {
  files: DropInFile[];
  diagnostics: Diagnostic[];
  dirs: DirState[];
  /** Drop-ins that exist but cannot be read (each has its diagnostic): invalid, not absent. */
  unreadable: string[];
}

function errnoText(e: unknown): string {
  switch (errnoOf(e)) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ELOOP': return 'too many levels of symbolic links';
    default: return e instanceof Error ? e.message : String(e);
  }
}

function unreadable(path: string, message: string, severity: Severity = 'error'): Diagnostic {
  return { severity, code: 'unreadable', file: path, message };
}

/**
 * Read one drop-in as UTF-8 text, refusing what cannot be a drop-in.
 * Synchronous on purpose: a drop-in is a few hundred bytes in /etc, and
 * through the promise API each of its five system calls costs a trip through
 * libuv's thread pool, which is most of the time a read takes.
 * @param path what to open (a symlink already resolved by the caller)
 * @param shownAs the path to name in diagnostics
 */
export function readDropIn(path: string, shownAs: string = path): { text: string } | { diagnostic: Diagnostic } {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO named *.conf must not hang the daemon on open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { diagnostic: unreadable(shownAs, `cannot open: ${errnoText(e)}`) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { diagnostic: unreadable(shownAs, 'not a regular file') };
    if (st.size > MAX_DROPIN_BYTES) return { diagnostic: unreadable(shownAs, `larger than 1 MiB (${st.size} bytes)`) };
    // Sized from stat, grown if the file grows while we read.
    let buf = Buffer.allocUnsafe(Math.min(st.size, MAX_DROPIN_BYTES) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > MAX_DROPIN_BYTES) return { diagnostic: unreadable(shownAs, 'larger than 1 MiB') };
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_DROPIN_BYTES + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const bytesRead = readSync(fd, buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > MAX_DROPIN_BYTES) return { diagnostic: unreadable(shownAs, 'larger than 1 MiB') };
    const bytes = buf.subarray(0, n);
    const nul = bytes.indexOf(0);
    if (nul >= 0) return { diagnostic: unreadable(shownAs, `binary file (NUL byte at offset ${nul})`) };
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return { diagnostic: unreadable(shownAs, 'not valid UTF-8 text') };
    }
  } catch (e) {
    return { diagnostic: unreadable(shownAs, `cannot read: ${errnoText(e)}`) };
  } finally {
    closeSync(fd);
  }
}

/**
 * What to read for one chosen name: a path, a mask, or a diagnostic.
 * A symlink is followed wherever it points, as systemd follows drop-in
 * symlinks (conf-files.c chases them; /dev/null masks). What it reaches lies
 * outside the directories the admin controls, so it is read only when no one
 * but root (or `uid`) could have put it there or change it: every directory,
 * link and the file on the way owned by them and not writable by others; and
 * the file must be one anyone may read.
 */
function resolveEntry(path: string, uid: number): { read: string } | 'masked' | Diagnostic {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    return unreadable(path, `cannot stat: ${errnoText(e)}`);
  }
  if (!st.isSymbolicLink()) return st.isFile() ? { read: path } : unreadable(path, 'not a regular file, skipped', 'warning');
  let c: Chased;
  try {
    if (readlinkSync(path) === '/dev/null') return 'masked';
    c = chase(path, uid);
  } catch (e) {
    return unreadable(path, `broken symlink: ${errnoText(e)}`);
  }
  if (c.target === '/dev/null') return 'masked';
  // Diagnostics quote a drop-in's lines, and anyone may read them on the bus:
  // a link to a file only some may read (/etc/shadow, a key) is never parsed.
  try {
    if ((statSync(c.target).mode & 0o004) === 0) c.untrusted.push(`${c.target} is not readable by others`);
  } catch (e) {
    return unreadable(path, `cannot stat: ${errnoText(e)}`);
  }
  if (c.untrusted.length > 0) return unreadable(path, `symlink to ${c.target}, not trusted (${c.untrusted.join('; ')}): skipped`);
  return { read: c.target };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A directory's entry names as text. A name that is not UTF-8 cannot be
 * carried in a diagnostic, on the bus or in a path Node opens (readdir's
 * default decoding turns its bytes into U+FFFD, which names no file): a
 * `.conf` among them is reported, with its bytes escaped, and skipped.
 */
function dropInNames(dir: string, raw: readonly Buffer[], refuse: (path: string, d: Diagnostic) => void): string[] {
  const names: string[] = [];
  for (const b of raw) {
    try {
      names.push(STRICT_UTF8.decode(b));
    } catch {
      const shown = [...b].map((c) => (c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
      if (shown.endsWith('.conf') && !shown.startsWith('.')) {
        refuse(join(dir, shown), unreadable(join(dir, shown), 'the file name is not valid UTF-8 (shown with \\x escapes): skipped; rename it'));
      }
    }
  }
  return names;
}

/**
 * The drop-ins to use, sorted by file name.
 * @param dirs in priority order (first wins); missing ones are fine
 * @param uid besides root, whose files a symlink may lead to (flatnetd runs as root)
 */
export async function discoverDropIns(dirs: readonly string[], uid = 0): Promise<Discovered> {
  const diagnostics: Diagnostic[] = [];
  const files: DropInFile[] = [];
  const seen = new Set<string>();
  const chosen: string[] = [];
  const states: DirState[] = [];
  const unreadableDropIns: string[] = [];
  const refuse = (path: string, d: Diagnostic): void => {
    diagnostics.push(d);
    unreadableDropIns.push(path);
  };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = dropInNames(dir, await readdir(dir, { encoding: 'buffer' }), refuse);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT') states.push({ dir, state: 'missing', dropIns: 0 });
      else if (code === 'ENOTDIR') states.push({ dir, state: 'not-a-directory', dropIns: 0 });
      else {
        states.push({ dir, state: 'unlistable', dropIns: 0 });
        diagnostics.push(unreadable(dir, `cannot list the directory: ${errnoText(e)}`));
      }
      continue;
    }
    const state: DirState = { dir, state: 'listed', dropIns: 0 };
    states.push(state);
    for (const name of names.sort()) {
      if (!name.endsWith('.conf') || name.startsWith('.')) continue;
      state.dropIns++;
      // The name is claimed even if the file then turns out unreadable: an
      // admin's broken override must not silently bring back the vendor's file.
      if (seen.has(name)) continue;
      seen.add(name);
      chosen.push(join(dir, name));
    }
  }
  for (const path of chosen) {
    const r = resolveEntry(path, uid);
    if (r === 'masked') continue;
    if (!('read' in r)) {
      refuse(path, r);
      continue;
    }
    const got = readDropIn(r.read, path);
    if ('text' in got) files.push({ path, text: got.text });
    else refuse(path, got.diagnostic);
  }
  files.sort((a, b) => compareFiles(a.path, b.path));
  return { files, diagnostics, dirs: states, unreadable: unreadableDropIns };
}

/**
 * For `flatnetctl check`: never "OK" about directories where nothing was read.
 * @param together true: the directories are one set (the defaults), one error
 *   when all are empty; false: each was named, one error per empty one
 */
export function nothingRead(dirs: readonly DirState[], together: boolean): Diagnostic[] {
  const none = (message: string, file?: string): Diagnostic => ({ severity: 'error', code: 'unreadable', message, ...(file !== undefined ? { file } : {}) });
  if (together) {
    if (dirs.some((d) => d.dropIns > 0)) return [];
    return [none(`no drop-ins (*.conf) in ${dirs.map((d) => d.dir).join(', ')}: nothing to check`)];
  }
  return dirs.filter((d) => d.state === 'listed' && d.dropIns === 0).map((d) => none('no drop-ins (*.conf) in this directory: nothing to check', d.dir));
}
