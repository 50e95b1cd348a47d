// Runs inside the VM (host's node over 9p). Records one JSON line per check
// into the results share; test/vm/run.ts turns each line into a node:test test.
// Nothing here throws out of a check: a failing command becomes a failing
// line with the command's own output, and the next check still runs.

import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';

export interface CheckLine {
  name: string;
  ok: boolean;
  detail: string;
  /** Set when the check could not be made; the reason is printed by run.ts. */
  skip?: string;
}

export interface Reporter {
  check(name: string, ok: boolean, detail: string): boolean;
  skip(name: string, reason: string): void;
  info(name: string, detail: string): void;
  /** Runs fn as one check: its return value is the detail, a throw is the failure. */
  step(name: string, fn: () => string): boolean;
  failures(): number;
}

export function reporter(path: string): Reporter {
  let failed = 0;
  const write = (line: object): void => {
    appendFileSync(path, JSON.stringify(line) + '\n');
  };
  const r: Reporter = {
    check(name, ok, detail) {
      if (!ok) failed++;
      write({ name, ok, detail });
      log(`${ok ? 'ok' : 'NOT OK'} ${name}${ok ? '' : `: ${detail}`}`);
      return ok;
    },
    skip(name, reason) {
      write({ name, ok: true, detail: reason, skip: reason });
      log(`skip ${name}: ${reason}`);
    },
    info(name, detail) {
      write({ info: name, detail });
      log(`info ${name}: ${detail}`);
    },
    step(name, fn) {
      try {
        return r.check(name, true, fn());
      } catch (e) {
        return r.check(name, false, e instanceof Error ? e.message : String(e));
      }
    },
    failures: () => failed,
  };
  return r;
}

export function log(msg: string): void {
  const up = readFileSync('/proc/uptime', 'utf8').split(' ')[0] ?? '?';
  process.stderr.write(`flatnet-vm: [${up}] ${msg}\n`);
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** `cmd args…` as typed, for messages. */
  argv: string;
}

export function run(argv: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    input: opts.input ?? '',
    env: opts.env ?? process.env,
    killSignal: 'SIGKILL',
  });
  const code = r.status ?? (r.error ? 127 : 128);
  const stderr = (r.stderr ?? '') + (r.error ? `${r.error.message}\n` : '') + (r.signal ? `killed by ${r.signal}\n` : '');
  return { code, stdout: r.stdout ?? '', stderr, argv: argv.join(' ') };
}

/** Runs and throws `argv: exit N: stderr` unless it exits 0; returns stdout. */
export function must(argv: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = run(argv, opts);
  if (r.code !== 0) throw new Error(`${r.argv}: exit ${r.code}: ${(r.stderr + r.stdout).trim().slice(0, 1500)}`);
  return r.stdout;
}

export function sh(script: string, opts: { timeoutMs?: number } = {}): Run {
  return run(['/bin/sh', '-c', script], opts);
}

// --- ip -json ---------------------------------------------------------------

export interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string;
  ifalias?: string;
  operstate?: string;
  flags?: string[];
  address?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> };
}

export interface IpAddr {
  ifname: string;
  ifindex: number;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export interface IpRoute {
  dst: string;
  dev?: string;
  protocol?: string;
  gateway?: string;
  prefsrc?: string;
}

function json<T>(argv: readonly string[]): T {
  const out = must(argv);
  try {
    return JSON.parse(out.trim() === '' ? '[]' : out) as T;
  } catch {
    throw new Error(`${argv.join(' ')}: not JSON: ${out.slice(0, 300)}`);
  }
}

export function links(ns?: string): IpLink[] {
  return json<IpLink[]>([...nsPrefix(ns), 'ip', '-json', '-details', 'link', 'show']);
}

export function link(name: string, ns?: string): IpLink | undefined {
  return links(ns).find((l) => l.ifname === name);
}

export function addrs(ns?: string): IpAddr[] {
  return json<IpAddr[]>([...nsPrefix(ns), 'ip', '-json', 'addr', 'show']);
}

export function addrsOf(name: string, ns?: string): string[] {
  const a = addrs(ns).find((x) => x.ifname === name);
  return (a?.addr_info ?? []).filter((i) => !i.local.startsWith('fe80:')).map((i) => `${i.local}/${i.prefixlen}`);
}

export function routes(family: '4' | '6' = '4', ns?: string): IpRoute[] {
  return json<IpRoute[]>([...nsPrefix(ns), 'ip', `-${family}`, '-json', 'route', 'show', 'table', 'main']);
}

function nsPrefix(ns: string | undefined): string[] {
  return ns === undefined ? [] : ['ip', 'netns', 'exec', ns];
}

export function kindOf(l: IpLink | undefined): string {
  return l?.linkinfo?.info_kind ?? (l ? 'unknown' : 'absent');
}

/** Polls cond every 200 ms (event-free waiting for things the guest does not own, e.g. a unit restarting). */
export function waitFor(what: string, cond: () => boolean, timeoutMs: number): void {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let last = '';
    try {
      if (cond()) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (${last})` : ''}`);
    sleepMs(200);
  }
}

export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** systemctl show -p PROP --value UNIT */
export function unitProp(unit: string, prop: string): string {
  return must(['systemctl', 'show', '-p', prop, '--value', unit]).trim();
}

export function describeLinks(names: readonly string[], ns?: string): string {
  const all = links(ns);
  return names
    .map((n) => {
      const l = all.find((x) => x.ifname === n);
      return l ? `${n}#${l.ifindex}(${kindOf(l)}${l.link ? `@${l.link}` : ''},${l.operstate ?? '?'})` : `${n}:absent`;
    })
    .join(' ');
}
