// What to watch so that the watch sees every change the loader would read:
// each config directory where it really is, the directory holding it (it may
// appear, vanish, or be re-pointed when it is a symlink), and for every
// symlink on the way to a directory or a drop-in, the directory holding that
// link and the one holding its target. Recomputed after every change, so a
// re-pointed link moves the watch with it.

import { lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { chase } from '../config/chase.js';

export interface WatchedDir {
  /** Every *.conf entry matters (a config directory, where it really is). */
  conf: boolean;
  /** Entries that matter besides: a config directory, a link, a target. */
  names: Set<string>;
}

export interface WatchPlan {
  /** Real directory path → what matters in it. */
  dirs: Map<string, WatchedDir>;
  /** Every config directory, link and target, for comparing file times. */
  paths: string[];
}

const isDropIn = (name: string): boolean => name.endsWith('.conf') && !name.startsWith('.');

export function watchPlan(configDirs: readonly string[]): WatchPlan {
  const dirs = new Map<string, WatchedDir>();
  const paths = new Set<string>();
  const at = (dir: string): WatchedDir => {
    let w = dirs.get(dir);
    if (w === undefined) {
      w = { conf: false, names: new Set() };
      dirs.set(dir, w);
    }
    return w;
  };
  const entry = (path: string): void => {
    if (path === '/') return;
    at(dirname(path)).names.add(basename(path));
    paths.add(path);
  };
  /** The links on the way to `path` and where it ends; null when it does not resolve (yet). */
  const follow = (path: string): string | null => {
    entry(path);
    try {
      // uid 0: the watch only needs the way, not the verdict on trust.
      const c = chase(path, 0);
      for (const l of c.links) entry(l);
      entry(c.target);
      return c.target;
    } catch {
      return null;
    }
  };
  for (const d of configDirs) {
    const real = follow(resolve(d));
    if (real === null) continue;
    let names;
    try {
      names = readdirSync(real, { withFileTypes: true });
    } catch {
      continue; // not a directory (any more): its parent's watch sees it come back
    }
    at(real).conf = true;
    for (const e of names) if (e.isSymbolicLink() && isDropIn(e.name)) follow(join(real, e.name));
  }
  return { dirs, paths: [...paths] };
}

/**
 * Kernel file times come from the coarse clock, which lags the fine one by
 * up to one tick (HZ >= 100: at most 10 ms): a write just after `since` may
 * carry a time a little before it. Twice that, and no more: a wider window
 * takes a drop-in written just before the start (a test's, or an activation
 * script's, then `systemctl start`) for an edit during it, and reloads right
 * after READY=1; once the start got faster that happened (100 ms here before).
 */
export const CLOCK_SLACK_MS = 20;

/**
 * A config directory, a drop-in in it, or a link or target on the way to one
 * changed at or after `since` (epoch ms): the first such path, or null.
 */
export function changedSince(configDirs: readonly string[], since: number): string | null {
  const after = since - CLOCK_SLACK_MS;
  const newer = (st: { mtimeMs: number; ctimeMs: number }): boolean => st.mtimeMs >= after || st.ctimeMs >= after;
  const plan = watchPlan(configDirs);
  for (const path of plan.paths) {
    try {
      // A directory's own times change when an entry is added, removed or
      // renamed; a link's own (lstat) when it is re-pointed.
      if (newer(lstatSync(path)) || newer(statSync(path))) return path;
    } catch { /* gone: its directory's time says so */ }
  }
  for (const [dir, w] of plan.dirs) {
    if (!w.conf) continue;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isDropIn(name)) continue;
      try {
        if (newer(statSync(join(dir, name)))) return join(dir, name);
      } catch { /* gone since readdir: the directory's time says so */ }
    }
  }
  return null;
}
