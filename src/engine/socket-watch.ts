// Tells when an engine's socket may have appeared: the engines start after
// flatnetd (docker.service is ordered after network-online.target), so the
// socket's directory is watched (inotify through fs.watch) instead of asking
// again and again. /run/podman may not exist yet either: then /run is watched
// until it does.

import { watch, existsSync, type FSWatcher } from 'node:fs';
import { dirname, basename } from 'node:path';

export function watchForSocket(socketPath: string, onMaybe: () => void, onError: (msg: string) => void): () => void {
  const dir = dirname(socketPath);
  const name = basename(socketPath);
  let w: FSWatcher | undefined;
  let closed = false;
  const arm = (): void => {
    if (closed) return;
    w?.close();
    w = undefined;
    const here = existsSync(dir);
    const target = here ? dir : dirname(dir);
    try {
      w = watch(target, { persistent: false }, (_event, file) => {
        const f = file === null ? '' : file.toString();
        if (here && (f === name || f === '')) onMaybe();
        if (!here && (f === basename(dir) || f === '')) {
          arm();
          onMaybe();
        }
      });
      // The directory itself removed (a tmpfs re-mounted): watch from above again.
      w.on('error', () => setImmediate(arm));
    } catch (e) {
      onError(`cannot watch ${target} for ${socketPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  arm();
  return () => {
    closed = true;
    w?.close();
  };
}
