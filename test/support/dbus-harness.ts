// Bus-test plumbing: a private dbus-daemon per test file (our policy or a
// permissive one), the stub daemon on it (or the real one: FLATNET_TEST_DAEMON),
// and clients none of us wrote (busctl, dbus-send) run as root or as nobody.
// Every process started here is killed when the test file ends, even on failure.
// Importing this file has no side effects beyond an exit hook.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { Message, sessionBus } from 'dbus-next';

/** Repository root, from dist/test/dbus/. */
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const STUB = `${REPO}dist/test/fixtures/bus/stub-daemon.js`;
export const CTL = `${REPO}dist/src/cli/flatnetctl.js`;
export const BUS_NAME = 'org.flatnet.flatnet1';
export const MANAGER = ['/org/flatnet/flatnet1', 'org.flatnet.flatnet1.Manager'] as const;
export const NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
/** A guard against hanging forever, not a timing assertion. */
const GUARD_MS = 30_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/** Lines of a stream as they come, with a way to wait for one. */
export class Lines {
  readonly all: string[] = [];
  private ended = false;
  private waiters: (() => void)[] = [];
  constructor(stream: NodeJS.ReadableStream | null) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      rest += chunk;
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      this.all.push(...parts);
      this.wake();
    });
    stream?.on('end', () => {
      if (rest !== '') this.all.push(rest);
      this.ended = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  text(): string {
    return this.all.join('\n');
  }
  /** The first line at or after `from` that matches; rejects if the stream ends first. */
  waitFor(match: RegExp | ((line: string) => boolean), from = 0, what = String(match)): Promise<{ line: string; index: number }> {
    const test = typeof match === 'function' ? match : (l: string): boolean => match.test(l);
    return this.waitUntil((all) => {
      const index = all.findIndex((l, i) => i >= from && test(l));
      const line = all[index];
      return index >= 0 && line !== undefined ? { line, index } : undefined;
    }, what);
  }

  /** Resolves with the first defined answer of `f` over all lines so far, as lines arrive. */
  async waitUntil<T>(f: (all: readonly string[]) => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + GUARD_MS;
    for (;;) {
      const answer = f(this.all);
      if (answer !== undefined) return answer;
      if (this.ended) throw new Error(`stream ended without ${what}; got:\n${this.text()}`);
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; got:\n${this.text()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }
}

export interface Proc {
  child: ChildProcess;
  out: Lines;
  err: Lines;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => { live.delete(child); resolve(code ?? (signal !== null ? -1 : null)); });
    child.on('error', () => { live.delete(child); resolve(-2); });
  });
  const out = new Lines(child.stdout);
  const err = new Lines(child.stderr);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  return { child, out, err, exited, stop };
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; asNobody?: boolean } = {}): Promise<Result> {
  const [c, ...a] = opts.asNobody === true ? [...NOBODY, cmd, ...args] : [cmd, ...args];
  const p = startProcess(c ?? cmd, a, opts.env ?? process.env);
  p.child.stdin?.end();
  const guard = setTimeout(() => p.child.kill('SIGKILL'), GUARD_MS);
  const code = await p.exited;
  clearTimeout(guard);
  // 'exit' can come before the pipes are drained.
  await Promise.all([p.out.waitFor(() => false).catch(() => undefined), p.err.waitFor(() => false).catch(() => undefined)]);
  return { code, stdout: p.out.all.join('\n'), stderr: p.err.all.join('\n') };
}

/** system: our policy as on a Debian host; polkit: the same, plus polkitd's; permissive: anything goes. */
export type Policy = 'system' | 'polkit' | 'permissive';

export interface TestBus {
  address: string;
  policy: Policy;
  proc: Proc;
  stop(): Promise<void>;
}

const TOOLS: [string, string][] = [['dbus-daemon', 'dbus-daemon'], ['busctl', 'systemd'], ['dbus-send', 'dbus-bin'],
  ['setpriv', 'util-linux'], ['script', 'bsdutils']];

/** These tests switch to nobody and become bus monitors: they need root and these programs. */
function checkRequirements(): void {
  if (process.getuid?.() !== 0) throw new Error('test/dbus needs root (setpriv to nobody, busctl monitor)');
  const missing = TOOLS.filter(([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
  if (missing.length > 0) {
    throw new Error(`test/dbus needs ${missing.map(([t]) => t).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
  }
}

/** A private dbus-daemon with test/fixtures/bus/<policy>-bus.conf, on a socket every uid can reach. */
export async function startBus(policy: Policy): Promise<TestBus> {
  checkRequirements();
  const dir = mkdtempSync(join(tmpdir(), 'flatnet-bus-'));
  chmodSync(dir, 0o755);
  const conf = `${REPO}test/fixtures/bus/${policy}-bus.conf`;
  const proc = startProcess('dbus-daemon', [`--config-file=${conf}`, `--address=unix:path=${dir}/bus`,
    '--print-address=1', '--nofork', '--nopidfile', '--nosyslog']);
  const stop = async (): Promise<void> => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { line } = await proc.out.waitFor(/^unix:/, 0, 'the bus address');
    return { address: line.trim(), policy, proc, stop };
  } catch (e) {
    await stop();
    throw new Error(`dbus-daemon did not start: ${e instanceof Error ? e.message : String(e)}\n${proc.err.text()}`);
  }
}

export interface Daemon {
  proc: Proc;
  /** True for the stub (it takes commands and logs calls); false for FLATNET_TEST_DAEMON. */
  isStub: boolean;
  /** `CALL …` lines the stub printed: every DaemonApi method that was reached. */
  calls(): string[];
  /** Send a stub command and wait for its OK. */
  send(cmd: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** Wait until `name` has an owner on the bus (event-driven: NameOwnerChanged). */
export async function waitForName(address: string, name: string): Promise<void> {
  const bus = sessionBus({ busAddress: address });
  try {
    const call = (member: string, signature: string, body: unknown[]): Promise<Message | null> => bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body,
    }));
    const owned = new Promise<void>((resolve) => bus.on('message', (m: Message) => {
      if (m.member === 'NameOwnerChanged' && m.body[0] === name && m.body[2] !== '') resolve();
    }));
    await call('AddMatch', 's', [`type='signal',member='NameOwnerChanged',arg0='${name}'`]);
    const has = await call('NameHasOwner', 's', [name]);
    if (has?.body[0] !== true) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([owned, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${name} never appeared`)), GUARD_MS); })]);
      clearTimeout(timer);
    }
  } finally {
    bus.disconnect();
  }
}

/** Wait until the Manager's State is no longer `starting` (the real daemon takes the name before its first reconcile). */
export async function waitForStarted(address: string): Promise<void> {
  const bus = sessionBus({ busAddress: address });
  try {
    const started = new Promise<void>((resolve) => bus.on('message', (m: Message) => {
      const changed = m.member === 'PropertiesChanged' && m.path === MANAGER[0] ? (m.body[1] as Record<string, { value: unknown }>) : undefined;
      const state = changed?.['State']?.value;
      if (state !== undefined && state !== 'starting') resolve();
    }));
    await bus.call(new Message({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
      member: 'AddMatch', signature: 's', body: [`type='signal',sender='${BUS_NAME}',path='${MANAGER[0]}',member='PropertiesChanged'`] }));
    const now = await bus.call(new Message({ destination: BUS_NAME, path: MANAGER[0], interface: 'org.freedesktop.DBus.Properties',
      member: 'Get', signature: 'ss', body: [MANAGER[1], 'State'] }));
    if ((now?.body[0] as { value: unknown } | undefined)?.value !== 'starting') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([started, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('flatnetd stayed in starting')), GUARD_MS); })]);
    clearTimeout(timer);
  } finally {
    bus.disconnect();
  }
}

/**
 * The stub daemon (or `FLATNET_TEST_DAEMON`, a command line run with sh, for
 * the real one) on `bus`, connected through DBUS_SYSTEM_BUS_ADDRESS.
 */
export async function startDaemon(bus: TestBus, opts: { asNobody?: boolean; env?: NodeJS.ProcessEnv; waitForName?: boolean } = {}): Promise<Daemon> {
  const real = process.env['FLATNET_TEST_DAEMON'];
  const env = { ...process.env, ...opts.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, FLATNET_STUB_DAEMON: '1' };
  const argv = real !== undefined && real !== '' ? ['sh', '-c', real] : [process.execPath, STUB];
  const [cmd, ...args] = opts.asNobody === true ? [...NOBODY, ...argv] : argv;
  const proc = startProcess(cmd ?? 'false', args, env);
  const isStub = real === undefined || real === '';
  let acks = 0;
  const daemon: Daemon = {
    proc, isStub,
    calls: () => proc.out.all.filter((l) => l.startsWith('CALL ')),
    send: async (cmd) => {
      if (!isStub) throw new Error('only the stub takes commands');
      proc.child.stdin?.write(`${JSON.stringify(cmd)}\n`);
      const mine = acks++;
      const line = await proc.out.waitUntil((all) => all.filter((l) => l === 'OK' || l.startsWith('BAD '))[mine], 'the stub to take the command');
      if (line !== 'OK') throw new Error(`stub refused ${JSON.stringify(cmd)}: ${line}`);
    },
    stop: () => proc.stop(),
  };
  if (opts.waitForName === false) return daemon;
  await Promise.race([
    waitForName(bus.address, BUS_NAME),
    proc.exited.then((code) => { throw new Error(`daemon exited (${String(code)}) before owning ${BUS_NAME}:\n${proc.err.text()}\n${proc.out.text()}`); }),
  ]);
  await waitForStarted(bus.address);
  return daemon;
}

export function busctl(bus: TestBus, args: string[], opts: { asNobody?: boolean } = {}): Promise<Result> {
  return run('busctl', [`--address=${bus.address}`, ...args], opts);
}

/** busctl … --json=short, parsed; throws with busctl's stderr when it fails. */
export async function busctlJson(bus: TestBus, args: string[], opts: { asNobody?: boolean } = {}): Promise<{ type: string; data: unknown }> {
  const r = await busctl(bus, ['--json=short', ...args], opts);
  if (r.code !== 0) throw new Error(`busctl ${args.join(' ')}: exit ${String(r.code)}: ${r.stderr}`);
  // A call without a reply body prints nothing.
  return r.stdout.trim() === '' ? { type: '', data: [] } : JSON.parse(r.stdout) as { type: string; data: unknown };
}

/** dbus-send, which (unlike busctl) prints the error *name*: `Error org.x.Y: text`. */
export async function dbusSend(bus: TestBus, path: string, member: string, args: string[] = [], opts: { asNobody?: boolean } = {}):
  Promise<Result & { error: string | null; text: string }> {
  const r = await run('dbus-send', [`--bus=${bus.address}`, '--print-reply', `--dest=${BUS_NAME}`, path, member, ...args], opts);
  const m = /^Error ([\w.]+): ([\s\S]*)$/m.exec(r.stderr);
  return { ...r, error: m?.[1] ?? null, text: (m?.[2] ?? '').trim() };
}

export function flatnetctl(bus: TestBus | { address: string }, args: string[], opts: { asNobody?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, TZ: 'UTC', ...opts.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address };
  delete env['NO_COLOR'];
  return run(process.execPath, [CTL, ...args], { env, asNobody: opts.asNobody ?? false });
}

/** `busctl monitor` as root (BecomeMonitor), JSON lines; resolves once it is listening. */
export async function startMonitor(bus: TestBus): Promise<Proc & { messages(): BusMessage[] ; next(pred: (m: BusMessage) => boolean, from?: number): Promise<BusMessage & { index: number }> }> {
  const proc = startProcess('busctl', [`--address=${bus.address}`, 'monitor', '--json=short', BUS_NAME]);
  await proc.err.waitFor(/Monitoring bus message stream/, 0, 'busctl monitor to start');
  const parse = (l: string): BusMessage | null => { try { return JSON.parse(l) as BusMessage; } catch { return null; } };
  return {
    ...proc,
    messages: () => proc.out.all.map(parse).filter((m): m is BusMessage => m !== null),
    next: async (pred, from = 0) => {
      const { line, index } = await proc.out.waitFor((l) => { const m = parse(l); return m !== null && pred(m); }, from, 'a bus message');
      return { ...(JSON.parse(line) as BusMessage), index };
    },
  };
}

export interface BusMessage {
  type: string;
  sender?: string;
  destination?: string;
  path?: string;
  interface?: string;
  member?: string;
  error_name?: string;
  reply_cookie?: number;
  cookie?: number;
  payload?: { type: string; data: unknown[] };
}

/** A private bus with our system policy and the daemon on it, for the
 *  enclosing suite (or file): up before its tests, down after them. */
export function daemonOnBus(set: (bus: TestBus, daemon: Daemon) => void | Promise<void>): void {
  let bus: TestBus | undefined;
  let daemon: Daemon | undefined;
  before(async () => {
    bus = await startBus('system');
    daemon = await startDaemon(bus);
    await set(bus, daemon);
  });
  after(async () => {
    await daemon?.stop();
    await bus?.stop();
  });
}
