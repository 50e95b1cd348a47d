// When the loop runs (reconcile/triggers.ts), on its own: runs never
// overlap, triggers during a run coalesce into one more run, kernel events
// are debounced (a lone one at once), and a troubled run is retried with a
// doubling back-off that kernel events also wait out.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log.js';
import { FIRST_EVENT_MS, QUIET_MS, RETRY_MAX_MS, RETRY_MIN_MS, Triggers, type RunReport } from '../../../src/reconcile/triggers.js';

const OK: RunReport = { troubled: false, retryWhat: '', wrote: false };
const TROUBLED: RunReport = { troubled: true, retryWhat: 'lan again', wrote: false };

interface Rig {
  triggers: Triggers;
  /** fresh flag of every run started, in order. */
  runs: boolean[];
  /** Runs in flight at once, at most. */
  overlap: { now: number; max: number };
  clock: { mono: number; wall: number };
  logs: string[];
  /** Resolve the run in flight with this report. */
  finish: (r: RunReport | null) => void;
  reports: RunReport[];
}

function rig(opts: { debounceMs?: number; hold?: boolean } = {}): Rig {
  const clock = { mono: 1000, wall: 1_000_000 };
  const runs: boolean[] = [];
  const overlap = { now: 0, max: 0 };
  const logs: string[] = [];
  const reports: RunReport[] = [];
  let release: ((r: RunReport | null) => void) | null = null;
  const log = { ...silentLogger, info: (l: string) => { logs.push(l); }, error: (l: string) => { logs.push(l); } };
  const triggers = new Triggers({
    run: async (fresh) => {
      runs.push(fresh);
      overlap.now++;
      overlap.max = Math.max(overlap.max, overlap.now);
      const r = opts.hold === true ? await new Promise<RunReport | null>((res) => { release = res; }) : (reports.shift() ?? OK);
      overlap.now--;
      return r;
    },
    log,
    kernelDebounceMs: opts.debounceMs ?? 50,
    now: () => clock.mono,
    wallNow: () => clock.wall,
  });
  return { triggers, runs, overlap, clock, logs, reports, finish: (r) => { const f = release; release = null; f?.(r); } };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('runs never overlap: three requests during a run are one more run, and each caller waits for a run that started after it asked', async () => {
  const r = rig({ hold: true });
  const first = r.triggers.request();
  await tick();
  assert.equal(r.runs.length, 1);
  let later = 0;
  const during = [r.triggers.request(), r.triggers.request(), r.triggers.request()].map((p) => p.then(() => { later++; }));
  await tick();
  assert.equal(r.triggers.running, true);
  r.finish(OK);
  await first;
  await tick();
  assert.equal(later, 0, 'the three waited for the next run, not the one in flight');
  assert.equal(r.runs.length, 2);
  r.finish(OK);
  await Promise.all(during);
  assert.equal(r.runs.length, 2, 'coalesced into one');
  assert.equal(r.overlap.max, 1);
  assert.equal(r.triggers.running, false);
});

test('a lone kernel event runs at once (FIRST_EVENT_MS) on the event-fed view; a stream waits for the debounce', async (t: TestContext) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const r = rig({ debounceMs: 50 });
  await r.triggers.request();
  r.triggers.kernelEvent();
  t.mock.timers.tick(FIRST_EVENT_MS);
  await tick();
  assert.deepEqual(r.runs, [true, false], 'the first run observes afresh; a lone event: a run at once, on the event-fed view');
  // The next event comes within QUIET_MS of the last one: part of a stream.
  r.clock.mono += QUIET_MS - 1;
  r.triggers.kernelEvent();
  t.mock.timers.tick(FIRST_EVENT_MS);
  await tick();
  assert.equal(r.runs.length, 2, 'a stream is not acted on at once');
  t.mock.timers.tick(50);
  await tick();
  assert.equal(r.runs.length, 3, 'debounced');
});

test('a troubled run is retried after 1 s, then 2 s, … up to the maximum; a good run resets it; kernel events wait the back-off out', async (t: TestContext) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const r = rig({ debounceMs: 50 });
  r.reports.push(TROUBLED, TROUBLED, TROUBLED);
  await r.triggers.request();
  assert.deepEqual(r.logs, [`will try again in ${RETRY_MIN_MS / 1000} s: lan again`]);
  // An echo of our own writes during the back-off waits for it.
  r.clock.mono += 1000;
  r.triggers.kernelEvent();
  t.mock.timers.tick(RETRY_MIN_MS - 1);
  await tick();
  assert.equal(r.runs.length, 1, 'nothing before the back-off is over');
  t.mock.timers.tick(1);
  await tick();
  assert.equal(r.runs.length, 3, 'the retry (fresh) and the event (from the event-fed view) both ran once it was over');
  assert.deepEqual(r.logs.slice(1), [`will try again in ${(2 * RETRY_MIN_MS) / 1000} s: lan again`]);
  t.mock.timers.tick(2 * RETRY_MIN_MS);
  await tick();
  assert.equal(r.runs.length, 4);
  assert.ok(r.logs.length >= 2);
  // The next one is good: the back-off starts from the beginning again.
  r.reports.push(TROUBLED);
  await r.triggers.request();
  assert.equal(r.logs.at(-1), `will try again in ${RETRY_MIN_MS / 1000} s: lan again`);
  assert.ok(RETRY_MAX_MS >= 60_000);
});

test('stop waits for the run in flight and nothing starts after it', async () => {
  const r = rig({ hold: true });
  const p = r.triggers.request();
  await tick();
  const stopped = r.triggers.stop();
  let done = false;
  void stopped.then(() => { done = true; });
  await tick();
  assert.equal(done, false, 'stop waits for the batch in flight');
  r.finish(OK);
  await stopped;
  await p;
  await r.triggers.request();
  r.triggers.kernelEvent();
  assert.equal(r.runs.length, 1, 'no run after stop');
});

test('a run that throws is logged and the whole reconcile retried', async (t: TestContext) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const logs: string[] = [];
  let runs = 0;
  const triggers = new Triggers({
    run: async () => { runs++; if (runs === 1) throw new Error('ip died'); return OK; },
    log: { ...silentLogger, info: (l: string) => { logs.push(l); }, error: (l: string) => { logs.push(l); } },
    kernelDebounceMs: 50,
  });
  await triggers.request();
  assert.deepEqual(logs, ['reconcile failed: ip died', `will try again in ${RETRY_MIN_MS / 1000} s: the whole reconcile`]);
  t.mock.timers.tick(RETRY_MIN_MS);
  await tick();
  assert.equal(runs, 2);
});
