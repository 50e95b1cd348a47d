// The bench's network namespaces: named `fnb-<pid>-<tag>-<n>`, every one
// deleted when it is done with and again on exit, Ctrl-C or a crash. Every
// `ip` the bench runs goes through here with `-n NS` for one of its own
// namespaces: nothing can reach the host's interfaces by mistake.

import { spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { IP, must, run, sleep, type Result } from './sh.js';

export const PREFIX = `fnb-${process.pid}-`;

const live = new Set<string>();
const children = new Set<ChildProcess>();
const scratch = new Set<string>();
let counter = 0;

function ours(ns: string): string {
  if (!ns.startsWith(PREFIX) || !live.has(ns)) throw new Error(`bench: refusing to touch namespace "${ns}": not one of this run's (${PREFIX}*)`);
  return ns;
}

/** `ip -n NS …` in one of our namespaces. */
export function ip(ns: string, args: readonly string[]): Promise<Result> {
  return run([IP, '-n', ours(ns), ...args]);
}

export function mustIp(ns: string, args: readonly string[]): Promise<Result> {
  return must([IP, '-n', ours(ns), ...args]);
}

/** Many writes in one `ip -batch -` (setup and teardown, never timed against flatnetd). */
export async function ipBatch(ns: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await must([IP, '-n', ours(ns), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

export async function ipJson<T>(ns: string, args: readonly string[]): Promise<T> {
  const r = await mustIp(ns, ['-json', ...args]);
  return (r.stdout.trim() === '' ? [] : JSON.parse(r.stdout)) as T;
}

const loMtuFlips = new Map<string, number>();

/**
 * A kernel event nobody owns and nothing depends on: the loopback's MTU
 * flipped between 65535 and 65536 (an alias change sends no event here).
 */
export async function harmlessEvent(ns: string): Promise<void> {
  const k = (loMtuFlips.get(ns) ?? 0) + 1;
  loMtuFlips.set(ns, k);
  await mustIp(ns, ['link', 'set', 'lo', 'mtu', k % 2 === 1 ? '65535' : '65536']);
}

/** argv prefix that runs a program inside the namespace, as systemd's NetworkNamespacePath= would. */
export function nsExec(ns: string): string[] {
  return [IP, 'netns', 'exec', ours(ns)];
}

export async function createNs(tag: string): Promise<string> {
  const name = `${PREFIX}${tag}-${++counter}`;
  live.add(name);
  await must([IP, 'netns', 'add', name]);
  await mustIp(name, ['link', 'set', 'lo', 'up']);
  // No IPv6 DAD in the bench's namespaces: every link's link-local address
  // would otherwise be announced about a second after the link comes up, in
  // the middle of whatever trial comes next (a real host's heals are not
  // 100 ms apart). The addresses still appear, at once.
  // Written through /proc/sys (per namespace) so procps need not be installed; a host without IPv6 has nothing to turn off.
  await must([IP, 'netns', 'exec', name, '/bin/sh', '-c',
    'for f in /proc/sys/net/ipv6/conf/all/accept_dad /proc/sys/net/ipv6/conf/default/accept_dad; do [ -w "$f" ] && echo 0 > "$f"; done; true']);
  return name;
}

/** Keeps a child to be killed if the bench ends before it does. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** A scratch directory to remove on every way out (drop-ins, sockets, wrappers). */
export function trackDir(path: string): string {
  scratch.add(path);
  return path;
}

/** Processes still inside the namespace: only ever ones this bench started there (daemon, its ip children, monitors). */
function pidsIn(ns: string): number[] {
  const r = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout ?? '').split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
}

function killAllIn(ns: string): void {
  for (const pid of pidsIn(ns)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/**
 * Deletes a namespace and waits until the kernel has torn its links down:
 * `ip netns del` returns at once but the cleanup holds the RTNL lock for a
 * while (≈250 ms for 1,500 links here), which would slow the next round.
 */
export async function deleteNs(ns: string, probe?: string): Promise<void> {
  if (!live.has(ns)) return;
  for (let i = 0; i < 3 && pidsIn(ns).length > 0; i++) {
    killAllIn(ns);
    await sleep(50);
  }
  await run([IP, 'netns', 'del', ns]);
  live.delete(ns);
  if (probe !== undefined) await quiesce(probe);
}

/** Waits until an RTNL-taking no-op in `probe` is quick twice in a row (cap 15 s). */
export async function quiesce(probe: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let quick = 0;
  while (quick < 2 && Date.now() < deadline) {
    const r = await ip(probe, ['link', 'set', 'lo', 'up']);
    quick = r.ms < 15 ? quick + 1 : 0;
    if (quick < 2) await sleep(20);
  }
}

/** Synchronous last resort for exit paths: kill what we started, delete what we made. */
export function cleanupSync(): void {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const ns of live) {
    killAllIn(ns);
    spawnSync(IP, ['netns', 'del', ns]);
  }
  live.clear();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  scratch.clear();
}

let installed = false;

/** Namespaces go away on every way out: normal exit, Ctrl-C, SIGTERM, an uncaught error. */
export function installCleanup(onSignal: (signal: string) => void = () => undefined): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      onSignal(sig);
      cleanupSync();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`bench: ${e.stack ?? String(e)}\n`);
    cleanupSync();
    process.exit(1);
  });
}

export function liveNamespaces(): string[] {
  return [...live];
}
