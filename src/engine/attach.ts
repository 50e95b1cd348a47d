// Builds the engine follower for the composition root: the real client on
// each socket, the directory watch, and the daemon as its host.

import type { Logger } from '../log.js';
import { engineKeys } from '../model/config.js';
import type { Daemon } from '../reconcile/daemon.js';
import { ApiClient } from './client.js';
import { EngineFollower } from './follow.js';
import { UnixHttp } from './http.js';
import { join } from 'node:path';
import { parentMacs } from './parent-macs.js';
import { fileStore, pendingFileName } from './pending.js';
import { watchForSocket } from './socket-watch.js';

/** An Engine API call that has not answered by then is abandoned (the engine is busy or hung). */
const CALL_TIMEOUT_MS = 10_000;

/** @param stateDir the unit's RuntimeDirectory= ($RUNTIME_DIRECTORY); absent: re-attaches cut short by a restart are not resumed */
export function followEngines(daemon: Daemon, sockets: readonly string[], log: Logger, stateDir?: string): EngineFollower {
  const follower = new EngineFollower({
    sockets,
    host: {
      networks: () => daemon.networks(),
      network: (name) => daemon.network(name),
      onChange: (l) => daemon.onChange(l),
      declared: (name) => daemon.engineDeclaration(name),
      reattachWanted: (name) => {
        const net = daemon.networkConfig(name);
        return net === null || engineKeys(net).reattach;
      },
    },
    log,
    makeClient: (socket) => new ApiClient(new UnixHttp({ socketPath: socket, timeoutMs: CALL_TIMEOUT_MS })),
    watch: (socket, onMaybe) => watchForSocket(socket, onMaybe, (m) => log.warning(`engine: ${m}`)),
    now: () => Date.now(),
    parentMacs: (parent) => parentMacs(parent),
    ...(stateDir !== undefined && stateDir !== '' ? { pending: (socket: string) => fileStore(join(stateDir, pendingFileName(socket)), (m) => log.warning(`engine: ${m}`)) } : {}),
  });
  const changed = daemon.setEngineView(follower);
  follower.onChange(changed);
  follower.start();
  return follower;
}
