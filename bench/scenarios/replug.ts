// Scenario 2b, a NIC replugged: the parent (with N shims on it) is deleted,
// and re-created a moment later (a USB NIC, a VLAN re-made by another tool).
// Timed on the bench's `ip monitor` from the parent's return to the last shim
// whole again. Baseline: the recipe re-run by hand for those N networks.

import { assertCorrect, IncorrectError } from '../lib/check.js';
import { shimBackAt } from '../lib/monitor.js';
import { createNs, deleteNs, ipBatch, mustIp } from '../lib/netns.js';
import { sleep } from '../lib/sh.js';
import { pairedRatios, summarize, type Summary } from '../lib/stats.js';
import { createParents, createShims, networks, type BenchNet } from '../lib/topology.js';
import { jitter, mustBaseline, withSession, type Ctx, type Session } from './common.js';

export interface ReplugResult {
  shims: number;
  trials: number;
  ms: Summary;
  samples: number[];
  recipe: Summary;
  recipeSamples: number[];
  ratio: Summary;
}

function parentOf(nets: readonly BenchNet[]): { parent: string; peer: string } {
  const first = nets[0];
  if (first === undefined) throw new Error('no networks');
  return { parent: first.parent, peer: first.peer };
}

const replugLines = (p: { parent: string; peer: string }): string[] =>
  [`link add ${p.parent} type veth peer name ${p.peer}`, `link set ${p.peer} up`, `link set ${p.parent} up`];

async function replugOnce(s: Session): Promise<number> {
  const mon = s.monitor;
  if (mon === undefined) throw new Error('replug without a monitor');
  const p = parentOf(s.nets);
  await mustIp(s.ns, ['link', 'del', p.parent]);
  // Unplugged for a moment: long enough for the daemon to see the parent gone.
  await sleep(150 + jitter(100));
  const from = mon.mark();
  await ipBatch(s.ns, replugLines(p));
  const plugged = await mon.next(from, (e) => e.kind === 'link' && !e.deleted && e.name === p.parent, 5000);
  const all = (): number | null => {
    let last = 0;
    for (const n of s.nets) {
      const at = shimBackAt(mon.since(from), n.shim, n.address, n.range);
      if (at === null) return null;
      last = Math.max(last, at);
    }
    return last;
  };
  await mon.next(from, () => all() !== null, 10_000)
    .catch(() => { throw new IncorrectError(`${p.parent} re-created: not all ${s.nets.length} shims back within 10 s`); });
  return (all() ?? NaN) - plugged.t;
}

async function recipeOnce(ns: string, nets: readonly BenchNet[]): Promise<number> {
  const p = parentOf(nets);
  await mustIp(ns, ['link', 'del', p.parent]);
  await ipBatch(ns, replugLines(p));
  return mustBaseline(ns, nets.length, { parents: 'existing', perParent: nets.length });
}

export async function replug(ctx: Ctx, shims: number, trials: number): Promise<ReplugResult> {
  const nets = networks(shims, shims);
  return withSession(ctx, nets, { tag: 'replug' }, async (s) => {
    const twin = await createNs('replug-recipe');
    try {
      await createParents(twin, nets);
      await createShims(twin, nets);
      const samples: number[] = [];
      const recipeSamples: number[] = [];
      const mine: number[] = [];
      const theirs: number[] = [];
      const block = 10;
      for (let i = 0; i < trials; i++) {
        samples.push(await replugOnce(s));
        await s.monitor?.quiet(100);
        if ((i + 1) % block === 0 || i === trials - 1) {
          const rs = [await recipeOnce(twin, nets), await recipeOnce(twin, nets), await recipeOnce(twin, nets)];
          recipeSamples.push(...rs);
          mine.push(summarize(samples.slice(-((i % block) + 1))).median);
          theirs.push(summarize(rs).median);
        }
      }
      await assertCorrect('after replugs', s.ns, nets, { owned: true });
      await assertCorrect('recipe twin after replugs', twin, nets, { owned: false });
      const r: ReplugResult = {
        shims, trials, ms: summarize(samples), samples,
        recipe: summarize(recipeSamples), recipeSamples,
        ratio: summarize(pairedRatios(mine, theirs)),
      };
      ctx.say(`  replug (${shims} shims on one parent): p50 ${r.ms.median.toFixed(1)} ms, p99 ${r.ms.p99.toFixed(1)} ms over ${trials}; recipe by hand ${r.recipe.median.toFixed(1)} ms`);
      return r;
    } finally {
      await deleteNs(twin, ctx.probe);
    }
  });
}
