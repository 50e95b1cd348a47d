// The bench's own eye on the kernel: `ip -ts -oneline monitor` in the
// namespace. Each line carries the time ip received the kernel's message, so
// "deleted" and "back" are timed on the same clock, next to the kernel, and
// not by when Node got round to reading a pipe.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { harmlessEvent, nsExec, track } from './netns.js';
import { IP } from './sh.js';

export type MonEvent =
  | { kind: 'link'; t: number; deleted: boolean; name: string; flags: string[]; text: string }
  | { kind: 'addr'; t: number; deleted: boolean; dev: string; cidr: string; text: string }
  | { kind: 'route'; t: number; deleted: boolean; dst: string; dev: string; proto: string; text: string }
  | { kind: 'other'; t: number; deleted: boolean; text: string };

const TS_RE = /^\[(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)\.(\d{6})\] (.*)$/;
const LINK_RE = /^(\d+): ([^\s:@]+)(?:@\S+)?: <([^>]*)>/;
const ADDR_RE = /^(\d+): (\S+)\s+inet6? (\S+)/;
const ROUTE_RE = /^(\S+) (?:via \S+ )?dev (\S+)(?:.* proto (\S+))?/;

/** Milliseconds (epoch, µs resolution) from ip's `[YYYY-MM-DDTHH:MM:SS.uuuuuu]` local-time stamp. */
function stampMs(date: string, hms: string, us: string): number {
  return Date.parse(`${date}T${hms}`) + Number(us) / 1000;
}

export function parseMonitorLine(line: string): MonEvent | null {
  const m = TS_RE.exec(line);
  if (m === null) return null;
  const [, date = '', hms = '', us = '0', body0 = ''] = m;
  const t = stampMs(date, hms, us);
  const deleted = body0.startsWith('Deleted ');
  const body = deleted ? body0.slice('Deleted '.length) : body0;
  const l = LINK_RE.exec(body);
  if (l !== null) return { kind: 'link', t, deleted, name: l[2] ?? '', flags: (l[3] ?? '').split(','), text: body0 };
  const a = ADDR_RE.exec(body);
  if (a !== null) return { kind: 'addr', t, deleted, dev: a[2] ?? '', cidr: a[3] ?? '', text: body0 };
  const r = ROUTE_RE.exec(body);
  if (r !== null) return { kind: 'route', t, deleted, dst: r[1] ?? '', dev: r[2] ?? '', proto: r[3] ?? '', text: body0 };
  return { kind: 'other', t, deleted, text: body0 };
}

export class Monitor {
  readonly events: MonEvent[] = [];
  private readonly proc: ChildProcess;
  private waiters: { from: number; pred: (e: MonEvent) => boolean; resolve: (e: MonEvent) => void }[] = [];

  private constructor(readonly ns: string) {
    // `ip netns exec` (not `-n`) so the monitor shows up in `ip netns pids` and is killed with the namespace.
    const [cmd = IP, ...pre] = nsExec(ns);
    this.proc = track(spawn(cmd, [...pre, IP, '-ts', '-oneline', 'monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'inherit'] }));
    if (this.proc.stdout === null) throw new Error('ip monitor: no stdout');
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const e = parseMonitorLine(line);
      if (e === null) return;
      this.events.push(e);
      const still: typeof this.waiters = [];
      for (const w of this.waiters) {
        if (w.pred(e)) w.resolve(e);
        else still.push(w);
      }
      this.waiters = still;
    });
  }

  /**
   * Starts a monitor and proves it is listening: a harmless change nobody
   * owns (the loopback's MTU) must come back through it.
   */
  static async start(ns: string): Promise<Monitor> {
    const m = new Monitor(ns);
    for (let i = 0; i < 20; i++) {
      const from = m.mark();
      // Settled at once: the change itself can take longer than the wait under RTNL contention.
      const seen = m.next(from, (e) => e.kind === 'link' && e.name === 'lo' && !e.deleted, 500).then(() => true, () => false);
      await harmlessEvent(ns);
      if (await seen) return m;
    }
    m.stop();
    throw new Error(`ip monitor in ${ns} never reported a change`);
  }

  /** Index to pass to next()/since(): events from now on. */
  mark(): number {
    return this.events.length;
  }

  since(from: number): MonEvent[] {
    return this.events.slice(from);
  }

  /** The first event at index ≥ from matching pred, seen already or to come. */
  next(from: number, pred: (e: MonEvent) => boolean, timeoutMs = 10_000): Promise<MonEvent> {
    for (let i = from; i < this.events.length; i++) {
      const e = this.events[i];
      if (e !== undefined && pred(e)) return Promise.resolve(e);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`ip monitor in ${this.ns}: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = { from, pred, resolve: (e: MonEvent) => { clearTimeout(timer); resolve(e); } };
      this.waiters.push(waiter);
    });
  }

  /** Resolves once no event arrived for quietMs (or after maxMs). */
  async quiet(quietMs: number, maxMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + maxMs;
    let count = this.events.length;
    for (;;) {
      await new Promise((r) => setTimeout(r, quietMs));
      if (this.events.length === count) return true;
      count = this.events.length;
      if (performance.now() > deadline) return false;
    }
  }

  stop(): void {
    this.proc.kill('SIGKILL');
  }
}

/** A shim is whole again: link up, its address, our route (the last of the three is the heal's end). */
export function shimBackAt(events: readonly MonEvent[], shim: string, address: string, range: string): number | null {
  let up: number | null = null;
  let addr: number | null = null;
  let route: number | null = null;
  for (const e of events) {
    if (e.deleted) continue;
    if (up === null && e.kind === 'link' && e.name === shim && e.flags.includes('UP')) up = e.t;
    if (addr === null && e.kind === 'addr' && e.dev === shim && e.cidr === address) addr = e.t;
    if (route === null && e.kind === 'route' && e.dev === shim && e.dst === range) route = e.t;
  }
  return up === null || addr === null || route === null ? null : Math.max(up, addr, route);
}
