// Scenario 1, cold start: process start → READY=1 with every link correct,
// against the seeds' recipe run in the same round. Each try gets a fresh
// namespace; the order of the three tries rotates every round so drift on a
// shared machine falls on all of them alike.
//
//   recipe, full      baseline.sh creates the parents too (what a user types)
//   recipe, same work baseline.sh on parents that already exist: exactly the
//                     work flatnetd does here (it cannot create a veth; on a
//                     real host it would also create the 802.1Q parent)
//   flatnetd          node dist/bundle/flatnetd.js → READY=1 on our NOTIFY_SOCKET
//   flatnetd, no ARP  the same with --no-arp-probe: what asking the LAN before
//                     assigning shim addresses (RFC 5227, issue 17) costs
//   floor             what no Node daemon writing through iproute2 can beat:
//                     Node starting and exiting (`node -e 0`, same flags),
//                     plus one `ip -batch` of exactly the same writes
//
// With more than one Node (--node 20,22), each round also starts the daemon
// under each of the others (and times their bare start), in the same rotation:
// the Nodes side by side against the same rounds of the recipe.

import { assertCorrect, IncorrectError } from '../lib/check.js';
import { WRITE_LINE_RE, type BenchNode } from '../lib/daemon.js';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { IP, run } from '../lib/sh.js';
import { createNs, deleteNs, nsExec } from '../lib/netns.js';
import { pairedRatios, summarize, type Summary } from '../lib/stats.js';
import { createParents, networks, settle, shimLines } from '../lib/topology.js';
import { mustBaseline, withSession, type Ctx } from './common.js';

type Kind = 'daemon' | 'daemonNoProbe' | 'recipeSame' | 'recipeFull';

/** The daemon's cold start under one Node, against the same rounds' recipe. */
export interface NodeCold {
  node: string;
  /** Another build's daemon (`b6252fe`), or absent for this tree's. */
  build?: string;
  /** Whether the unit's CacheDirectory= was given (the compile cache, where Node has one). */
  cache: boolean;
  samples: number[];
  daemon: Summary | null;
  ratioSame: Summary | null;
  ratioFull: Summary | null;
  phases: { started: number; firstWrite: number; ready: number } | null;
  /** `node -e 0` with the same flags. */
  bare: Summary | null;
}

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
  /** Spawn → every shim address on, with the probe (the addresses follow READY=1 by the probe's answer). */
  address?: Summary | null;
  /** That, over the same round's READY=1 without the probe (where the addresses come with READY=1). */
  addressRatio?: Summary | null;
  /** Tries that left the kernel wrong (the run fails; the other tries' figures stand). */
  failures: string[];
  /** Medians of the daemon's phases (ms after the spawn). */
  phases: { started: number; firstWrite: number; ready: number } | null;
  /** Bare Node start (`node -e 0` in the namespace), one `ip -batch` of the same writes, and their sum over the recipe (same work), per round. */
  floor: { node: Summary; batch: Summary; ratio: Summary } | null;
  /** Every Node the daemon ran under, the first being the one `daemon` is about. */
  byNode?: NodeCold[];
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
async function nodeStart(ctx: Ctx, node: string = process.execPath, flags: readonly string[] = NODE_FLAGS): Promise<number> {
  const ns = await createNs('cold-node');
  try {
    const r = await run([...nsExec(ns), node, ...flags, '-e', '0']);
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
  /** Every shim address on (after its ARP probe answered; READY=1 itself with --no-arp-probe). */
  address: number;
}

async function daemon(ctx: Ctx, n: number, phases: ColdPhases[], node?: BenchNode, extraArgs: string[] = []): Promise<number> {
  return withSession(ctx, networks(n), { tag: 'cold-d', monitor: false, extraArgs, ...(node !== undefined ? { node } : {}) }, async (s) => {
    const at = (re: RegExp): number => (s.daemon.log.find((l) => re.test(l.line))?.t ?? NaN) - s.daemon.spawnedAt;
    phases.push({ started: at(/ starting; /), firstWrite: at(WRITE_LINE_RE), ready: s.readyMs, address: s.addressMs });
    return s.readyMs;
  });
}

const label = (node: BenchNode): string => `${node.version}${node.entryLabel !== undefined ? ` @${node.entryLabel}` : ''}`;

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
  // The other Nodes: sample i of each belongs to round i, like the recipe's (NaN when a try was wrong).
  const others = ctx.baselineOnly ? [] : ctx.nodes.slice(1).map((node) => ({ node, samples: [] as number[], phases: [] as ColdPhases[], bare: [] as number[] }));
  for (let r = 0; r < rounds; r++) {
    for (const kind of ORDERS[r % ORDERS.length] ?? []) {
      if ((kind === 'daemon' || kind === 'daemonNoProbe') && ctx.baselineOnly) continue;
      const tries = kind === 'daemon' ? [null, ...others] : [null];
      // Which Node goes first turns round by round too.
      for (const o of kind === 'daemon' && r % 2 === 1 ? tries.reverse() : tries) {
        try {
          const ms = kind === 'daemon' ? await daemon(ctx, n, o?.phases ?? phases, o?.node ?? ctx.nodes[0])
            : kind === 'daemonNoProbe' ? await daemon(ctx, n, noProbePhases, ctx.nodes[0], ['--no-arp-probe'])
            : await recipe(ctx, n, kind === 'recipeFull' ? 'create' : 'existing');
          (o?.samples ?? samples[kind]).push(ms);
        } catch (e) {
          // Wrong is recorded (and fails the run) but the other rounds still give their figures.
          if (!(e instanceof IncorrectError)) throw e;
          failures.push(`round ${r + 1}, ${kind}${o ? ` (Node ${label(o.node)})` : ''}: ${e.message}`);
          o?.samples.push(NaN);
        }
      }
    }
    if (!ctx.baselineOnly) {
      floorNode.push(await nodeStart(ctx, ctx.nodes[0]?.node));
      for (const o of others) o.bare.push(await nodeStart(ctx, o.node.node, o.node.flags));
      floorBatch.push(await oneBatch(ctx, n));
    }
    const last = (k: Kind): string => (samples[k].length ? `${(samples[k][samples[k].length - 1] ?? 0).toFixed(0)} ms` : '-');
    const more = others.map((o) => `, under ${label(o.node)} ${(o.samples[o.samples.length - 1] ?? NaN).toFixed(0)} ms`).join('');
    ctx.say(`  cold N=${n} round ${r + 1}/${rounds}: flatnetd ${last('daemon')}${more} (no ARP probe ${last('daemonNoProbe')}), recipe same-work ${last('recipeSame')}, full ${last('recipeFull')}`);
  }
  const hasDaemon = samples.daemon.length > 0;
  const nodeCold = (node: BenchNode, s: number[], ph: ColdPhases[], bare: number[]): NodeCold => {
    const ok = s.filter((x) => Number.isFinite(x));
    return {
      node: node.version,
      ...(node.entryLabel !== undefined ? { build: node.entryLabel } : {}),
      cache: node.cacheDir !== null,
      samples: s,
      daemon: ok.length > 0 ? summarize(ok) : null,
      ratioSame: ok.length > 0 && s.length === samples.recipeSame.length ? summarize(pairedRatios(s, samples.recipeSame).filter((x) => Number.isFinite(x))) : null,
      ratioFull: ok.length > 0 && s.length === samples.recipeFull.length ? summarize(pairedRatios(s, samples.recipeFull).filter((x) => Number.isFinite(x))) : null,
      phases: ph.length > 0 ? {
        started: summarize(ph.map((p) => p.started)).median,
        firstWrite: summarize(ph.map((p) => p.firstWrite)).median,
        ready: summarize(ph.map((p) => p.ready)).median,
      } : null,
      bare: bare.length > 0 ? summarize(bare) : null,
    };
  };
  const first = ctx.nodes[0];
  const byNode = ctx.baselineOnly || first === undefined || others.length === 0 ? undefined
    : [nodeCold(first, samples.daemon, phases, floorNode), ...others.map((o) => nodeCold(o.node, o.samples, o.phases, o.bare))];
  return {
    ...(byNode !== undefined ? { byNode } : {}),
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
    address: phases.length > 0 ? summarize(phases.map((p) => p.address)) : null,
    addressRatio: phases.length > 0 && phases.length === samples.daemonNoProbe.length
      ? summarize(pairedRatios(phases.map((p) => p.address), samples.daemonNoProbe)) : null,
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
