// A small harness for namespace tests: throwaway network namespaces with
// unique names, commands inside them, veth "cables", a bridge "LAN switch",
// probes for what this kernel can do, and polling with a message.
//
// Every namespace made here is deleted when its test ends (t.after) and,
// should the process die first, on 'exit', SIGINT and SIGTERM. Nothing here
// touches the host's own interfaces: every command runs with `ip -n NS` or
// `ip netns exec NS`.

import { execFile, execFileSync } from 'node:child_process';

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Anything with node:test's `after` hook: a TestContext, or a suite's. */
export interface HasAfter {
  after(fn: () => unknown): void;
}

/** Runs argv (no shell). Never throws for a non-zero exit: look at `code`. */
export function run(argv: readonly string[], input?: string): Promise<CmdResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('run: empty command'));
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr: err !== null && code === -1 ? `${stderr}${err.message}` : stderr });
    });
    // A command that exits without reading its input must not crash the test with EPIPE.
    child.stdin?.on('error', () => undefined);
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

/** Runs argv and returns stdout; throws with the command and its stderr on failure. */
export async function check(argv: readonly string[], input?: string): Promise<string> {
  const r = await run(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Skips the test (with the reason printed) unless we are root. Returns whether to go on. */
export function requireRoot(t: { skip(message?: string): void }): boolean {
  if (isRoot()) return true;
  const why = 'needs root: network namespace tests create namespaces and links';
  console.log(`# skipped: ${why}`);
  t.skip(why);
  return false;
}

// ---- namespaces and their cleanup -------------------------------------------

const live = new Set<string>();
let counter = 0;
let hooked = false;

function deleteNowSync(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
  live.delete(name);
}

function installProcessHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => { for (const n of [...live]) deleteNowSync(n); });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      for (const n of [...live]) deleteNowSync(n);
      // Die of the same signal, as if we had not been here.
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export interface Netns {
  readonly name: string;
  /** `ip -n NAME ARGS…` → stdout; throws with stderr on failure. */
  ip(...args: string[]): Promise<string>;
  /** `ip -n NAME ARGS…` without throwing. */
  tryIp(...args: string[]): Promise<CmdResult>;
  /** `ip -n NAME -json ARGS…`, parsed (an empty output is []). */
  ipJson<T = unknown>(...args: string[]): Promise<T>;
  /** `ip netns exec NAME ARGV…` → stdout; throws with stderr on failure. */
  exec(...argv: string[]): Promise<string>;
  /** Deletes the namespace now (also done at the end of the test). */
  destroy(): Promise<void>;
}

function uniqueName(label: string): string {
  const clean = label.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 24);
  return `fnt-${process.pid}-${counter++}-${clean}`;
}

/** A new namespace `fnt-<pid>-<n>-<label>` with `lo` up, deleted when `owner`'s test ends. */
export async function createNetns(owner: HasAfter | null, label: string): Promise<Netns> {
  installProcessHooks();
  const name = uniqueName(label);
  const ns: Netns = {
    name,
    ip: (...args) => check(['ip', '-n', name, ...args]),
    tryIp: (...args) => run(['ip', '-n', name, ...args]),
    async ipJson<T>(...args: string[]): Promise<T> {
      const out = await check(['ip', '-n', name, '-json', ...args]);
      return (out.trim() === '' ? [] : JSON.parse(out)) as T;
    },
    exec: (...argv) => check(['ip', 'netns', 'exec', name, ...argv]),
    async destroy() {
      if (!live.has(name)) return;
      await run(['ip', 'netns', 'del', name]);
      live.delete(name);
    },
  };
  live.add(name);
  owner?.after(() => ns.destroy());
  await check(['ip', 'netns', 'add', name]);
  await ns.ip('link', 'set', 'lo', 'up');
  return ns;
}

/** Namespaces this process made that still exist (for tests of the harness itself). */
export function liveNamespaces(): string[] {
  return [...live];
}

// ---- cables and a switch -----------------------------------------------------

export interface VethEnd {
  ns: Netns;
  name: string;
  mac?: string;
  mtu?: number;
  /** Default true. */
  up?: boolean;
}

/** A veth pair from `a` to `b` (same or different namespaces), both ends up unless told. */
export async function vethPair(a: VethEnd, b: VethEnd): Promise<void> {
  const peerNs = a.ns.name === b.ns.name ? [] : ['netns', b.ns.name];
  await a.ns.ip('link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name, ...peerNs);
  for (const end of [a, b]) {
    const set = ['link', 'set', 'dev', end.name];
    if (end.mac !== undefined) set.push('address', end.mac);
    if (end.mtu !== undefined) set.push('mtu', String(end.mtu));
    if (end.up ?? true) set.push('up');
    if (set.length > 4) await end.ns.ip(...set);
  }
}

export interface LanSwitch {
  ns: Netns;
  /** The bridge in `ns`. */
  bridge: string;
  /** Cable `host`'s new interface `ifName` into the switch; returns the switch-side port name. */
  plug(host: Netns, ifName: string, opts?: { mac?: string; mtu?: number }): Promise<string>;
  /** Carrier off/on on `host`'s cable, by downing its switch port. */
  setCarrier(port: string, on: boolean): Promise<void>;
}

/** A namespace holding a bridge `br0`: the LAN other namespaces plug into with veths. */
export async function lanSwitch(owner: HasAfter | null, label = 'lan'): Promise<LanSwitch> {
  const ns = await createNetns(owner, label);
  await ns.ip('link', 'add', 'br0', 'type', 'bridge');
  await ns.ip('link', 'set', 'br0', 'up');
  let ports = 0;
  return {
    ns,
    bridge: 'br0',
    async plug(host, ifName, opts = {}) {
      const port = `p${ports++}`;
      await vethPair({ ns, name: port }, { ns: host, name: ifName, ...opts });
      await ns.ip('link', 'set', 'dev', port, 'master', 'br0');
      return port;
    },
    async setCarrier(port, on) {
      await ns.ip('link', 'set', 'dev', port, on ? 'up' : 'down');
    },
  };
}

// ---- what this kernel can do ----------------------------------------------------

export type ProbeKind = 'vlan' | 'ipvlan' | 'dummy' | 'macvlan' | 'veth' | 'bridge';

/** Why a test of that kind is skipped here (test-machines.md). */
export const MISSING_REASON: Readonly<Record<ProbeKind, string>> = {
  vlan: 'needs 802.1Q: CONFIG_VLAN_8021Q not in this kernel',
  ipvlan: 'needs ipvlan: CONFIG_IPVLAN not in this kernel',
  dummy: 'needs dummy: CONFIG_DUMMY not in this kernel',
  macvlan: 'needs macvlan: CONFIG_MACVLAN not in this kernel',
  veth: 'needs veth: CONFIG_VETH not in this kernel',
  bridge: 'needs bridge: CONFIG_BRIDGE not in this kernel',
};

const probes = new Map<ProbeKind, Promise<boolean>>();

async function probe(kind: ProbeKind): Promise<boolean> {
  const ns = await createNetns(null, `probe-${kind}`);
  try {
    if (kind === 'veth') return (await ns.tryIp('link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb')).code === 0;
    if (kind === 'dummy' || kind === 'bridge') return (await ns.tryIp('link', 'add', 'x0', 'type', kind)).code === 0;
    // The others need a lower device; a veth serves.
    if ((await ns.tryIp('link', 'add', 'pa', 'type', 'veth', 'peer', 'name', 'pb')).code !== 0) return false;
    const args = kind === 'vlan' ? ['type', 'vlan', 'id', '5'] : kind === 'ipvlan' ? ['type', 'ipvlan', 'mode', 'l2'] : ['type', 'macvlan', 'mode', 'bridge'];
    return (await ns.tryIp('link', 'add', 'x0', 'link', 'pa', ...args)).code === 0;
  } finally {
    await ns.destroy();
  }
}

/** Whether the running kernel can create a link of this kind (probed once, in a throwaway namespace). */
export function kernelHas(kind: ProbeKind): Promise<boolean> {
  let p = probes.get(kind);
  if (p === undefined) {
    p = probe(kind);
    probes.set(kind, p);
  }
  return p;
}

/** Skips the test with the printed reason unless the kernel has `kind`. Returns whether to go on. */
export async function requireKernel(t: { skip(message?: string): void }, kind: ProbeKind): Promise<boolean> {
  if (await kernelHas(kind)) return true;
  console.log(`# skipped: ${MISSING_REASON[kind]}`);
  t.skip(MISSING_REASON[kind]);
  return false;
}

// ---- waiting -----------------------------------------------------------------

export interface WaitOptions {
  /** What we are waiting for, as the failure message says it. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `predicate` until it returns something truthy, which is returned.
 *  Fails with `timed out after N ms waiting for <what>` (and the last error
 *  the predicate threw, if any). For tests only: the daemon never polls. */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const last = lastError === null ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${last}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}
