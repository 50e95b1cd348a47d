// Drop-in directories watched live. chokidar 4 reports nothing for a directory
// that is missing when the watch starts, and nothing more once a watched
// directory is deleted and made again, so each directory's parent is watched
// too (depth 0: its entries only) and a config directory that (re)appears is
// added back. Any change is only a trigger: the daemon re-reads everything.

import { watch, type FSWatcher } from 'chokidar';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../log.js';

export interface ConfigWatch {
  close(): Promise<void>;
}

export function watchConfigDirs(dirs: readonly string[], onChange: (path: string) => void, log: Logger): ConfigWatch {
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
  watcher.on('error', (e) => log.warning(`watching drop-in directories: ${e instanceof Error ? e.message : String(e)}`));
  return { close: () => watcher.close() };
}
