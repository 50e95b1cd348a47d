// Scenario engine (issue 15): what following a container engine costs. The
// fake engine of the unit tier (test/fake/fake-engine.ts) listens on a unix
// socket and lists an engine network for each of the N drop-ins; flatnetd is
// started on the same N networks with that socket and without any engine
// (--no-engine), alternating, in one invocation:
//
// - cold start: spawn → READY=1 with the engine's socket present (the engine
//   is followed after the first reconcile, so it must not cost READY=1), and
//   spawn → `engine: attached`;
// - idle: CPU over a window with the engine attached and silent (its /events
//   stream held open), against the same window without an engine, and the
//   calls the engine received in it (no polling: 0).

import { join } from 'node:path';
import { IncorrectError } from '../lib/check.js';
import { cpuTicks, sleep, ticksToMs } from '../lib/sh.js';
import { summarize, type Summary } from '../lib/stats.js';
import { networks, type BenchNet } from '../lib/topology.js';
import { FakeEngine } from '../../test/fake/fake-engine.js';
import { withSession, type Ctx, type Session } from './common.js';

export interface EngineIdle {
  cpuMs: number;
  cpuPercent: number;
}

export interface EngineBenchResult {
  n: number;
  rounds: number;
  /** Spawn → READY=1, ms. */
  coldNoEngine: Summary;
  coldEngine: Summary;
  /** READY=1 with the engine / without, per round. */
  coldRatio: Summary;
  /** Spawn → `engine: attached` (negotiation, event stream, N network inspects), ms. */
  attachMs: Summary;
  idleSeconds: number;
  idleNoEngine: EngineIdle;
  idleEngine: EngineIdle;
  /** Engine API calls in the idle window (the stream stays open: it is not a call). */
  idleEngineCalls: number;
  idleStreams: number;
}

async function waitLine(s: Session, re: RegExp, timeoutMs: number): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const l = s.daemon.log.find((x) => re.test(x.line));
    if (l !== undefined) return l.t - s.daemon.spawnedAt;
    if (performance.now() > end) throw new IncorrectError(`flatnetd never logged ${re}`);
    await sleep(5);
  }
}

/** Until the engine has had no call for `quietMs`. */
async function quietEngine(engine: FakeEngine, quietMs: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  let n = engine.calls.length;
  let since = performance.now();
  while (performance.now() - since < quietMs) {
    if (performance.now() > end) throw new IncorrectError(`the engine was still being asked after ${timeoutMs} ms (${engine.calls.length} calls)`);
    await sleep(50);
    if (engine.calls.length !== n) {
      n = engine.calls.length;
      since = performance.now();
    }
  }
}

async function idleCpu(s: Session, seconds: number): Promise<EngineIdle> {
  const c0 = cpuTicks(s.daemon.pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = cpuTicks(s.daemon.pid);
  if (c0 === null || c1 === null) throw new IncorrectError('flatnetd is gone (no /proc entry)');
  const cpuMs = ticksToMs(c1.self + c1.children - c0.self - c0.children);
  return { cpuMs, cpuPercent: (cpuMs / (performance.now() - t0)) * 100 };
}

function fakeEngineFor(dir: string, nets: readonly BenchNet[]): FakeEngine {
  const engine = new FakeEngine(join(dir, 'docker.sock'));
  for (const n of nets) engine.addNetwork(n.name, `net-${n.name}`, n.parent);
  return engine;
}

export async function engineBench(ctx: Ctx, n: number, rounds: number, idleSeconds: number): Promise<EngineBenchResult> {
  const nets = networks(n);
  const engine = fakeEngineFor(ctx.work, nets);
  await engine.start();
  const withEngine = ['--engine-socket', engine.socket];
  const cold: number[] = [];
  const coldE: number[] = [];
  const attach: number[] = [];
  let idleNoEngine: EngineIdle = { cpuMs: NaN, cpuPercent: NaN };
  let idleEngine: EngineIdle = { cpuMs: NaN, cpuPercent: NaN };
  let idleEngineCalls = NaN;
  let idleStreams = NaN;
  try {
    for (let r = 0; r < rounds; r++) {
      const last = r === rounds - 1;
      // Alternated, so a load change on the machine falls on both.
      cold.push(await withSession(ctx, nets, { tag: `eng0-${r}`, monitor: false, extraArgs: ['--no-engine'] }, async (s) => {
        if (last && idleSeconds > 0) {
          await sleep(1000);
          idleNoEngine = await idleCpu(s, idleSeconds);
        }
        return s.readyMs;
      }));
      const got = await withSession(ctx, nets, { tag: `eng1-${r}`, monitor: false, extraArgs: withEngine }, async (s) => {
        const a = await waitLine(s, /engine: attached to /, 30_000);
        if (last && idleSeconds > 0) {
          // The attach inspects every network after the `attached` line: the window starts once they are done.
          await quietEngine(engine, 1000, 60_000);
          const calls0 = engine.calls.length;
          idleEngine = await idleCpu(s, idleSeconds);
          idleEngineCalls = engine.calls.length - calls0;
          idleStreams = engine.streamCount();
        }
        return { ready: s.readyMs, attach: a };
      });
      coldE.push(got.ready);
      attach.push(got.attach);
    }
  } finally {
    await engine.stop();
  }
  const res: EngineBenchResult = {
    n, rounds,
    coldNoEngine: summarize(cold), coldEngine: summarize(coldE),
    coldRatio: summarize(coldE.map((x, i) => x / (cold[i] ?? NaN))),
    attachMs: summarize(attach),
    idleSeconds, idleNoEngine, idleEngine, idleEngineCalls, idleStreams,
  };
  ctx.say(`  engine N=${n}: READY=1 ${res.coldEngine.median.toFixed(0)} ms with the engine's socket, ${res.coldNoEngine.median.toFixed(0)} ms without (${res.coldRatio.median.toFixed(2)}×); attached at ${res.attachMs.median.toFixed(0)} ms; idle ${idleSeconds} s: ${idleEngine.cpuMs.toFixed(0)} ms CPU attached, ${idleNoEngine.cpuMs.toFixed(0)} ms without; ${idleEngineCalls} engine calls, ${idleStreams} stream open`);
  return res;
}
