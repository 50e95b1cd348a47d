// Following a path through its symlinks one component at a time, as systemd's
// chase() does, so that every link on the way is known: the loader judges
// whether what it reaches may be trusted, and the watcher watches every place
// where a re-pointed link would change what is read (NixOS: /etc/flatnet.d/x.conf
// → /etc/static/flatnet.d/x.conf, /etc/static → /nix/store/…-etc/etc, and the
// file there → /nix/store/…-x.conf).

import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';

export interface Chased {
  /** The path with every symlink on the way resolved. */
  target: string;
  /** Every symlink followed, as the absolute path where it was met, in order. */
  links: string[];
  /**
   * Why what was reached may not be trusted, empty when it may: something on
   * the way (a directory, a link, the file) is owned by someone other than
   * root or `uid`, or is writable by group or others (a sticky directory is
   * fine: there only an entry's owner may replace it, and that owner is judged).
   */
  untrusted: string[];
}

/** Linux's own limit on links followed in one lookup (ELOOP past it). */
const MAX_LINKS = 40;

function judge(path: string, st: Stats, uid: number, out: string[]): void {
  if (st.uid !== 0 && st.uid !== uid) out.push(`${path} is owned by uid ${st.uid}`);
  // A symlink's own mode is always 0777 and means nothing.
  if (st.isSymbolicLink()) return;
  const sticky = st.isDirectory() && (st.mode & 0o1000) !== 0;
  if ((st.mode & 0o022) !== 0 && !sticky) out.push(`${path} is writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'}`);
}

/**
 * Resolves `path` (made absolute) component by component.
 * @param uid besides root, whose files may be trusted (the caller's euid)
 * @throws the lstat/readlink error (ENOENT, EACCES…), or ELOOP past 40 links
 */
export function chase(path: string, uid: number): Chased {
  const todo = resolve(path).split('/').filter((c) => c !== '');
  const links: string[] = [];
  const untrusted: string[] = [];
  judge('/', lstatSync('/'), uid, untrusted);
  let cur = '';
  for (let c = todo.shift(); c !== undefined; c = todo.shift()) {
    if (c === '.') continue;
    if (c === '..') {
      cur = cur.slice(0, cur.lastIndexOf('/'));
      continue;
    }
    const next = `${cur}/${c}`;
    const st = lstatSync(next);
    judge(next, st, uid, untrusted);
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    if (links.length >= MAX_LINKS) throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
    links.push(next);
    const to = readlinkSync(next);
    todo.unshift(...to.split('/').filter((x) => x !== ''));
    if (to.startsWith('/')) cur = '';
  }
  return { target: cur === '' ? '/' : cur, links, untrusted };
}
