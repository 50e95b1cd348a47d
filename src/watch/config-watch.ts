// Drop-in directories watched live. chokidar 4 reports nothing for a directory
// that is missing when the watch starts, and nothing more once a watched
// directory is deleted and made again, so each directory's parent is watched
// too (depth 0: its entries only) and a config directory that (re)appears is
// added back. Any change is only a trigger: the daemon re-reads everything.

import { watch, type FSWatcher } from 'chokidar';
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from '../log.js';

export interface ConfigWatch {
  close(): Promise<void>;
}

/** Kernel file times are coarse (a jiffy): a write just after `since` may carry a time a little before it. */
const CLOCK_SLACK_MS = 100;

/** A drop-in directory or a *.conf in it changed at or after `since` (epoch ms). */
export function changedSince(dirs: readonly string[], since: number): string | null {
  const after = since - CLOCK_SLACK_MS;
  for (const dir of dirs) {
    let names: string[];
    try {
      // The directory's own times change when an entry is added, removed or renamed.
      const st = statSync(dir);
      if (st.mtimeMs >= after || st.ctimeMs >= after) return dir;
      names = readdirSync(dir);
    } catch {
      continue; // missing: nothing in it was read either
    }
    for (const name of names) {
      if (!name.endsWith('.conf')) continue;
      try {
        const st = statSync(join(dir, name));
        if (st.mtimeMs >= after || st.ctimeMs >= after) return join(dir, name);
      } catch { /* gone since readdir: the directory's time says so */ }
    }
  }
  return null;
}

/**
 * Watches the drop-in directories; `onChange` on every change. Started after
 * the first reconcile, so chokidar's start-up (a watch per file) is not on the
 * boot path: `readSince` is when the drop-ins were read, and a change made
 * since then, before the watch was up, is reported once it is.
 */
export function watchConfigDirs(dirs: readonly string[], onChange: (path: string) => void, log: Logger, readSince?: number): ConfigWatch {
  const configDirs = dirs.map((d) => resolve(d));
  const parents = [...new Set(configDirs.map((d) => dirname(d)))];
  const watcher: FSWatcher = watch([...configDirs, ...parents], {
    ignoreInitial: true,
    depth: 0,
    // A drop-in linked to /dev/null masks another: follow nothing, the loader decides.
    followSymlinks: false,
    persistent: true,
  });
  const relevant = (p: string): boolean => {
    const abs = resolve(p);
    if (configDirs.includes(abs)) return true;
    return configDirs.includes(dirname(abs)) && basename(abs).endsWith('.conf');
  };
  watcher.on('all', (event, path) => {
    if (!relevant(path)) return;
    if (event === 'addDir' && configDirs.includes(resolve(path))) watcher.add(path);
    log.debug(`drop-in change: ${event} ${path}`);
    onChange(path);
  });
  if (readSince !== undefined) {
    watcher.once('ready', () => {
      const changed = changedSince(configDirs, readSince);
      if (changed === null) return;
      log.debug(`drop-in change while the watch was starting: ${changed}`);
      onChange(changed);
    });
  }
  watcher.on('error', (e) => log.warning(`watching drop-in directories: ${e instanceof Error ? e.message : String(e)}`));
  return { close: () => watcher.close() };
}
