// Scenarios 2 (heal), 3 (no-op reconcile) and 4 (idle) on one long-running
// flatnetd with N networks, in this order: idle window, heals, RSS after the
// heals, no-op reconciles. Heals are timed on the bench's own `ip monitor`
// from the kernel's "Deleted" of the shim to the last of link-up, address and
// route coming back; the baseline is the recipe re-run by hand for that one
// network in a twin namespace (no detection delay at all), alternated in
// blocks with the daemon's heals.

import { assertCorrect, IncorrectError } from '../lib/check.js';
import type { Monitor } from '../lib/monitor.js';
import { shimBackAt } from '../lib/monitor.js';
import { createNs, deleteNs, harmlessEvent, ip, mustIp } from '../lib/netns.js';
import { RUN_LINE_RE } from '../lib/daemon.js';
import { cpuTicks, rssKiB, sleep, ticksToMs, type CpuTicks } from '../lib/sh.js';
import { pairedRatios, summarize, type Summary } from '../lib/stats.js';
import { createParents, createShims, networks, type BenchNet } from '../lib/topology.js';
import { jitter, mustBaseline, withSession, type Ctx, type Session } from './common.js';

export interface SessionPlan {
  idleSeconds: number;
  heals: number;
  noops: number;
  foreign: number;
}

export interface IdleResult {
  seconds: number;
  rssStartKiB: number;
  /** CPU the daemon used in the idle window (ms), itself and its children. */
  cpuSelfMs: number;
  cpuChildrenMs: number;
  /** Share of one core over the window, %. */
  cpuPercent: number;
  kernelEvents: number;
  logLines: number;
  /** CPU ms in each 5 s slice of the window. */
  slicesMs: number[];
}

export interface HealResult {
  trials: number;
  ms: Summary;
  samples: number[];
  recipe: Summary;
  recipeSamples: number[];
  /** flatnetd heal median / recipe median, per block. */
  ratio: Summary;
  /** Deleted → the daemon's `ip -batch` logged (debounce, observe, plan); the rest is the batch itself. */
  toBatch: Summary;
  /** The slowest trials, kernel events and daemon log interleaved (ms after the delete). */
  slowest: { ms: number; shim: string; trace: string[] }[];
  cpuPerHealMs: number;
  rssAfterKiB: number;
  /** VmRSS after every 100 heals: a plateau is the heap finding its size, a slope is a leak. */
  rssTimelineKiB: number[];
  writesPerHeal: number;
}

export interface NoopResult {
  trials: number;
  /** RELOADING=1 → READY=1 after SIGHUP: re-reading N drop-ins plus one reconcile. */
  reloadMs: Summary;
  /**
   * The reconcile alone: the daemon's own per-run line when it logs one
   * (RUN_LINE_RE), else READY=1 minus the last line the config load logged
   * (its last drop-in diagnostic, or `reloading drop-ins`).
   */
  runMs: Summary;
  runSource: 'daemon run line' | 'log gap after the config load';
  /** Runs triggered by a foreign event, from the daemon's per-run line (empty without it). */
  foreignRunMs: Summary | null;
  /** The three dumps flatnetd reads, run by the bench: the floor of any observe. */
  dumpsMs: Summary;
  /** Reconcile alone / dumps alone, per trial. */
  ratio: Summary;
  writes: number;
  kernelEvents: number;
  foreignTrials: number;
  foreignWrites: number;
  foreignKernelEvents: number;
}

export interface SessionResult {
  n: number;
  readyMs: number;
  idle?: IdleResult;
  heal?: HealResult;
  noop?: NoopResult;
}

function need(m: Monitor | undefined): Monitor {
  if (m === undefined) throw new Error('session without a monitor');
  return m;
}

function cpuDelta(a: CpuTicks | null, b: CpuTicks | null): { self: number; children: number } {
  if (a === null || b === null) throw new IncorrectError('flatnetd is gone (no /proc entry)');
  return { self: ticksToMs(b.self - a.self), children: ticksToMs(b.children - a.children) };
}

async function idle(ctx: Ctx, s: Session, seconds: number): Promise<IdleResult> {
  const mon = need(s.monitor);
  await mon.quiet(500);
  await sleep(1000);
  const rssStartKiB = rssKiB(s.daemon.pid) ?? NaN;
  const ev0 = mon.mark();
  const log0 = s.daemon.log.length;
  const c0 = cpuTicks(s.daemon.pid);
  const t0 = performance.now();
  // CPU per 5 s slice: a one-off (V8 tidying its heap after start) looks different from a timer.
  const slices: number[] = [];
  let prev = c0;
  for (let done = 0; done < seconds; done += 5) {
    await sleep(Math.min(5, seconds - done) * 1000);
    const c = cpuTicks(s.daemon.pid);
    if (c !== null && prev !== null) slices.push(ticksToMs(c.self + c.children - prev.self - prev.children));
    prev = c;
  }
  const c1 = cpuTicks(s.daemon.pid);
  const wall = performance.now() - t0;
  const cpu = cpuDelta(c0, c1);
  const r: IdleResult = {
    seconds,
    rssStartKiB,
    cpuSelfMs: cpu.self,
    cpuChildrenMs: cpu.children,
    cpuPercent: ((cpu.self + cpu.children) / wall) * 100,
    kernelEvents: mon.since(ev0).length,
    logLines: s.daemon.log.length - log0,
    slicesMs: slices,
  };
  ctx.say(`  idle N=${s.nets.length}: RSS ${(rssStartKiB / 1024).toFixed(1)} MiB, CPU ${(cpu.self + cpu.children).toFixed(0)} ms in ${seconds} s (per 5 s: ${slices.map((x) => x.toFixed(0)).join(' ')}), ${r.kernelEvents} kernel events, ${r.logLines} log lines`);
  return r;
}

interface HealTrial {
  ms: number;
  /** Daemon log length when the trial began. */
  log0: number;
  /** Deleted → the daemon logged its `ip -batch` (debounce, observe, plan), ms. */
  toBatch: number;
  shim: string;
  trace: string[];
}

/** Deletes one owned shim and times its return on the monitor's clock. */
async function healOnce(s: Session, net: BenchNet): Promise<HealTrial> {
  const mon = need(s.monitor);
  const from = mon.mark();
  const log0 = s.daemon.log.length;
  await mustIp(s.ns, ['link', 'del', net.shim]);
  const gone = await mon.next(from, (e) => e.kind === 'link' && e.deleted && e.name === net.shim, 5000);
  const delAt = mon.events.indexOf(gone);
  await mon.next(delAt, () => shimBackAt(mon.since(delAt + 1), net.shim, net.address, net.range) !== null, 10_000)
    .catch(() => { throw new IncorrectError(`${net.shim} deleted and not back with address and route within 10 s`); });
  const at = shimBackAt(mon.since(delAt + 1), net.shim, net.address, net.range);
  if (at === null) throw new IncorrectError(`${net.shim}: heal seen then lost`);
  // Daemon log lines carry the bench's monotonic clock; the monitor's are wall clock.
  const wall = (t: number): number => performance.timeOrigin + t;
  const logs = s.daemon.log.slice(log0);
  const batch = logs.find((l) => l.line.startsWith('ip -batch ('));
  const rel = (t: number): string => `${(t - gone.t).toFixed(1).padStart(7)} ms`;
  const trace = [
    ...mon.since(delAt).filter((e) => e.t <= at).map((e) => ({ t: e.t, text: `kernel: ${e.text.slice(0, 100)}` })),
    ...logs.filter((l) => wall(l.t) <= at + 5).map((l) => ({ t: wall(l.t), text: `flatnetd: ${l.line.slice(0, 100)}` })),
  ].sort((a, b) => a.t - b.t).map((x) => `${rel(x.t)} ${x.text}`);
  return { ms: at - gone.t, log0, toBatch: batch === undefined ? NaN : wall(batch.t) - gone.t, shim: net.shim, trace };
}

/** Waits (polling) for a daemon log line at index ≥ from; false after timeoutMs. */
async function waitLog(s: Session, from: number, re: RegExp, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let i = from; ; ) {
    for (; i < s.daemon.log.length; i++) if (re.test(s.daemon.log[i]?.line ?? '')) return true;
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
}

/** The recipe for one network, re-run by hand after its shim was deleted. */
async function recipeHealOnce(ns: string, net: BenchNet): Promise<number> {
  await mustIp(ns, ['link', 'del', net.shim]);
  return mustBaseline(ns, net.index, { parents: 'existing', first: net.index });
}

async function heal(ctx: Ctx, s: Session, trials: number): Promise<HealResult> {
  const mon = need(s.monitor);
  const twin = await createNs('heal-recipe');
  try {
    await createParents(twin, s.nets);
    await createShims(twin, s.nets);
    const samples: number[] = [];
    const toBatch: number[] = [];
    const rssTimeline: number[] = [];
    let slowest: HealTrial[] = [];
    const recipeSamples: number[] = [];
    const blockRatios: number[][] = [[], []];
    const block = Math.max(10, Math.min(50, Math.floor(trials / 5)));
    const c0 = cpuTicks(s.daemon.pid);
    const log0 = s.daemon.log.length;
    let settle = 50;
    for (let i = 0; i < trials; i++) {
      const net = s.nets[(i * 7919) % s.nets.length];
      if (net === undefined) throw new Error('no network');
      const trial = await healOnce(s, net);
      const ms = trial.ms;
      samples.push(ms);
      toBatch.push(trial.toBatch);
      slowest = [...slowest, trial].sort((a, b) => b.ms - a.ms).slice(0, 3);
      // Trials must not overlap the daemon's work on the previous one: the
      // run that healed ends with `<net>: restored` (after re-observing), and
      // the events of its own writes then trigger one more run, about as
      // long as the time to the batch was.
      await waitLog(s, trial.log0, new RegExp(`^(?:<\\d>)?${net.name}: restored`), 10_000);
      settle = Math.max(30, 1.5 * (Number.isFinite(trial.toBatch) ? trial.toBatch : ms));
      await sleep(settle + jitter(20));
      if ((i + 1) % block === 0 || i === trials - 1) {
        const rs: number[] = [];
        for (let k = 0; k < Math.max(3, Math.floor(block / 5)); k++) {
          const rnet = s.nets[(i + k * 31) % s.nets.length];
          if (rnet === undefined) throw new Error('no network');
          rs.push(await recipeHealOnce(twin, rnet));
        }
        recipeSamples.push(...rs);
        const mine = samples.slice(-((i % block) + 1));
        blockRatios[0]?.push(summarize(mine).median);
        blockRatios[1]?.push(summarize(rs).median);
      }
      if ((i + 1) % 100 === 0) rssTimeline.push(rssKiB(s.daemon.pid) ?? NaN);
      if ((i + 1) % 100 === 0) ctx.say(`  heal N=${s.nets.length}: ${i + 1}/${trials}, median so far ${summarize(samples).median.toFixed(1)} ms`);
    }
    const c1 = cpuTicks(s.daemon.pid);
    const cpu = cpuDelta(c0, c1);
    const writes = s.daemon.writesSince(log0).length;
    await mon.quiet(500);
    await assertCorrect(`after ${trials} heals`, s.ns, s.nets, { owned: true });
    await assertCorrect(`recipe twin after heals`, twin, s.nets, { owned: false });
    await sleep(2000);
    const rssAfterKiB = rssKiB(s.daemon.pid) ?? NaN;
    const r: HealResult = {
      trials,
      ms: summarize(samples),
      samples,
      recipe: summarize(recipeSamples),
      recipeSamples,
      ratio: summarize(pairedRatios(blockRatios[0] ?? [], blockRatios[1] ?? [])),
      toBatch: summarize(toBatch),
      slowest: slowest.map((t) => ({ ms: t.ms, shim: t.shim, trace: t.trace })),
      cpuPerHealMs: (cpu.self + cpu.children) / trials,
      rssAfterKiB,
      rssTimelineKiB: rssTimeline,
      writesPerHeal: writes / trials,
    };
    ctx.say(`  heal N=${s.nets.length}: p50 ${r.ms.median.toFixed(1)} ms, p99 ${r.ms.p99.toFixed(1)} ms over ${trials}; recipe by hand ${r.recipe.median.toFixed(1)} ms; RSS after ${(rssAfterKiB / 1024).toFixed(1)} MiB`);
    return r;
  } finally {
    await deleteNs(twin, ctx.probe);
  }
}

async function dumpsOnce(ns: string): Promise<number> {
  const t0 = performance.now();
  const rs = await Promise.all([
    ip(ns, ['-N', '-details', '-json', 'address', 'show']),
    ip(ns, ['-N', '-details', '-json', '-4', 'route', 'show', 'table', 'all', 'type', 'unicast']),
    ip(ns, ['-N', '-details', '-json', '-6', 'route', 'show', 'table', 'all', 'type', 'unicast']),
  ]);
  if (rs.some((r) => r.code !== 0)) throw new Error(`dump failed in ${ns}`);
  return performance.now() - t0;
}

async function noop(ctx: Ctx, s: Session, trials: number, foreign: number): Promise<NoopResult> {
  const mon = need(s.monitor);
  const reload: number[] = [];
  const runs: number[] = [];
  const dumps: number[] = [];
  let fromRunLine = true;
  let writes = 0;
  let events = 0;
  for (let i = 0; i < trials; i++) {
    await mon.quiet(150);
    const ev0 = mon.mark();
    const log0 = s.daemon.log.length;
    const n0 = s.notify.mark();
    process.kill(s.daemon.pid, 'SIGHUP');
    const rel = await s.notify.waitFor('RELOADING=1', n0, 10_000);
    const ready = await s.notify.waitFor('READY=1', s.notify.messages.indexOf(rel) + 1, 10_000);
    reload.push(ready.t - rel.t);
    await mon.quiet(150);
    const logs = s.daemon.log.slice(log0);
    const runLine = logs.map((l) => RUN_LINE_RE.exec(l.line)).find((m) => m !== null);
    if (runLine?.[3] !== undefined) {
      runs.push(Number(runLine[3]));
    } else {
      fromRunLine = false;
      const loadEnd = logs.filter((l) => l.t <= ready.t && (/\.conf:\d+: /.test(l.line) || /reloading drop-ins/.test(l.line))).pop();
      runs.push(loadEnd === undefined ? NaN : ready.t - loadEnd.t);
    }
    writes += s.daemon.writesSince(log0).length;
    events += mon.since(ev0).length;
    dumps.push(await dumpsOnce(s.ns));
  }
  // A harmless foreign event (the loopback's MTU) triggers a run too: it must write nothing.
  let foreignWrites = 0;
  let foreignEvents = 0;
  const foreignRuns: number[] = [];
  for (let i = 0; i < foreign; i++) {
    await mon.quiet(150);
    const ev0 = mon.mark();
    const log0 = s.daemon.log.length;
    await harmlessEvent(s.ns);
    await sleep(300);
    await mon.quiet(150);
    foreignWrites += s.daemon.writesSince(log0).length;
    foreignEvents += mon.since(ev0).filter((e) => !(e.kind === 'link' && e.name === 'lo')).length;
    for (const l of s.daemon.log.slice(log0)) {
      const m = RUN_LINE_RE.exec(l.line);
      if (m?.[3] !== undefined) foreignRuns.push(Number(m[3]));
    }
  }
  await assertCorrect('after no-op reconciles', s.ns, s.nets, { owned: true });
  const r: NoopResult = {
    trials,
    reloadMs: summarize(reload),
    runMs: summarize(runs),
    runSource: fromRunLine && trials > 0 ? 'daemon run line' : 'log gap after the config load',
    foreignRunMs: foreignRuns.length > 0 ? summarize(foreignRuns) : null,
    dumpsMs: summarize(dumps),
    ratio: summarize(pairedRatios(runs, dumps)),
    writes,
    kernelEvents: events,
    foreignTrials: foreign,
    foreignWrites,
    foreignKernelEvents: foreignEvents,
  };
  ctx.say(`  no-op N=${s.nets.length}: reconcile ${r.runMs.median.toFixed(1)} ms (${r.runSource}; whole reload ${r.reloadMs.median.toFixed(1)} ms; dumps alone ${r.dumpsMs.median.toFixed(1)} ms), ${writes + foreignWrites} writes, ${events + foreignEvents} kernel events`);
  return r;
}

export async function session(ctx: Ctx, n: number, plan: SessionPlan): Promise<SessionResult> {
  // Debug level: the `ip -batch` line times the heal's phases (no-op runs log nothing either way).
  return withSession(ctx, networks(n), { tag: `sess${n}`, logLevel: 'debug' }, async (s) => {
    const out: SessionResult = { n, readyMs: s.readyMs };
    if (plan.idleSeconds > 0) out.idle = await idle(ctx, s, plan.idleSeconds);
    if (plan.heals > 0) out.heal = await heal(ctx, s, plan.heals);
    if (plan.noops > 0 || plan.foreign > 0) out.noop = await noop(ctx, s, plan.noops, plan.foreign);
    return out;
  });
}
