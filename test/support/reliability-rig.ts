// The reliability tier's rig: the README's flat LAN in namespaces (test/support/lab),
// more NICs on the same switch, the real flatnetd in the NAS namespace,
// a private bus on a filesystem socket (an abstract one is invisible from
// inside another network namespace), a D-Bus client, and a checker that says
// exactly how the kernel differs from what the drop-ins ask for.
// Every process started here is killed when the test process exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Message, sessionBus, type MessageBus } from 'dbus-next';
import { createLab, exec, nsRun, type Lab } from './lab.js';
import { startDaemon, type DaemonProcess, type StartOptions } from './daemon-process.js';

export { exec, nsRun, type Lab };
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const isRoot = process.getuid?.() === 0;

/** What the README's drop-in (test/support/dropins.ts LAN_DROPIN) must leave in the NAS. */
export const LAN_WANT: WantShim = { network: 'lan', name: 'docker-link', parent: 'enp3s0', addrs: ['192.168.88.192/32'], routes: ['192.168.88.192/27'] };

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
});

export function track(p: ChildProcess): ChildProcess {
  live.add(p);
  p.on('exit', () => live.delete(p));
  return p;
}

/** startDaemon of test/support, remembered so an aborted test still kills it. */
export function daemon(o: StartOptions): DaemonProcess {
  const d = startDaemon(o);
  track(d.proc);
  return d;
}

/** A unique namespace prefix for one test file: `fnt-r<pid><tag>`. */
export function prefix(tag: string): string {
  return `fnt-r${process.pid}${tag}`;
}

/** Another NIC in the NAS: a veth whose peer is on the LAN switch, up, with carrier. */
export async function addNic(lab: Lab, name: string, peer: string): Promise<void> {
  await nsRun(lab.lan, ['ip', 'link', 'add', peer, 'type', 'veth', 'peer', 'name', name, 'netns', lab.nas]);
  await nsRun(lab.lan, ['ip', 'link', 'set', peer, 'master', 'br0', 'up']);
  await nsRun(lab.nas, ['ip', 'link', 'set', name, 'up']);
}

export { createLab };

// ---- what the kernel shows ----

export interface IpLink {
  ifindex: number; ifname: string; address: string; ifalias?: string; flags: string[]; mtu: number; link?: string;
  operstate?: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}
interface IpAddr { ifname: string; addr_info: { local: string; prefixlen: number; family: string; scope?: string }[] }
interface IpRoute { dst: string; dev: string; protocol?: string; metric?: number }

export interface KernelView {
  links: IpLink[];
  /** By link name: global addresses as cidr. */
  addrs: Map<string, string[]>;
  /** Routes with our protocol (233), as `dst dev`. */
  ourRoutes: string[];
}

async function ipJson<T>(ns: string, args: string[]): Promise<T> {
  const r = await exec(['ip', '-n', ns, '-json', ...args]);
  if (r.code !== 0) throw new Error(`ip -n ${ns} ${args.join(' ')}: ${r.stderr.trim()}`);
  return (r.stdout.trim() === '' ? [] : JSON.parse(r.stdout)) as T;
}

export async function view(ns: string): Promise<KernelView> {
  const [links, addrs, r4, r6] = await Promise.all([
    ipJson<IpLink[]>(ns, ['-details', 'link', 'show']),
    ipJson<IpAddr[]>(ns, ['addr', 'show']),
    ipJson<IpRoute[]>(ns, ['-4', 'route', 'show', 'table', 'all', 'proto', '233']),
    ipJson<IpRoute[]>(ns, ['-6', 'route', 'show', 'table', 'all', 'proto', '233']),
  ]);
  const byName = new Map<string, string[]>();
  for (const a of addrs) {
    byName.set(a.ifname, a.addr_info.filter((i) => i.scope !== 'link' && i.scope !== 'host').map((i) => `${i.local}/${i.prefixlen}`).sort());
  }
  return { links, addrs: byName, ourRoutes: [...r4, ...r6].map((r) => `${r.dst} ${r.dev}`).sort() };
}

export interface WantShim {
  network: string;
  name: string;
  parent: string;
  /** Every global address, with its prefix length. */
  addrs: string[];
  /** Our routes, `dst` (through this shim). */
  routes: string[];
  mtu?: number;
  mac?: string;
}

/** Every way the kernel differs from `want`, in words; [] when it is exactly right. */
export function differences(v: KernelView, want: readonly WantShim[], others: 'none' | 'ignored' = 'none'): string[] {
  const out: string[] = [];
  const owned = v.links.filter((l) => (l.ifalias ?? '').startsWith('flatnet:'));
  for (const l of owned) {
    if (others === 'none' && !want.some((w) => w.name === l.ifname)) out.push(`leaked: ${l.ifname} (${l.ifalias ?? ''}) is not wanted`);
  }
  const names = v.links.map((l) => l.ifname);
  for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) out.push(`duplicate link name ${n}`);
  const wantRoutes: string[] = [];
  for (const w of want) {
    const l = v.links.find((x) => x.ifname === w.name);
    if (l === undefined) { out.push(`${w.name}: missing`); continue; }
    if (l.ifalias !== `flatnet:${w.network}`) out.push(`${w.name}: alias ${l.ifalias ?? '(none)'}, want flatnet:${w.network}`);
    if (l.linkinfo?.info_kind !== 'macvlan') out.push(`${w.name}: kind ${l.linkinfo?.info_kind ?? '?'}`);
    if (l.link !== w.parent) out.push(`${w.name}: parent ${l.link ?? '?'}, want ${w.parent}`);
    if (!l.flags.includes('UP')) out.push(`${w.name}: down`);
    if (w.mtu !== undefined && l.mtu !== w.mtu) out.push(`${w.name}: mtu ${l.mtu}, want ${w.mtu}`);
    if (w.mac !== undefined && l.address !== w.mac) out.push(`${w.name}: mac ${l.address}, want ${w.mac}`);
    const have = v.addrs.get(w.name) ?? [];
    const wantAddrs = [...w.addrs].sort();
    if (have.join(' ') !== wantAddrs.join(' ')) out.push(`${w.name}: addresses [${have.join(' ')}], want [${wantAddrs.join(' ')}]`);
    for (const r of w.routes) wantRoutes.push(`${r} ${w.name}`);
  }
  const ours = others === 'none' ? v.ourRoutes : v.ourRoutes.filter((r) => want.some((w) => r.endsWith(` ${w.name}`)));
  if (ours.join('|') !== wantRoutes.sort().join('|')) out.push(`routes proto 233 [${ours.join(', ')}], want [${wantRoutes.join(', ')}]`);
  return out;
}

/** Polls until the kernel is exactly as wanted; returns ms waited, or throws with the last differences. */
export async function converge(ns: string, want: readonly WantShim[], deadlineMs: number, what: string, stepMs = 25, others: 'none' | 'ignored' = 'none'): Promise<number> {
  const t0 = Date.now();
  let last: string[] = [];
  for (;;) {
    last = differences(await view(ns), want, others);
    if (last.length === 0) return Date.now() - t0;
    if (Date.now() - t0 > deadlineMs) throw new Error(`${what}: not converged within ${deadlineMs} ms:\n  ${last.join('\n  ')}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function ifindexes(v: KernelView, names: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) {
    const l = v.links.find((x) => x.ifname === n);
    if (l !== undefined) m.set(n, l.ifindex);
  }
  return m;
}

// ---- processes ----

/** utime+stime (and of waited-for children) of a process, in seconds; its VmRSS in KiB. */
export function procStats(pid: number): { cpu: number; childCpu: number; rssKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 100; // USER_HZ on Linux
  const n = (i: number): number => Number(fields[i - 3] ?? 0);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /VmRSS:\s+(\d+)/.exec(status);
  return { cpu: (n(14) + n(15)) / tick, childCpu: (n(16) + n(17)) / tick, rssKiB: Number(rss?.[1] ?? 0) };
}

/** Children of a process (pids), from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return tasks === '' ? [] : tasks.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

// ---- a private bus ----

export type Policy = 'system' | 'permissive';

export interface PrivateBus {
  address: string;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** dbus-daemon with test/fixtures/bus/<policy>-bus.conf on a filesystem socket every uid can reach. */
export async function startBus(policy: Policy, dir?: string): Promise<PrivateBus> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'fnt-bus-'));
  chmodSync(d, 0o755);
  const conf = `${REPO}test/fixtures/bus/${policy === 'system' ? 'system-bus.conf' : 'permissive-bus.conf'}`;
  const proc = track(spawn('dbus-daemon', [`--config-file=${conf}`, `--address=unix:path=${d}/bus`, '--print-address=1', '--nofork', '--nopidfile', '--nosyslog'],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
  if (proc.stdout === null) throw new Error('no stdout from dbus-daemon');
  // dbus-daemon logs every message its policy rejects to stderr: an unread
  // pipe fills up and the whole bus stops (seen under the fuzzer).
  proc.stderr?.resume();
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  const address = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('dbus-daemon printed no address in 10 s')), 10_000);
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once('line', (l) => { clearTimeout(t); resolve(l.trim()); });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`dbus-daemon exited with ${String(code)}`)); });
  });
  return {
    address, dir: d, proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      if (dir === undefined) rmSync(d, { recursive: true, force: true });
    },
  };
}

export const BUS_NAME = 'org.flatnet.flatnet1';
export const MANAGER_PATH = '/org/flatnet/flatnet1';
export const MANAGER_IFACE = 'org.flatnet.flatnet1.Manager';
export const NETWORK_IFACE = 'org.flatnet.flatnet1.Network';

export interface Client {
  bus: MessageBus;
  call(path: string, iface: string, member: string, signature?: string, body?: unknown[], timeoutMs?: number): Promise<Message>;
  describe(): Promise<Describe>;
  waitForName(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface Describe {
  state: string;
  networks: { name: string; state: string; lastError: string; restoreCount: number; shimIfIndex: number }[];
  diagnostics: { file?: string; line?: number; message: string; severity: string }[];
  counters: { runs: number; events: number; resyncs: number; writes: number };
}

export function client(address: string): Client {
  const bus = sessionBus({ busAddress: address });
  bus.on('error', () => undefined);
  const call: Client['call'] = async (path, iface, member, signature = '', body = [], timeoutMs = 10_000) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        bus.call(new Message({ destination: BUS_NAME, path, interface: iface, member, signature, body })).then((m) => {
          if (m === null) throw new Error(`${member}: no reply`);
          return m;
        }),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${member}: no answer in ${timeoutMs} ms`)), timeoutMs); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    bus,
    call,
    async describe() {
      const m = await call(MANAGER_PATH, MANAGER_IFACE, 'Describe');
      return JSON.parse(String(m.body[0])) as Describe;
    },
    async waitForName(timeoutMs = 15_000) {
      const t0 = Date.now();
      for (;;) {
        const r = await bus.call(new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'NameHasOwner', signature: 's', body: [BUS_NAME] }));
        if (r?.body[0] === true) return;
        if (Date.now() - t0 > timeoutMs) throw new Error(`${BUS_NAME} did not appear within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    close() {
      try { bus.disconnect(); } catch { /* gone */ }
    },
  };
}

/** Resolves when the process exits; its code, or the signal's name. */
export function exitOf(p: ChildProcess): Promise<number | string> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  if (p.signalCode !== null) return Promise.resolve(p.signalCode);
  return new Promise((res) => p.once('exit', (code, signal) => res(code ?? signal ?? -1)));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Processes inside network namespace `ns` (by the namespace's inode), e.g. an `ip monitor` orphaned by a SIGKILL. */
export function processesIn(ns: string): { pid: number; cmd: string }[] {
  let ino: number;
  try {
    ino = statSync(`/run/netns/${ns}`).ino;
  } catch {
    return [];
  }
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/net`) === `net:[${ino}]`) out.push({ pid: Number(e), cmd: cmdline(Number(e)) });
    } catch { /* gone, or a kernel thread */ }
  }
  return out;
}

/** SIGKILL every process left in `ns` (what systemd's cgroup kill does for a killed flatnetd). */
export function killAllIn(ns: string): number {
  const ps = processesIn(ns);
  for (const p of ps) {
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return ps.length;
}

/** What a suite may have started; any part may be missing (its before() failed early). */
export interface Rigging {
  client?: Client | undefined;
  daemon?: DaemonProcess | undefined;
  lab?: Lab | undefined;
  bus?: PrivateBus | undefined;
  /** Temporary directories to remove. */
  dirs?: (string | undefined)[];
}

/** Takes a suite's rig down in the one order that strands nothing: the
 *  client, flatnetd (SIGKILL, as a crash: its links stay), whatever is still
 *  running in the NAS, the bus, the namespaces, then the directories. */
export async function teardown(r: Rigging): Promise<void> {
  r.client?.close();
  await r.daemon?.stop('SIGKILL');
  if (r.lab !== undefined) killAllIn(r.lab.nas);
  await r.bus?.stop();
  await r.lab?.destroy();
  for (const dir of r.dirs ?? []) if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
