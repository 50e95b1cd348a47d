// Re-attaches under way, on disk. Between a re-attach's disconnect and its
// connect the engine has let go of the endpoint, and only flatnetd still
// holds its addresses: a flatnetd killed in that window (a crash, the
// watchdog) would leave the container off the network with nothing left to
// say where it belongs, and the parent's list (parent-macs.ts) cannot help,
// because the engine no longer lists the container on the network at all.
// So each job is written down before its disconnect and crossed out after
// its connect, under the unit's RuntimeDirectory= (kept across restarts by
// RuntimeDirectoryPreserve=restart; gone at reboot, as the containers'
// interfaces are).

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { ReconnectSpec } from './types.js';

export interface PendingStore {
  load(): ReconnectSpec[];
  save(specs: readonly ReconnectSpec[]): void;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function spec(v: unknown): ReconnectSpec | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const s: ReconnectSpec = {
    networkId: str(o['networkId']), networkName: str(o['networkName']), containerId: str(o['containerId']), containerName: str(o['containerName']),
    ipv4: str(o['ipv4']), ipv6: str(o['ipv6']), mac: str(o['mac']),
    aliases: Array.isArray(o['aliases']) ? o['aliases'].filter((x): x is string => typeof x === 'string') : [],
  };
  return s.networkId === '' || s.networkName === '' || s.containerId === '' ? null : s;
}

/** One file per engine socket; a file that cannot be read or written is said once and otherwise ignored. */
export function fileStore(path: string, onError: (msg: string) => void): PendingStore {
  let said = false;
  const fail = (what: string, e: unknown): void => {
    if (said) return;
    said = true;
    onError(`${path}: cannot ${what}: ${e instanceof Error ? e.message : String(e)}; a re-attach cut short by a restart is not resumed`);
  };
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail('read it', e);
        return [];
      }
      try {
        const v: unknown = JSON.parse(text);
        return Array.isArray(v) ? v.map(spec).filter((s): s is ReconnectSpec => s !== null) : [];
      } catch (e) {
        fail('parse it', e);
        return [];
      }
    },
    save(specs) {
      try {
        if (specs.length === 0) return rmSync(path, { force: true });
        // Whole or not at all: a crash while writing leaves the last version.
        writeFileSync(`${path}.tmp`, `${JSON.stringify(specs)}\n`, { mode: 0o600 });
        renameSync(`${path}.tmp`, path);
      } catch (e) {
        fail('write it', e);
      }
    },
  };
}

/** `/run/docker.sock` → `engine-run-docker.sock.json`. */
export function pendingFileName(socket: string): string {
  return `engine-${socket.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '-')}.json`;
}
