// Scenario 5, a carrier storm: the parent of N shims loses and regains its
// carrier `rate` times a second for `seconds` (its veth peer set down/up by
// one `ip -batch` fed line by line, so the toggling itself costs no spawns).
// Measured: reconciles per second (each run starts with one
// `ip … address show` dump; an `ip` wrapper first on the daemon's PATH
// counts them, so the figure is kernel dumps, ≥ runs), CPU the daemon used
// (itself and its `ip` children), and how long after the last toggle the
// kernel is correct.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** Daemon's kernel dumps (≥ reconcile runs) during the storm and until quiet. */
  dumps: number;
  dumpsPerSecond: number;
  maxDumpsInASecond: number;
  /** Runs counted from the daemon's per-run debug line (RUN_LINE_RE), null when it logs none. */
  runs: number | null;
  runsPerSecond: number | null;
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

function makeWrapper(ctx: Ctx): { dir: string; calls: string } {
  const dir = mkdtempSync(join(ctx.work, 'ipwrap-'));
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  // /bin/sh (dash on Debian) starts in about a millisecond; O_APPEND keeps concurrent lines whole.
  writeFileSync(join(dir, 'ip'), `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${IP}' "$@"\n`);
  chmodSync(join(dir, 'ip'), 0o755);
  return { dir, calls };
}

function countDumps(calls: string): number {
  if (!existsSync(calls)) return 0;
  return readFileSync(calls, 'utf8').split('\n').filter((l) => / address show/.test(l)).length;
}

export async function storm(ctx: Ctx, shims: number, seconds: number, rate: number, debounceMs: number): Promise<StormResult> {
  const nets = networks(shims, shims);
  const wrap = makeWrapper(ctx);
  return withSession(ctx, nets, { tag: 'storm', pathPrefix: wrap.dir, debounceMs, logLevel: 'debug' }, async (s) => {
    const mon = s.monitor;
    if (mon === undefined) throw new Error('storm without a monitor');
    const peer = nets[0]?.peer ?? 'vq1';
    const toggler = track(spawn(nsExec(s.ns)[0] ?? IP, [...nsExec(s.ns).slice(1), IP, '-batch', '-'], { stdio: ['pipe', 'ignore', 'inherit'] }));
    const togglerDone = new Promise<number | null>((res) => toggler.on('exit', (code) => res(code)));
    const ev0 = mon.mark();
    const log0 = s.daemon.log.length;
    const dumps0 = countDumps(wrap.calls);
    const perSecond: number[] = [];
    let lastCount = dumps0;
    const sampler = setInterval(() => {
      const c = countDumps(wrap.calls);
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
    const dumps = countDumps(wrap.calls) - dumps0;
    const cpuSelfMs = ticksToMs(c1.self - c0.self);
    const cpuChildrenMs = ticksToMs(c1.children - c0.children);
    const runLines = s.daemon.log.slice(log0).filter((l) => RUN_LINE_RE.test(l.line)).length;
    const r: StormResult = {
      shims, seconds, rate, flips, debounceMs,
      kernelEvents: mon.since(ev0).length,
      dumps,
      dumpsPerSecond: dumps / ((tEnd - t0) / 1000),
      maxDumpsInASecond: Math.max(0, ...perSecond),
      runs: runLines > 0 ? runLines : null,
      runsPerSecond: runLines > 0 ? runLines / ((tEnd - t0) / 1000) : null,
      boundPerSecond: 1000 / debounceMs,
      cpuSelfMs, cpuChildrenMs,
      cpuPercent: ((cpuSelfMs + cpuChildrenMs) / wall) * 100,
      writes: s.daemon.writesSince(log0).length,
      correctAfterMs,
    };
    ctx.say(`  storm: ${flips} flips in ${seconds} s → ${r.kernelEvents} kernel events, ${dumps} daemon dumps (${r.dumpsPerSecond.toFixed(1)}/s, max ${r.maxDumpsInASecond} in a second), CPU ${r.cpuPercent.toFixed(1)}% of a core, ${r.writes} writes, correct ${correctAfterMs.toFixed(0)} ms after`);
    return r;
  });
}
