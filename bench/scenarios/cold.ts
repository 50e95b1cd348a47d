// Scenario 1, cold start: process start → READY=1 with every link correct,
// against the seeds' recipe run in the same round. Each try gets a fresh
// namespace; the order of the three tries rotates every round so drift on a
// shared machine falls on all of them alike.
//
//   recipe, full      baseline.sh creates the parents too (what a user types)
//   recipe, same work baseline.sh on parents that already exist: exactly the
//                     work flatnetd does here (it cannot create a veth; on a
//                     real host it would also create the 802.1Q parent)
//   flatnetd          node dist/src/main.js → READY=1 on our NOTIFY_SOCKET
//   flatnetd, no ARP  the same with --no-arp-probe: what asking the LAN before
//                     assigning shim addresses (RFC 5227, issue 17) costs
//   floor             what no Node daemon writing through iproute2 can beat:
//                     Node starting and exiting (`node -e 0`, same flags),
//                     plus one `ip -batch` of exactly the same writes

import { assertCorrect, IncorrectError } from '../lib/check.js';
import { WRITE_LINE_RE } from '../lib/daemon.js';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { IP, run } from '../lib/sh.js';
import { createNs, deleteNs, nsExec } from '../lib/netns.js';
import { pairedRatios, summarize, type Summary } from '../lib/stats.js';
import { createParents, networks, settle, shimLines } from '../lib/topology.js';
import { mustBaseline, withSession, type Ctx } from './common.js';

type Kind = 'daemon' | 'daemonNoProbe' | 'recipeSame' | 'recipeFull';

export interface ColdResult {
  n: number;
  rounds: number;
  samples: Record<Kind, number[]>;
  daemon: Summary | null;
  recipeSame: Summary;
  recipeFull: Summary;
  /** flatnetd / recipe (same work), per round. */
  ratioSame: Summary | null;
  ratioFull: Summary | null;
  /** flatnetd without the ARP probe, and flatnetd / that per round (absent in results from before issue 17). */
  noProbe?: Summary | null;
  probeRatio?: Summary | null;
  /** Tries that left the kernel wrong (the run fails; the other tries' figures stand). */
  failures: string[];
  /** Medians of the daemon's phases (ms after the spawn). */
  phases: { started: number; firstWrite: number; ready: number } | null;
  /** Bare Node start (`node -e 0` in the namespace), one `ip -batch` of the same writes, and their sum over the recipe (same work), per round. */
  floor: { node: Summary; batch: Summary; ratio: Summary } | null;
}

async function recipe(ctx: Ctx, n: number, parents: 'create' | 'existing'): Promise<number> {
  const nets = networks(n);
  const ns = await createNs(parents === 'create' ? 'cold-full' : 'cold-same');
  try {
    if (parents === 'existing') {
      await createParents(ns, nets);
      await settle(ns);
    }
    const ms = await mustBaseline(ns, n, { parents });
    await assertCorrect(`recipe (${parents} parents) N=${n}`, ns, nets, { owned: false });
    return ms;
  } finally {
    await deleteNs(ns, ctx.probe);
  }
}

/** `ip netns exec NS node <flags> -e 0`: Node's own start and exit, as the daemon is started. */
async function nodeStart(ctx: Ctx): Promise<number> {
  const ns = await createNs('cold-node');
  try {
    const r = await run([...nsExec(ns), process.execPath, ...NODE_FLAGS, '-e', '0']);
    if (r.code !== 0) throw new Error(`node -e 0 exited ${r.code}: ${r.stderr.trim()}`);
    return r.ms;
  } finally {
    await deleteNs(ns, ctx.probe);
  }
}

/** The recipe's writes for N networks as one `ip -batch`, on parents that exist (timed alone). */
async function oneBatch(ctx: Ctx, n: number): Promise<number> {
  const nets = networks(n);
  const ns = await createNs('cold-batch');
  try {
    await createParents(ns, nets);
    await settle(ns);
    const r = await run([IP, '-n', ns, '-batch', '-'], { input: `${shimLines(nets).join('\n')}\n` });
    if (r.code !== 0) throw new Error(`ip -batch of the shim steps exited ${r.code}: ${r.stderr.trim()}`);
    await assertCorrect(`one ip -batch N=${n}`, ns, nets, { owned: false });
    return r.ms;
  } finally {
    await deleteNs(ns, ctx.probe);
  }
}

/** Where a cold start's time goes, from the daemon's info log (ms after the spawn). */
export interface ColdPhases {
  /** Node up, modules loaded, options read: the `starting` line. */
  started: number;
  /** First kernel write logged: the first batch is through (observe, plan, one `ip -batch`). */
  firstWrite: number;
  ready: number;
}

async function daemon(ctx: Ctx, n: number, phases: ColdPhases[], extraArgs: string[] = []): Promise<number> {
  return withSession(ctx, networks(n), { tag: 'cold-d', monitor: false, extraArgs }, async (s) => {
    const at = (re: RegExp): number => (s.daemon.log.find((l) => re.test(l.line))?.t ?? NaN) - s.daemon.spawnedAt;
    phases.push({ started: at(/ starting; /), firstWrite: at(WRITE_LINE_RE), ready: s.readyMs });
    return s.readyMs;
  });
}

const ORDERS: Kind[][] = [
  ['recipeSame', 'daemon', 'recipeFull', 'daemonNoProbe'],
  ['daemon', 'daemonNoProbe', 'recipeFull', 'recipeSame'],
  ['recipeFull', 'daemonNoProbe', 'recipeSame', 'daemon'],
];

export async function coldStart(ctx: Ctx, n: number, rounds: number): Promise<ColdResult> {
  const samples: Record<Kind, number[]> = { daemon: [], daemonNoProbe: [], recipeSame: [], recipeFull: [] };
  const floorNode: number[] = [];
  const floorBatch: number[] = [];
  const phases: ColdPhases[] = [];
  const noProbePhases: ColdPhases[] = [];
  const failures: string[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of ORDERS[r % ORDERS.length] ?? []) {
      if ((kind === 'daemon' || kind === 'daemonNoProbe') && ctx.baselineOnly) continue;
      try {
        const ms = kind === 'daemon' ? await daemon(ctx, n, phases)
          : kind === 'daemonNoProbe' ? await daemon(ctx, n, noProbePhases, ['--no-arp-probe'])
          : await recipe(ctx, n, kind === 'recipeFull' ? 'create' : 'existing');
        samples[kind].push(ms);
      } catch (e) {
        // Wrong is recorded (and fails the run) but the other rounds still give their figures.
        if (!(e instanceof IncorrectError)) throw e;
        failures.push(`round ${r + 1}, ${kind}: ${e.message}`);
      }
    }
    if (!ctx.baselineOnly) {
      floorNode.push(await nodeStart(ctx));
      floorBatch.push(await oneBatch(ctx, n));
    }
    const last = (k: Kind): string => (samples[k].length ? `${(samples[k][samples[k].length - 1] ?? 0).toFixed(0)} ms` : '-');
    ctx.say(`  cold N=${n} round ${r + 1}/${rounds}: flatnetd ${last('daemon')} (no ARP probe ${last('daemonNoProbe')}), recipe same-work ${last('recipeSame')}, full ${last('recipeFull')}`);
  }
  const hasDaemon = samples.daemon.length > 0;
  return {
    n,
    rounds,
    samples,
    failures,
    daemon: hasDaemon ? summarize(samples.daemon) : null,
    recipeSame: summarize(samples.recipeSame),
    recipeFull: summarize(samples.recipeFull),
    ratioSame: hasDaemon ? summarize(pairedRatios(samples.daemon, samples.recipeSame)) : null,
    ratioFull: hasDaemon ? summarize(pairedRatios(samples.daemon, samples.recipeFull)) : null,
    noProbe: samples.daemonNoProbe.length > 0 ? summarize(samples.daemonNoProbe) : null,
    probeRatio: hasDaemon && samples.daemonNoProbe.length > 0 ? summarize(pairedRatios(samples.daemon, samples.daemonNoProbe)) : null,
    phases: hasDaemon ? {
      started: summarize(phases.map((p) => p.started)).median,
      firstWrite: summarize(phases.map((p) => p.firstWrite)).median,
      ready: summarize(phases.map((p) => p.ready)).median,
    } : null,
    floor: floorNode.length > 0 && floorNode.length === samples.recipeSame.length ? {
      node: summarize(floorNode),
      batch: summarize(floorBatch),
      ratio: summarize(pairedRatios(floorNode.map((x, i) => x + (floorBatch[i] ?? NaN)), samples.recipeSame)),
    } : null,
  };
}
