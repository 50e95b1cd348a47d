// Scenario 5, a carrier storm: the parent of N shims loses and regains its
// carrier `rate` times a second for `seconds` (its veth peer set down/up by
// one `ip -batch` fed line by line, so the toggling itself costs no spawns).
// Measured: reconciles per second (the daemon's per-run debug line; it runs
// at debug level here), CPU the daemon used (itself and its `ip` children,
// the living ones included), and how long after the last toggle the kernel
// is correct.

import { spawn } from 'node:child_process';
import { checkNetworks, IncorrectError } from '../lib/check.js';
import { RUN_LINE_RE } from '../lib/daemon.js';
import { nsExec, track } from '../lib/netns.js';
import { cpuTicks, IP, sleep, ticksToMs } from '../lib/sh.js';
import { networks } from '../lib/topology.js';
import { withSession, type Ctx } from './common.js';

export interface StormResult {
  shims: number;
  seconds: number;
  /** Carrier changes per second asked for (each one a flip: down or up). */
  rate: number;
  flips: number;
  debounceMs: number;
  kernelEvents: number;
  /** Runs counted from the daemon's per-run debug line (RUN_LINE_RE), during the storm and until quiet. */
  runs: number;
  runsPerSecond: number;
  maxRunsInASecond: number;
  /** The debounce's bound on runs per second: 1000 / debounceMs. */
  boundPerSecond: number;
  cpuSelfMs: number;
  cpuChildrenMs: number;
  /** Share of one core over the storm window, %. */
  cpuPercent: number;
  writes: number;
  /** Last toggle → kernel seen correct, ms. */
  correctAfterMs: number;
}

function runLines(s: { daemon: { log: readonly { line: string }[] } }, from: number): number {
  let n = 0;
  for (let i = from; i < s.daemon.log.length; i++) if (RUN_LINE_RE.test(s.daemon.log[i]?.line ?? '')) n++;
  return n;
}

export async function storm(ctx: Ctx, shims: number, seconds: number, rate: number, debounceMs: number): Promise<StormResult> {
  const nets = networks(shims, shims);
  return withSession(ctx, nets, { tag: 'storm', debounceMs, logLevel: 'debug' }, async (s) => {
    const mon = s.monitor;
    if (mon === undefined) throw new Error('storm without a monitor');
    const peer = nets[0]?.peer ?? 'vq1';
    const toggler = track(spawn(nsExec(s.ns)[0] ?? IP, [...nsExec(s.ns).slice(1), IP, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] }));
    const togglerDone = new Promise<number | null>((res) => toggler.on('exit', (code) => res(code)));
    const ev0 = mon.mark();
    const log0 = s.daemon.log.length;
    const perSecond: number[] = [];
    let lastCount = 0;
    const sampler = setInterval(() => {
      const c = runLines(s, log0);
      perSecond.push(c - lastCount);
      lastCount = c;
    }, 1000);
    const c0 = cpuTicks(s.daemon.pid);
    const t0 = performance.now();
    const flips = Math.round(rate * seconds) + (Math.round(rate * seconds) % 2);
    for (let k = 0; k < flips; k++) {
      const due = t0 + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      // Even flips take the carrier away, odd ones give it back: the storm ends with it up.
      toggler.stdin?.write(`link set ${peer} ${k % 2 === 0 ? 'down' : 'up'}\n`);
    }
    toggler.stdin?.end();
    const code = await togglerDone;
    if (code !== 0) throw new Error(`ip -batch toggling ${peer} exited ${code ?? 'by signal'}`);
    const tEnd = performance.now();
    let correctAfterMs = NaN;
    let problems: string[] = [];
    while (performance.now() - tEnd < 5000) {
      problems = await checkNetworks(s.ns, nets, { owned: true });
      if (problems.length === 0) { correctAfterMs = performance.now() - tEnd; break; }
      await sleep(20);
    }
    if (problems.length > 0) throw new IncorrectError(`storm: not correct 5 s after the last toggle: ${problems.slice(0, 5).join('; ')}`);
    await mon.quiet(300);
    clearInterval(sampler);
    const c1 = cpuTicks(s.daemon.pid);
    const wall = performance.now() - t0;
    if (c0 === null || c1 === null) throw new IncorrectError('storm: flatnetd is gone');
    const runs = runLines(s, log0);
    if (runs === 0) throw new IncorrectError('storm: flatnetd logged no reconcile run (is it at debug level?)');
    const cpuSelfMs = ticksToMs(c1.self - c0.self);
    const cpuChildrenMs = ticksToMs(c1.children - c0.children);
    const r: StormResult = {
      shims, seconds, rate, flips, debounceMs,
      kernelEvents: mon.since(ev0).length,
      runs,
      runsPerSecond: runs / ((tEnd - t0) / 1000),
      maxRunsInASecond: Math.max(0, ...perSecond),
      boundPerSecond: 1000 / debounceMs,
      cpuSelfMs, cpuChildrenMs,
      cpuPercent: ((cpuSelfMs + cpuChildrenMs) / wall) * 100,
      writes: s.daemon.writesSince(log0).length,
      correctAfterMs,
    };
    ctx.say(`  storm: ${flips} flips in ${seconds} s → ${r.kernelEvents} kernel events, ${runs} reconciles (${r.runsPerSecond.toFixed(1)}/s, max ${r.maxRunsInASecond} in a second), CPU ${r.cpuPercent.toFixed(1)}% of a core, ${r.writes} writes, correct ${correctAfterMs.toFixed(0)} ms after`);
    return r;
  });
}
