// One flatnetd per network namespace. Two would undo each other's work for
// ever: "File exists" on every create, and with two machine ids each rewrites
// the other's shim MACs on every event (issue 12.6).
//
// The lock is an abstract unix socket (a name starting with NUL): the kernel
// scopes abstract names to the network namespace the socket is made in, and
// frees the name when the holder dies, even by kill -9, so there is never a
// stale lock to clean up and no file to write (ProtectSystem=strict). The name
// carries the inode of the namespace the daemon manages, so `--netns` daemons
// started from one namespace for different ones do not collide. The holder
// answers each connection with who it is, for the refusal message.

import { createConnection, createServer, type Server } from 'node:net';
import { statSync } from 'node:fs';

export interface Holder {
  pid: number;
  /** The daemon's own arguments (after node and the script). */
  args: string[];
  /** ISO time it started. */
  since: string;
  /** The systemd unit it runs in (from /proc/self/cgroup), or null when started by hand. */
  unit: string | null;
}

export type LockResult = { ok: true; release: () => void } | { ok: false; message: string };

/** How long the refused one waits for the holder to say who it is. */
const ASK_TIMEOUT_MS = 1000;

/** The abstract socket name for the namespace `netns` (`ip -n` syntax: a name under /run/netns or a path), or our own. */
export function lockName(netns: string | undefined): string {
  const nsPath = netns === undefined ? '/proc/self/ns/net' : netns.includes('/') ? netns : `/run/netns/${netns}`;
  try {
    return `\0flatnetd/netns:${statSync(nsPath).ino}`;
  } catch {
    return netns === undefined ? '\0flatnetd' : `\0flatnetd/netns:${netns}`;
  }
}

/** The unit systemd started us in, from our cgroup path (`0::/system.slice/flatnetd.service`). */
export function unitFromCgroup(text: string): string | null {
  const m = /\/([^/\n]+\.(?:service|scope))\s*$/m.exec(text);
  return m?.[1] ?? null;
}

function listen(name: string, me: Holder): Promise<Server | 'in-use'> {
  return new Promise((resolve, reject) => {
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.end(`${JSON.stringify(me)}\n`);
    });
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') resolve('in-use');
      else reject(e);
    });
    server.listen(name, () => {
      server.unref(); // holds the name, never the process
      resolve(server);
    });
  });
}

/** Who holds `name`: its answer, or null when it does not say in time (or is gone). */
function ask(name: string): Promise<Holder | null> {
  return new Promise((resolve) => {
    let text = '';
    const sock = createConnection(name);
    const done = (h: Holder | null): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done(null), ASK_TIMEOUT_MS);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n') || text.length > 65_536) done(parseHolder(text.split('\n')[0] ?? ''));
    });
    sock.on('end', () => done(parseHolder(text)));
    sock.on('error', () => done(null));
  });
}

function parseHolder(line: string): Holder | null {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null) return null;
    const r = v as Record<string, unknown>;
    if (typeof r['pid'] !== 'number' || typeof r['since'] !== 'string' || !Array.isArray(r['args'])) return null;
    return {
      pid: r['pid'],
      args: r['args'].filter((a): a is string => typeof a === 'string'),
      since: r['since'],
      unit: typeof r['unit'] === 'string' ? r['unit'] : null,
    };
  } catch {
    return null;
  }
}

export function describeHolder(h: Holder | null): string {
  if (h === null) return 'another flatnetd (it did not say which)';
  const how = h.unit !== null ? `by systemd as ${h.unit}` : `by hand as "flatnetd${h.args.map((a) => ` ${a}`).join('')}"`;
  return `another flatnetd (pid ${h.pid}, started ${h.since} ${how})`;
}

/** Takes the lock for the namespace `netns` manages, or says who holds it. */
export async function takeInstanceLock(netns: string | undefined, me: Holder): Promise<LockResult> {
  const name = lockName(netns);
  // Twice: a holder that was exiting when we tried has let go by the second go.
  for (let attempt = 0; attempt < 2; attempt++) {
    const got = await listen(name, me);
    if (got !== 'in-use') return { ok: true, release: () => got.close() };
    const holder = await ask(name);
    if (holder === null && attempt === 0) continue;
    const stop = holder === null ? 'kill it' : holder.unit !== null ? `systemctl stop ${holder.unit}` : `kill ${holder.pid}`;
    return {
      ok: false,
      message: `${describeHolder(holder)} already keeps the links of this network namespace; `
        + `two would undo each other's work. Stop it first (${stop}), or run this one in another namespace`,
    };
  }
  return { ok: false, message: 'cannot take the instance lock' };
}
