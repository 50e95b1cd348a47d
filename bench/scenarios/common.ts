// What every scenario shares: the run's settings, the baseline script, and a
// daemon started on N networks in a fresh namespace and always cleaned up.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertCorrect, checkNetworks, IncorrectError } from '../lib/check.js';
import { isDaemonPid, logTail, startDaemon, type BenchDaemon, type BenchNode } from '../lib/daemon.js';
import { Monitor } from '../lib/monitor.js';
import { createNs, deleteNs, nsExec } from '../lib/netns.js';
import { NotifySocket } from '../lib/notify.js';
import { run, type Result } from '../lib/sh.js';
import { createParents, settle, writeDropIns, type BenchNet } from '../lib/topology.js';

export interface Ctx {
  /** A namespace used only to feel when the kernel's RTNL lock is free again. */
  probe: string;
  smoke: boolean;
  /** No daemon (not built yet): the baseline alone, to test the harness. */
  baselineOnly: boolean;
  /** Scratch directory for drop-ins and wrappers, removed at the end. */
  work: string;
  /** The Nodes the cold start runs the daemon with, side by side; the first is the one every other scenario uses. */
  nodes: BenchNode[];
  say(msg: string): void;
}

export const BASELINE_SH = fileURLToPath(new URL('../../../bench/baseline.sh', import.meta.url));

export interface BaselineArgs {
  parents: 'create' | 'existing';
  perParent?: number;
  first?: number;
}

/** The seeds' recipe for networks first..last, inside ns (one `ip` per step). */
export function runBaseline(ns: string, last: number, a: BaselineArgs): Promise<Result> {
  return run([...nsExec(ns), '/bin/sh', BASELINE_SH, '--netns', ns, '--parents', a.parents,
    '--per-parent', String(a.perParent ?? 1), '--first', String(a.first ?? 1), String(last)]);
}

export async function mustBaseline(ns: string, last: number, a: BaselineArgs): Promise<number> {
  const r = await runBaseline(ns, last, a);
  if (r.code !== 0) throw new IncorrectError(`baseline.sh ${last} in ${ns}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.ms;
}

export interface Session {
  ns: string;
  /** The drop-in directory the daemon reads. */
  dir: string;
  nets: BenchNet[];
  daemon: BenchDaemon;
  notify: NotifySocket;
  /** The bench's own `ip monitor` (absent when SessionOptions.monitor is false). */
  monitor: Monitor | undefined;
  /** Spawn → READY=1, ms. */
  readyMs: number;
  /** Spawn → every shim address assigned (after its ARP probe answered), ms; the kernel checked whole. */
  addressMs: number;
}

export interface SessionOptions {
  tag: string;
  debounceMs?: number;
  logLevel?: 'debug' | 'info';
  /** Run the bench's own `ip monitor` (default true; cold start goes without, as the recipe does). */
  monitor?: boolean;
  /** More daemon arguments (e.g. --settle-ms). */
  extraArgs?: string[];
  /** Default ctx.nodes[0]. */
  node?: BenchNode;
}

/**
 * flatnetd on `nets` in a fresh namespace whose parents exist: started,
 * READY=1 awaited, the kernel checked, then `fn`; everything is torn down
 * whatever happens.
 */
export async function withSession<T>(ctx: Ctx, nets: BenchNet[], o: SessionOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const ns = await createNs(o.tag);
  const dir = mkdtempSync(join(ctx.work, `${o.tag}-`));
  let notify: NotifySocket | undefined;
  let monitor: Monitor | undefined;
  let daemon: BenchDaemon | undefined;
  try {
    await createParents(ns, nets);
    await settle(ns);
    writeDropIns(dir, nets);
    if (o.monitor !== false) monitor = await Monitor.start(ns);
    notify = await NotifySocket.open();
    const node = o.node ?? ctx.nodes[0];
    daemon = startDaemon(ns, {
      configDir: dir, notify,
      ...(node !== undefined ? { node } : {}),
      ...(o.debounceMs !== undefined ? { debounceMs: o.debounceMs } : {}),
      ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
      ...(o.extraArgs !== undefined ? { extraArgs: o.extraArgs } : {}),
    });
    const d = daemon;
    const ready = await Promise.race([
      notify.waitFor('READY=1', 0, 60_000),
      new Promise<never>((_, rej) => d.proc.on('exit', (code) => rej(new IncorrectError(`flatnetd exited (${code ?? 'signal'}) before READY=1:\n${logTail(d)}`)))),
    ]);
    // The addresses follow READY=1 by the ARP probe's answer (unless --no-arp-probe):
    // checked whole once they are all there, and every scenario starts from that.
    const probing = !(o.extraArgs ?? []).includes('--no-arp-probe');
    await assertCorrect(`${o.tag}: at READY=1`, ns, nets, { owned: true, addresses: !probing });
    const addressAt = probing ? await allAddressed(ns, nets) : ready.t;
    await assertCorrect(`${o.tag}: with the addresses`, ns, nets, { owned: true });
    if (!isDaemonPid(d.pid)) throw new Error(`pid ${d.pid} is not flatnetd (ip netns exec forked?): RSS and CPU would be someone else's`);
    // Without its addon (native/notify not built: `npm ci --ignore-scripts`) the daemon
    // tells systemd through systemd-notify(1), a process per message: that is not what ships.
    const fallback = d.log.find((l) => l.line.includes('the notify addon did not load'));
    if (fallback !== undefined) throw new Error(`the daemon timed here is not the one that ships: ${fallback.line.replace(/^<\d>/, '')}; build it (npm run install)`);
    await monitor?.quiet(300);
    return await fn({ ns, dir, nets, daemon: d, notify, monitor, readyMs: ready.t - d.spawnedAt, addressMs: addressAt - d.spawnedAt });
  } catch (e) {
    if (daemon !== undefined && !(e instanceof IncorrectError && e.message.includes('flatnetd exited'))) {
      ctx.say(`flatnetd log tail:\n${logTail(daemon)}`);
    }
    throw e;
  } finally {
    await daemon?.stop();
    monitor?.stop();
    notify?.close();
    await deleteNs(ns, ctx.probe);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** When (performance.now()) every shim has its address: the kernel read every 20 ms, for at most 30 s. */
async function allAddressed(ns: string, nets: readonly BenchNet[]): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const missing = (await checkNetworks(ns, nets, { owned: true })).length;
    const t = performance.now();
    if (missing === 0) return t;
    if (t > deadline) throw new IncorrectError(`${missing} shim(s) still without their address 30 s after READY=1`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A small random pause so trials never lock into step with a timer of the daemon's. */
export function jitter(maxMs: number): number {
  return Math.random() * maxMs;
}
