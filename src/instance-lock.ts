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
//
// Abstract names have no permissions: any local user can bind ours first and
// would keep flatnetd (and with it the host's container LAN) from starting.
// So a taken name only refuses us when root holds it listening: the holder
// is found as the process with the socket's inode (/proc/net/unix) among its
// fds. Under the unit's ProtectProc=invisible and without CAP_SYS_PTRACE only
// root's own processes with CAP_NET_ADMIN are visible to us, so a holder we
// cannot find is not a flatnetd of root's. Past a squatter the lock is taken
// under the name plus a random suffix, which nobody can take first; every
// taker looks for root-held names with that prefix, before and after binding
// its own, and steps back if it sees one, so two root daemons never both run
// (in a tight race both may step back; Restart= starts one again). A lock
// file under /run was the other choice: it cannot be squatted, but it
// outlives kill -9 and needs a liveness check (pid reuse, races between two
// stale-lock removers) the kernel gives the socket for free.

import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

export interface Holder {
  pid: number;
  /** The daemon's own arguments (after node and the script). */
  args: string[];
  /** ISO time it started. */
  since: string;
  /** The systemd unit it runs in (from /proc/self/cgroup), or null when started by hand. */
  unit: string | null;
}

export type LockResult =
  /** `warning`: the name was squatted; the lock was taken under another. */
  | { ok: true; release: () => void; warning: string | null }
  | { ok: false; message: string };

/** A process holding a lock name's socket, as /proc shows it. */
export interface ProcHolder {
  pid: number;
  uid: number;
  comm: string;
}

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

export interface NamedSocket {
  name: string;
  inode: number;
  listening: boolean;
}

/** Abstract sockets named `name` or `name/…` in /proc/net/unix text, with
 *  their inodes. The kernel shows an abstract name with a leading `@` and
 *  each NUL as `@` (Node pads the name with NULs to the full length). */
export function abstractSockets(procNetUnix: string, name: string): NamedSocket[] {
  const want = name.replace(/^\0/, '');
  const out: NamedSocket[] = [];
  for (const line of procNetUnix.split('\n')) {
    const f = line.trim().split(/\s+/);
    const [flags, inode, path] = [f[3], f[6], f[7]];
    if (flags === undefined || inode === undefined || path === undefined || !path.startsWith('@')) continue;
    const n = path.slice(1).replace(/@+$/, '');
    // __SO_ACCEPTCON (0x10000): listening. Accepted sockets show the name too;
    // a socket bound but never listening holds it all the same.
    const listening = (parseInt(flags, 16) & 0x10000) !== 0;
    if (n === want || n.startsWith(`${want}/`)) out.push({ name: `\0${n}`, inode: Number(inode), listening });
  }
  return out;
}

function readProcNetUnix(): string {
  try {
    return readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return '';
  }
}

/** The processes holding the sockets `inodes`, among those /proc lets us
 *  see, in one walk over every process's fds (a squatter may hold many
 *  names). `hint`: the pid a holder claims, looked at first (its claim is
 *  only believed when its fds show the socket), so a refusal does not walk
 *  every process's fds. */
export function findSocketHolders(inodes: ReadonlySet<number>, hint?: number): Map<number, ProcHolder> {
  const found = new Map<number, ProcHolder>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return found;
  }
  if (hint !== undefined) pids.unshift(String(hint));
  for (const pid of pids) {
    if (found.size === inodes.size) break;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = Number(/^socket:\[(\d+)\]$/.exec(link)?.[1]);
      if (!inodes.has(inode) || found.has(inode)) continue;
      try {
        const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        found.set(inode, { pid: Number(pid), uid: statSync(`/proc/${pid}`).uid, comm });
      } catch {
        // exited while we looked
      }
    }
  }
  return found;
}

function ownUid(): number {
  try {
    return statSync('/proc/self').uid;
  } catch {
    return 0;
  }
}

/** Who may hold a lock name: root (or our own uid, when not run as root); anyone else is a squatter. */
type Holding = { root: true; holder: ProcHolder } | { root: false; holder: ProcHolder | null; inode: number };

function holding(inode: number, holder: ProcHolder | null): Holding {
  const trusted = holder !== null && (holder.uid === 0 || holder.uid === ownUid());
  return holder !== null && trusted ? { root: true, holder } : { root: false, holder, inode };
}

function describeSquatter(h: Holding & { root: false }): string {
  return h.holder === null
    ? `a process this daemon cannot see (socket inode ${h.inode}), which is not root's`
    : `pid ${h.holder.pid} (${h.holder.comm}, uid ${h.holder.uid}), not root`;
}

/** The first of `name` and the names under it (other than `mine`) that root
 *  holds: past a squatter, the plain name too, as the squatter may have gone
 *  and another daemon taken it. */
function rootHeld(name: string, mine: string | null): string | null {
  const candidates = abstractSockets(readProcNetUnix(), name).filter((l) => l.listening && l.name !== mine);
  if (candidates.length === 0) return null;
  const holders = findSocketHolders(new Set(candidates.map((l) => l.inode)));
  return candidates.find((l) => holding(l.inode, holders.get(l.inode) ?? null).root)?.name ?? null;
}

async function refusal(name: string, proc: ProcHolder | null, asked?: Holder | null): Promise<string> {
  const holder = asked !== undefined ? asked : await ask(name);
  const who = holder === null && proc !== null ? `another process (pid ${proc.pid}, ${proc.comm})` : describeHolder(holder);
  const stop = holder === null ? (proc !== null ? `kill ${proc.pid}` : 'kill it') : holder.unit !== null ? `systemctl stop ${holder.unit}` : `kill ${holder.pid}`;
  return `${who} already keeps the links of this network namespace; `
    + `two would undo each other's work. Stop it first (${stop}), or run this one in another namespace`;
}

/** Takes the lock for the namespace `netns` manages, or says who holds it. */
export async function takeInstanceLock(netns: string | undefined, me: Holder): Promise<LockResult> {
  const name = lockName(netns);
  // Twice: a holder that was exiting when we tried has let go by the second go.
  for (let attempt = 0; attempt < 2; attempt++) {
    const got = await listen(name, me);
    if (got !== 'in-use') {
      // A root daemon may be running under a suffixed name (past a squatter who has gone since).
      const other = rootHeld(name, name);
      if (other === null) return { ok: true, release: () => got.close(), warning: null };
      got.close();
      return { ok: false, message: await refusal(other, null) };
    }
    const named = abstractSockets(readProcNetUnix(), name).filter((l) => l.name === name);
    const sock = named.find((l) => l.listening) ?? named[0];
    if (sock === undefined) continue; // let go between our bind and our look
    const asked = sock.listening ? await ask(name) : null;
    const h = holding(sock.inode, findSocketHolders(new Set([sock.inode]), asked?.pid).get(sock.inode) ?? null);
    if (h.root) {
      // Root's but silent (or bound and not yet listening): it may be exiting, or starting.
      if (asked === null && attempt === 0) continue;
      return { ok: false, message: await refusal(name, h.holder, asked) };
    }
    return pastSquatter(name, me, h);
  }
  return { ok: false, message: 'cannot take the instance lock' };
}

async function pastSquatter(name: string, me: Holder, squatter: Holding & { root: false }): Promise<LockResult> {
  const before = rootHeld(name, null);
  if (before !== null) return { ok: false, message: await refusal(before, null) };
  // node:crypto only here, on this rare path: loading it costs every start.
  const mine = `${name}/${(await import('node:crypto')).randomBytes(8).toString('hex')}`;
  const got = await listen(mine, me);
  if (got === 'in-use') return { ok: false, message: `cannot take the instance lock: ${printable(mine)} is in use` };
  const after = rootHeld(name, mine);
  if (after !== null) {
    got.close();
    return { ok: false, message: await refusal(after, null) };
  }
  return {
    ok: true,
    release: () => got.close(),
    warning: `the instance lock ${printable(name)} is held by ${describeSquatter(squatter)}: anyone can take an abstract socket name, `
      + `so it is ignored; the lock is held as ${printable(mine)} instead`,
  };
}

/** An abstract name as ss(8) and /proc/net/unix print it. */
function printable(name: string): string {
  return name.replace(/^\0/, '@');
}
