// Tells when a bus socket may have appeared, without polling: an inotify
// watch (fs.watch) on the socket's directory. While that directory does not
// exist yet (/run/dbus before dbus.socket has run), the nearest ancestor that
// does is watched instead, one level at a time, until the socket's own
// directory is there. A deleted directory re-arms the watch one level up.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface PathWatch {
  close(): void;
}

/** The nearest existing directory on the way to `path`, and the entry in it that leads there. */
function nearest(path: string): { dir: string; entry: string } {
  let dir = dirname(path);
  let entry = basename(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    entry = basename(dir);
    dir = up;
  }
  return { dir, entry };
}

/**
 * Calls `onMaybe` whenever `path` may have appeared (also at once when it
 * already exists). It may be called more than once for one appearance, and a
 * socket file can exist before its owner listens: the caller tries, and on
 * failure waits for the next call. `onError` is told when no watch can be set
 * (then nothing more is called).
 */
export function watchForPath(path: string, onMaybe: () => void, onError: (e: unknown) => void): PathWatch {
  let watcher: FSWatcher | null = null;
  let closed = false;
  const target = dirname(path);

  const arm = (): void => {
    watcher?.close();
    watcher = null;
    if (closed) return;
    const { dir, entry } = nearest(path);
    try {
      watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (closed) return;
        if (!existsSync(dir)) return arm();
        if (name !== null && name !== entry) return;
        if (dir === target) onMaybe();
        else if (existsSync(join(dir, entry))) arm();
      });
    } catch (e) {
      onError(e);
      return;
    }
    // The watched directory itself went away (inotify's IN_DELETE_SELF): look again.
    watcher.on('error', () => { if (!closed) arm(); });
    // Whatever appeared between looking and watching.
    if (dir !== target) {
      if (existsSync(join(dir, entry))) arm();
    } else if (existsSync(path)) {
      onMaybe();
    }
  };

  arm();
  return {
    close: () => {
      closed = true;
      watcher?.close();
      watcher = null;
    },
  };
}

/** The file system path of a `unix:path=` address (the first one that has one); null for abstract or tcp. */
export function socketPathOf(address: string): string | null {
  for (const part of address.split(';')) {
    const m = /^unix:(?:.*,)?path=([^,]*)/.exec(part);
    if (m?.[1] !== undefined && m[1] !== '') return unescapeAddress(m[1]);
  }
  return null;
}

/** D-Bus address values escape bytes as %xx. */
function unescapeAddress(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
