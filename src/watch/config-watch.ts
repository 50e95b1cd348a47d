// Drop-in directories watched live: one inotify watch (fs.watch) per
// directory of the watch plan (watch-plan.ts): the config directories where
// they really are, the directories holding them, and those holding every
// symlink and target on the way to a drop-in. The plan is redone when a
// change touches it (a directory made again, a link re-pointed, a drop-in
// that is a link), so the watch follows what the loader reads. Any change is
// only a trigger: the daemon re-reads everything.

import { lstatSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { changedSince, watchPlan, type WatchedDir } from './watch-plan.js';

export { changedSince } from './watch-plan.js';

export interface ConfigWatch {
  /** Work out again what to watch (SIGHUP, a reload asked for on the bus). */
  refresh(): void;
  close(): Promise<void>;
}

/** Changes come in bursts (a package unpacking a hundred drop-ins): the plan is redone once per burst. */
const REFRESH_MS = 20;

interface Watching {
  /** dev:ino of the directory watched: the same path made again is another directory. */
  key: string;
  w: FSWatcher;
  spec: WatchedDir;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Watches the drop-in directories; `onChange` on every change. Started after
 * the first reconcile, so setting the watch up is not on the boot path:
 * `readSince` is when the drop-ins were read, and a change made since then,
 * before the watch was up, is reported once it is.
 */
export function watchConfigDirs(dirs: readonly string[], onChange: (path: string) => void, log: Logger, readSince?: number): ConfigWatch {
  const watching = new Map<string, Watching>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const drop = (dir: string): void => {
    watching.get(dir)?.w.close();
    watching.delete(dir);
  };
  const scheduleRefresh = (): void => {
    if (timer !== undefined || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      refresh();
    }, REFRESH_MS);
  };
  /** The plan changes when a named entry (a config directory, a link, a target) changes, or a drop-in is a link. */
  const touchesPlan = (dir: string, spec: WatchedDir, name: string): boolean => {
    if (spec.names.has(name)) return true;
    try {
      return lstatSync(join(dir, name)).isSymbolicLink();
    } catch {
      return false;
    }
  };
  const seen = (dir: string, w: Watching, name: string | null): void => {
    if (closed) return;
    const dropIn = name !== null && w.spec.conf && name.endsWith('.conf') && !name.startsWith('.');
    if (name !== null && !dropIn && !w.spec.names.has(name)) return;
    const path = name === null ? dir : join(dir, name);
    log.debug(`drop-in change: ${path}`);
    onChange(path);
    if (name === null || touchesPlan(dir, w.spec, name)) scheduleRefresh();
  };
  const refresh = (): void => {
    if (closed) return;
    const plan = watchPlan(dirs);
    for (const dir of [...watching.keys()]) if (!plan.dirs.has(dir)) drop(dir);
    for (const [dir, spec] of plan.dirs) {
      let key: string;
      try {
        const st = statSync(dir);
        if (!st.isDirectory()) throw new Error('not a directory');
        key = `${st.dev}:${st.ino}`;
      } catch {
        drop(dir);
        continue;
      }
      const old = watching.get(dir);
      if (old !== undefined && old.key === key) {
        old.spec = spec;
        continue;
      }
      drop(dir);
      try {
        const entry: Watching = { key, spec, w: watch(dir, { persistent: true }, (_event, name) => seen(dir, entry, name === null ? null : String(name))) };
        entry.w.on('error', (e) => {
          // The directory went away under the watch: its parent's watch says so too.
          log.debug(`watching ${dir}: ${describe(e)}`);
          if (watching.get(dir) === entry) drop(dir);
          scheduleRefresh();
        });
        watching.set(dir, entry);
      } catch (e) {
        log.warning(`cannot watch ${dir}: ${describe(e)}; changes there are seen on SIGHUP or flatnetctl reload`);
      }
    }
  };

  refresh();
  if (readSince !== undefined) {
    const changed = changedSince(dirs, readSince);
    if (changed !== null) {
      log.debug(`drop-in change while the watch was starting: ${changed}`);
      setImmediate(() => {
        if (!closed) onChange(changed);
      });
    }
  }
  return {
    refresh,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const dir of [...watching.keys()]) drop(dir);
    },
  };
}
