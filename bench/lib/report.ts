// Results → issue 6's targets with PASS/MISS, a scaling table, and the
// Markdown a user reads (bench/results/latest.md) next to the JSON.

import type { ColdResult, NodeCold } from '../scenarios/cold.js';
import type { ReplugResult } from '../scenarios/replug.js';
import type { SessionResult } from '../scenarios/session.js';
import type { StormResult } from '../scenarios/storm.js';
import type { EditResult } from '../scenarios/edit.js';
import type { EngineBenchResult } from '../scenarios/engine.js';
import { growthExponent, type Summary } from './stats.js';
import { ticksToMs } from './sh.js';

export interface Meta {
  date: string;
  host: string;
  kernel: string;
  node: string;
  iproute2: string;
  cpus: string;
  commit: string;
  mode: 'full' | 'smoke' | 'baseline-only';
  args: string[];
  ns: number[];
  durationSeconds: number;
  /** 1-minute load average when the run started and when it ended: a busy machine shows here. */
  loadStart: number;
  loadEnd: number;
}

export interface Results {
  meta: Meta;
  cold: ColdResult[];
  sessions: SessionResult[];
  replug?: ReplugResult;
  storm?: StormResult;
  edit?: EditResult;
  engine?: EngineBenchResult[];
  /** Why the bench failed (the daemon was wrong, or a scenario broke). */
  errors: string[];
}

export type Verdict = 'PASS' | 'MISS' | 'not run' | 'n/a' | 'too few trials';

export interface TargetRow {
  id: string;
  figure: string;
  n: string;
  target: string;
  measured: string;
  baseline: string;
  ratio: string;
  verdict: Verdict;
}

const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const x2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);
const mib = (kib: number | undefined): string => (kib === undefined || !Number.isFinite(kib) ? '—' : `${(kib / 1024).toFixed(1)} MiB`);
const spread = (s: Summary | null | undefined, f: (x: number) => string = ms): string =>
  s ? `${f(s.median)} (${f(s.min)}–${f(s.max)}, n=${s.n})` : '—';
const verdict = (ok: boolean): Verdict => (ok ? 'PASS' : 'MISS');

const HEAL_MIN_TRIALS = 200;
/** Above this growth exponent a figure is called worse than linear. */
export const SCALING_MAX_K = 1.25;
/** RSS growth after the heals still counted as noise: 10 % of the RSS after start. */
export const RSS_NOISE = 0.1;
/** "CPU ≈ 0" while idle: at most 0.1 % of one core. */
export const IDLE_CPU_MAX_PERCENT = 0.1;

/**
 * No timer firing: either next to nothing, or CPU in a single slice of the
 * first half of the window (V8's heap reducer runs once, seconds after start;
 * a timer would show again in the second half).
 */
function idleQuiet(i: { cpuPercent: number; slicesMs?: number[] }): boolean {
  if (i.cpuPercent <= IDLE_CPU_MAX_PERCENT) return true;
  const slices = i.slicesMs ?? [];
  const busy = slices.map((x, k) => (x > 0 ? k : -1)).filter((k) => k >= 0);
  return busy.length === 1 && (busy[0] ?? Infinity) < slices.length / 2;
}

export function targets(r: Results): TargetRow[] {
  const rows: TargetRow[] = [];
  const cold100 = r.cold.find((c) => c.n === 100);
  for (const c of r.cold) {
    const at100 = c.n === 100;
    rows.push({
      id: '1a', figure: 'cold start → READY=1, ratio to the recipe (same work)', n: String(c.n), target: at100 ? '≤ 0.2×' : '(at N=100)',
      measured: spread(c.daemon), baseline: `${spread(c.recipeSame)}; full recipe ${ms(c.recipeFull.median)}`,
      ratio: c.ratioSame ? `${x2(c.ratioSame.median)} (${x2(c.ratioSame.min)}–${x2(c.ratioSame.max)}); full ${x2(c.ratioFull?.median)}` : '—',
      verdict: !c.ratioSame ? 'not run' : at100 ? verdict(c.ratioSame.median <= 0.2) : 'n/a',
    });
    if (c.noProbe && c.probeRatio && c.daemon) {
      rows.push({
        id: '1d', figure: 'cold start: what the ARP probe before use costs (flatnetd / flatnetd --no-arp-probe)', n: String(c.n),
        target: '(reported)', measured: `${spread(c.daemon)} vs ${spread(c.noProbe)}: +${ms(c.daemon.median - c.noProbe.median)}`,
        baseline: '', ratio: `${x2(c.probeRatio.median)} (${x2(c.probeRatio.min)}–${x2(c.probeRatio.max)})`, verdict: 'n/a',
      });
    }
    if (c.address && c.addressRatio && c.noProbe) {
      rows.push({
        id: '1e', figure: 'cold start → every shim address on, with the probe (it follows READY=1), vs READY=1 without the probe', n: String(c.n),
        target: '(reported)', measured: `${spread(c.address)} vs ${spread(c.noProbe)}: +${ms(c.address.median - c.noProbe.median)}`,
        baseline: '', ratio: `${x2(c.addressRatio.median)} (${x2(c.addressRatio.min)}–${x2(c.addressRatio.max)})`, verdict: 'n/a',
      });
    }
    if (c.floor) {
      rows.push({
        id: '1c', figure: 'cold start floor: bare Node start + one `ip -batch` of the same writes (no Node daemon on iproute2 can be faster)', n: String(c.n),
        target: '(reported)', measured: `${ms(c.floor.node.median)} + ${ms(c.floor.batch.median)} = ${ms(c.floor.node.median + c.floor.batch.median)}`,
        baseline: spread(c.recipeSame), ratio: `${x2(c.floor.ratio.median)} (${x2(c.floor.ratio.min)}–${x2(c.floor.ratio.max)})`, verdict: 'n/a',
      });
    }
    if (at100) {
      rows.push({
        id: '1b', figure: 'cold start → READY=1, absolute', n: '100', target: '≤ 1 s', measured: spread(c.daemon), baseline: '', ratio: '',
        verdict: c.daemon ? verdict(c.daemon.median <= 1000) : 'not run',
      });
    }
  }
  if (r.cold.length > 0 && cold100 === undefined) {
    rows.push({ id: '1', figure: 'cold start at N=100', n: '100', target: '≤ 0.2×, ≤ 1 s', measured: '', baseline: '', ratio: '', verdict: 'not run' });
  }
  for (const s of r.sessions) {
    const h = s.heal;
    if (h) {
      const few = h.trials < HEAL_MIN_TRIALS;
      rows.push({
        id: '2a', figure: `heal: owned shim deleted → back with address and route (${h.trials} trials)`, n: String(s.n), target: 'p50 ≤ 20 ms, p99 ≤ 50 ms',
        measured: `p50 ${ms(h.ms.median)}, p99 ${ms(h.ms.p99)}, max ${ms(h.ms.max)}`, baseline: `recipe by hand ${ms(h.recipe.median)} (no detection)`,
        ratio: x2(h.ratio.median), verdict: few ? 'too few trials' : verdict(h.ms.median <= 20 && h.ms.p99 <= 50),
      });
    }
  }
  if (r.replug) {
    const p = r.replug;
    rows.push({
      id: '2b', figure: `parent deleted and re-created → all its shims back (${p.trials} trials)`, n: String(p.shims), target: 'p99 ≤ 100 ms at N=10',
      measured: `p50 ${ms(p.ms.median)}, p99 ${ms(p.ms.p99)}`, baseline: `recipe by hand ${ms(p.recipe.median)}`, ratio: x2(p.ratio.median),
      verdict: p.shims === 10 ? verdict(p.ms.p99 <= 100) : 'n/a',
    });
  }
  for (const s of r.sessions) {
    const o = s.noop;
    if (!o) continue;
    const writes = o.writes + o.foreignWrites;
    rows.push({
      id: '3a', figure: `no-op reconcile: kernel writes (${o.trials} SIGHUP + ${o.foreignTrials} foreign events)`, n: String(s.n), target: '0 writes',
      measured: `${writes} writes logged, ${o.kernelEvents + o.foreignKernelEvents} kernel events`, baseline: '', ratio: '',
      verdict: verdict(writes === 0 && o.kernelEvents + o.foreignKernelEvents === 0),
    });
    rows.push({
      id: '3b', figure: `no-op reconcile duration (SIGHUP; ${o.runSource})`, n: String(s.n),
      target: s.n === 100 ? '≤ 20 ms' : '(at N=100)', measured: `${spread(o.runMs)}; whole reload ${ms(o.reloadMs.median)}`,
      baseline: `3 dumps alone ${ms(o.dumpsMs.median)}`, ratio: x2(o.ratio.median), verdict: s.n === 100 ? verdict(o.runMs.median <= 20) : 'n/a',
    });
    if (o.foreignRunMs) {
      rows.push({
        id: '3c', figure: 'no-op reconcile duration after a foreign kernel event (daemon run line)', n: String(s.n),
        target: s.n === 100 ? '≤ 20 ms' : '(at N=100)', measured: spread(o.foreignRunMs), baseline: `3 dumps alone ${ms(o.dumpsMs.median)}`, ratio: '',
        verdict: s.n === 100 ? verdict(o.foreignRunMs.median <= 20) : 'n/a',
      });
    }
  }
  for (const s of r.sessions) {
    const i = s.idle;
    if (i) {
      rows.push({
        id: '4a', figure: `idle CPU over ${i.seconds} s (itself + its ip children)`, n: String(s.n), target: `≈ 0: ≤ ${IDLE_CPU_MAX_PERCENT}% of a core, or one burst in the first half (a one-off, not a timer); no events`,
        measured: `${(i.cpuSelfMs + i.cpuChildrenMs).toFixed(0)} ms = ${i.cpuPercent.toFixed(3)}% (per 5 s: ${(i.slicesMs ?? []).map((x) => x.toFixed(0)).join(', ')} ms); ${i.kernelEvents} kernel events, ${i.logLines} log lines`,
        baseline: 'recipe: no process', ratio: '', verdict: verdict(idleQuiet(i) && i.kernelEvents === 0),
      });
    }
    if (i && s.heal) {
      const growth = (s.heal.rssAfterKiB - i.rssStartKiB) / i.rssStartKiB;
      rows.push({
        id: '4b', figure: `RSS after start → after ${s.heal.trials} heals`, n: String(s.n), target: `no growth beyond noise (≤ ${RSS_NOISE * 100}%)`,
        measured: `${mib(i.rssStartKiB)} → ${mib(s.heal.rssAfterKiB)} (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%)`, baseline: '', ratio: '',
        verdict: s.heal.trials < 1000 ? 'too few trials' : verdict(growth <= RSS_NOISE),
      });
      const tl = s.heal.rssTimelineKiB ?? [];
      const mid = tl[Math.floor(tl.length / 2) - 1];
      const end = tl[tl.length - 1];
      if (mid !== undefined && end !== undefined && tl.length >= 4) {
        const late = (end - mid) / mid;
        rows.push({
          id: '4c', figure: `RSS over the second half of the heals (leak check; every 100 heals: ${tl.map((k) => (k / 1024).toFixed(0)).join(', ')} MiB)`, n: String(s.n),
          target: `flat (≤ ${RSS_NOISE * 50}%)`, measured: `${mib(mid)} → ${mib(end)} (${late >= 0 ? '+' : ''}${(late * 100).toFixed(1)}%)`, baseline: '', ratio: '',
          verdict: verdict(late <= RSS_NOISE / 2),
        });
      }
    }
  }
  if (r.storm) {
    const st = r.storm;
    const perSec = st.runsPerSecond;
    rows.push({
      id: '5a', figure: `storm: ${st.flips} carrier flips in ${st.seconds} s on a parent with ${st.shims} shims — reconciles/s (daemon run lines)`, n: String(st.shims),
      target: `≤ ${st.boundPerSecond.toFixed(0)}/s (debounce ${st.debounceMs} ms)`,
      measured: `${perSec.toFixed(1)}/s (max ${st.maxRunsInASecond} in a second); ${st.kernelEvents} kernel events; ${st.writes} writes`,
      baseline: '', ratio: '', verdict: verdict(perSec <= st.boundPerSecond && st.maxRunsInASecond <= st.boundPerSecond),
    });
    rows.push({
      id: '5b', figure: 'storm: CPU used (itself + its ip children)', n: String(st.shims), target: '(reported)',
      measured: `${(st.cpuSelfMs + st.cpuChildrenMs).toFixed(0)} ms = ${st.cpuPercent.toFixed(1)}% of a core`, baseline: '', ratio: '', verdict: 'n/a',
    });
    rows.push({
      id: '5c', figure: 'storm: correct state after the last flip', n: String(st.shims), target: '≤ 1 s',
      measured: ms(st.correctAfterMs), baseline: '', ratio: '', verdict: verdict(st.correctAfterMs <= 1000),
    });
  }
  if (r.edit) {
    const e = r.edit;
    const shipped = e.runs.find((x) => x.settleArg === null);
    const before = e.runs.find((x) => x.settleArg === 200);
    const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !(b > 0) ? '—' : x2(a / b));
    rows.push({
      id: '7', figure: 'edit: a drop-in saved (renamed in) → the shim\'s new address in the kernel, settle time as shipped', n: String(e.n),
      target: '(reported: the settle time is the price of never applying a half-written file)',
      measured: shipped ? `${ms(shipped.ms.median)} (${ms(shipped.ms.min)}–${ms(shipped.ms.max)}, n = ${shipped.ms.n})` : '—',
      baseline: `by hand ${ms(e.recipe.median)}; --settle-ms 200 ${ms(before?.ms.median)}`,
      ratio: `${ratio(shipped?.ms.median, e.recipe.median)} by hand; ${ratio(shipped?.ms.median, before?.ms.median)} the 200 ms debounce`, verdict: 'n/a',
    });
  }
  for (const e of r.engine ?? []) {
    rows.push({
      id: '15a', figure: 'engine: cold start → READY=1 with the engine\'s socket present (fake engine, N engine networks)', n: String(e.n),
      target: 'no worse than without an engine', measured: spread(e.coldEngine), baseline: `--no-engine ${spread(e.coldNoEngine)}`,
      ratio: spread(e.coldRatio, x2), verdict: verdict(e.coldRatio.median <= 1.1),
    });
    rows.push({
      id: '15b', figure: 'engine: spawn → attached (negotiate, event stream, every network inspected)', n: String(e.n),
      target: '(reported)', measured: spread(e.attachMs), baseline: '', ratio: '', verdict: 'n/a',
    });
    rows.push({
      id: '15c', figure: `engine: idle CPU over ${e.idleSeconds} s, attached to a silent engine; Engine API calls in the window`, n: String(e.n),
      target: `≈ 0 (≤ ${IDLE_CPU_MAX_PERCENT} % of a core, or within 2 clock ticks of the window without an engine); 0 calls (no polling)`,
      measured: `${e.idleEngine.cpuMs.toFixed(0)} ms (${e.idleEngine.cpuPercent.toFixed(3)} %); ${e.idleEngineCalls} calls, ${e.idleStreams} stream`,
      baseline: `--no-engine ${e.idleNoEngine.cpuMs.toFixed(0)} ms (${e.idleNoEngine.cpuPercent.toFixed(3)} %)`, ratio: '',
      // /proc counts CPU in ticks of 10 ms: one tick either way over 30 s is 0.03 %.
      verdict: verdict(e.idleEngineCalls === 0 && (e.idleEngine.cpuPercent <= IDLE_CPU_MAX_PERCENT || e.idleEngine.cpuMs - e.idleNoEngine.cpuMs <= ticksToMs(2))),
    });
  }
  for (const g of scaling(r)) {
    if (!Number.isFinite(g.k)) continue;
    rows.push({
      id: '6', figure: `scaling of ${g.figure}`, n: `${g.n1}→${g.n2}`, target: `close to linear (k ≤ ${SCALING_MAX_K})`,
      measured: `${g.v1} → ${g.v2}: k = ${g.k.toFixed(2)}`, baseline: '', ratio: `${(g.t2 / g.t1).toFixed(1)}× for ${(g.n2 / g.n1).toFixed(0)}× N`,
      verdict: verdict(g.k <= SCALING_MAX_K),
    });
  }
  return rows;
}

export interface Growth { figure: string; n1: number; n2: number; t1: number; t2: number; v1: string; v2: string; k: number }

interface Series { figure: string; points: [number, number][]; fmt: (x: number) => string }

function series(r: Results): Series[] {
  const out: Series[] = [
    { figure: 'cold start (flatnetd)', points: r.cold.flatMap((c) => (c.daemon ? [[c.n, c.daemon.median] as [number, number]] : [])), fmt: ms },
    { figure: 'cold start (recipe, same work)', points: r.cold.map((c) => [c.n, c.recipeSame.median] as [number, number]), fmt: ms },
    { figure: 'heal p50', points: r.sessions.flatMap((s) => (s.heal ? [[s.n, s.heal.ms.median] as [number, number]] : [])), fmt: ms },
    { figure: 'heal p99', points: r.sessions.flatMap((s) => (s.heal ? [[s.n, s.heal.ms.p99] as [number, number]] : [])), fmt: ms },
    { figure: 'no-op reconcile', points: r.sessions.flatMap((s) => (s.noop ? [[s.n, s.noop.runMs.median] as [number, number]] : [])), fmt: ms },
    { figure: 'no-op reload (SIGHUP, whole)', points: r.sessions.flatMap((s) => (s.noop ? [[s.n, s.noop.reloadMs.median] as [number, number]] : [])), fmt: ms },
    { figure: 'RSS after start', points: r.sessions.flatMap((s) => (s.idle ? [[s.n, s.idle.rssStartKiB] as [number, number]] : [])), fmt: mib },
  ];
  return out.filter((s) => s.points.length > 0);
}

/** Growth between the two largest N measured for each figure. */
export function scaling(r: Results): Growth[] {
  return series(r).flatMap((s) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const a = pts[pts.length - 2];
    const b = pts[pts.length - 1];
    if (a === undefined || b === undefined) return [];
    return [{ figure: s.figure, n1: a[0], n2: b[0], t1: a[1], t2: b[1], v1: s.fmt(a[1]), v2: s.fmt(b[1]), k: growthExponent(a[0], a[1], b[0], b[1]) }];
  });
}

/** Issue 18's goals on Node 22: N=1 → READY=1 ≤ 100 ms; N=100 ≤ 0.35× the recipe (same work). */
export const NODE22_N1_MS = 100;
export const NODE22_N100_RATIO = 0.35;

/** Cold start under each Node of `--node`, side by side, against the same rounds of the recipe. */
function byNodeSection(r: Results): string[] {
  const cold = r.cold.filter((c) => (c.byNode?.length ?? 0) > 1);
  if (cold.length === 0) return [];
  const out = ['## Cold start by Node version (issue 18)', ''];
  out.push('The daemon started under each Node in the same rounds, in a rotating order, against the same recipe runs: ratios are per round against the recipe (same work) of that round. The unit\'s `CacheDirectory=` is given to every Node as the unit gives it; Node ≥ 22.1 keeps its compile cache there (primed by one untimed start, as after the first boot), Node 20 has none.', '');
  const rows: string[][] = [];
  for (const c of cold) {
    for (const b of c.byNode ?? []) {
      rows.push([String(c.n), b.build !== undefined ? `${b.node}, build ${b.build}` : b.node, spread(b.daemon), b.ratioSame ? `${x2(b.ratioSame.median)} (${x2(b.ratioSame.min)}–${x2(b.ratioSame.max)})` : '—',
        x2(b.ratioFull?.median), ms(b.phases?.started), ms(b.bare?.median), spread(c.recipeSame)]);
    }
  }
  out.push(table(['N', 'Node', 'cold start → READY=1', 'ratio to recipe (same work)', 'ratio to full recipe', '`starting` logged', 'bare `node -e 0`', 'recipe (same work)'], rows), '');
  const goals: string[][] = [];
  const on22 = (n: number): NodeCold | undefined => cold.find((c) => c.n === n)?.byNode?.find((b) => b.node.startsWith('v22.') && b.build === undefined);
  const n1 = on22(1);
  if (n1?.daemon) goals.push(['N=1 on Node 22', `≤ ${NODE22_N1_MS} ms`, ms(n1.daemon.median), `**${verdict(n1.daemon.median <= NODE22_N1_MS)}**`]);
  const n100 = on22(100);
  if (n100?.ratioSame) goals.push(['N=100 on Node 22', `≤ ${NODE22_N100_RATIO}× the recipe (same work)`, x2(n100.ratioSame.median), `**${verdict(n100.ratioSame.median <= NODE22_N100_RATIO)}**`]);
  if (goals.length > 0) out.push(table(['Goal', 'Target', 'Measured', 'Verdict'], goals), '');
  return out;
}

function table(head: string[], rows: string[][]): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

export function markdown(r: Results): string {
  const m = r.meta;
  const rows = targets(r);
  const misses = rows.filter((t) => t.verdict === 'MISS');
  const out: string[] = [];
  out.push(`# flatnetd benchmark — ${m.date} on ${m.host}`, '');
  out.push(`${m.mode} run, N = ${m.ns.join(', ')}, ${Math.round(m.durationSeconds)} s. Linux ${m.kernel}, Node ${m.node}, ${m.iproute2}, ${m.cpus}. Commit ${m.commit}.`);
  out.push(`Load average (1 min) ${m.loadStart.toFixed(1)} at the start, ${m.loadEnd.toFixed(1)} at the end, on ${m.cpus.split(' ')[0] ?? '?'} CPUs: other work on the machine shows up in the spreads and the p99s.`);
  out.push(`Command: \`node dist/bench/run.js ${m.args.join(' ')}\` (root; \`npm run bench\`).`, '');
  if (r.errors.length > 0) {
    out.push('## FAILED: the daemon was not correct, or a scenario broke', '', ...r.errors.map((e) => `- ${e}`), '');
  }
  out.push(`**${rows.filter((t) => t.verdict === 'PASS').length} PASS, ${misses.length} MISS** against issue 6's targets.`, '');
  out.push('Every figure comes from network namespaces on this machine. The baseline is `bench/baseline.sh`, the seeds\' recipe as one `ip` command per step, run in the same invocation and alternated with flatnetd round by round; ratios are per round (flatnetd ÷ recipe), shown as median (min–max). Times are medians (min–max, n = samples) unless marked p50/p99.', '');
  out.push('## Targets (issue 6)', '');
  out.push(table(['#', 'Figure', 'N', 'Target', 'Measured', 'Baseline (same run)', 'Ratio', 'Verdict'],
    rows.map((t) => [t.id, t.figure, t.n, t.target, t.measured, t.baseline, t.ratio, t.verdict === 'PASS' || t.verdict === 'MISS' ? `**${t.verdict}**` : t.verdict])));
  out.push('');
  out.push(...byNodeSection(r));
  const ser = series(r);
  if (ser.length > 0) {
    out.push('## Scaling', '');
    const ns = [...new Set(ser.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
    const g = scaling(r);
    out.push(table(['Figure', ...ns.map((n) => `N=${n}`), 'growth k (last two N)'], ser.map((s) => [
      s.figure, ...ns.map((n) => { const p = s.points.find((q) => q[0] === n); return p ? s.fmt(p[1]) : '—'; }),
      (() => { const x = g.find((y) => y.figure === s.figure); return x && Number.isFinite(x.k) ? x.k.toFixed(2) : '—'; })(),
    ])));
    out.push('', 'k is the exponent in t ∝ Nᵏ between the two largest N: 1 is linear, 2 quadratic; fixed costs (Node starting) pull it below 1.', '');
  }
  const phases: string[] = [];
  for (const c of r.cold) {
    if (c.phases) phases.push(`- cold start N=${c.n}: \`starting\` logged ${ms(c.phases.started)} after the spawn (Node up, modules loaded), first kernel write through at ${ms(c.phases.firstWrite)}, READY=1 at ${ms(c.phases.ready)} (medians).`);
  }
  for (const s of r.sessions) {
    const h = s.heal;
    if (h) phases.push(`- heal N=${s.n}: deleted → flatnetd's \`ip -batch\` logged: median ${ms(h.toBatch.median)} (event, observe, plan: at ≥ 100 links only the links the events touched are dumped again, else everything through the living \`ip -json -batch\`); → whole again: ${ms(h.ms.median)}. CPU per heal ${ms(h.cpuPerHealMs)}, ${h.writesPerHeal.toFixed(1)} writes per heal.`);
  }
  if (phases.length > 0) out.push('## Where the time goes', '', ...phases, '');
  const worst = [...r.sessions].filter((s) => s.heal && s.heal.slowest.length > 0).sort((a, b) => (b.heal?.ms.p99 ?? 0) - (a.heal?.ms.p99 ?? 0))[0];
  const slow = worst?.heal?.slowest[0];
  if (worst && slow) {
    out.push(`Slowest heal at N=${worst.n} (${ms(slow.ms)}, ${slow.shim}), kernel events and flatnetd's log on one clock:`, '', '```', ...slow.trace, '```', '');
  }
  out.push('## How each figure is taken', '');
  out.push('- **Cold start**: a fresh namespace per try, with the veth parents already there. flatnetd: spawn of `ip netns exec NS node dist/bundle/flatnetd.js` (the bundle the packages ship) (with `CACHE_DIRECTORY` as the unit sets it) → `READY=1` on a NOTIFY_SOCKET the bench owns, then the kernel is checked at once (every shim a macvlan on its parent, up, with its /32, its route proto 233 and its `flatnet:` alias). Recipe (same work): `baseline.sh --parents existing`, the four shim steps per network. Recipe (full): it also creates each parent (a veth standing in for the 802.1Q parent this kernel cannot make).');
  out.push('- **Heal**: `ip link del shimI` from outside; timed on the bench\'s own `ip -ts monitor` from the kernel\'s "Deleted" to the last of link up, address and route coming back. The baseline is the recipe re-run by hand for that network in a twin namespace, with no detection delay at all.');
  out.push('- **Replug**: the parent (a veth, all shims on it) deleted, re-created 150–250 ms later; timed from the parent\'s return to the last shim whole.');
  out.push('- **No-op**: SIGHUP → `RELOADING=1` … `READY=1` re-reads every drop-in, then runs one reconcile; the reconcile alone is timed from the daemon\'s per-run debug line when it logs one, else from the last line the config load logged to `READY=1`; writes counted from the daemon\'s info log (one line per kernel write) and from the bench\'s `ip monitor` (must stay silent). A foreign event (the loopback\'s MTU changed) triggers runs that must write nothing too. Baseline: the dumps flatnetd reads, each run by the bench as its own \`ip\` (what every reconcile cost before the dump session).');
  out.push('- **Namespaces**: one fresh namespace per try (`fnb-<pid>-…`, always deleted); IPv6 DAD off in them (`accept_dad=0`), since each link\'s link-local address would otherwise be announced about a second later, in the middle of the next trial.');
  out.push('- **Idle**: VmRSS from /proc/PID/status; CPU from /proc/PID/stat (utime+stime, plus cutime+cstime for its reaped `ip` children, plus utime+stime of the living ones: `ip monitor`, the dump session and the spares started ahead for the next look and the next batch), WATCHDOG_USEC=60 s as the unit sets.');
  out.push('- **Storm**: the parent\'s veth peer set down/up by one `ip -batch` fed line by line; reconciles counted from the daemon\'s per-run debug line.');
  out.push('');
  return `${out.join('\n')}\n`;
}
