// Scenario edit (issue 12, item 11): what the settle time costs. A drop-in
// is edited as an editor saves it (written to a temporary name, renamed in:
// one change), and timed on the bench's own `ip monitor` from the rename to
// the kernel showing the shim's new address. The same edits run on flatnetd
// as shipped (--settle-ms default) and with --settle-ms 200 (the debounce
// before there was a settle time), in one invocation; the baseline is the
// same change made by hand (`ip address add` + `del`) in a twin namespace.

import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IncorrectError } from '../lib/check.js';
import type { Monitor } from '../lib/monitor.js';
import { createNs, deleteNs, mustIp } from '../lib/netns.js';
import { sleep } from '../lib/sh.js';
import { summarize, type Summary } from '../lib/stats.js';
import { createParents, createShims, dropIn, networks, type BenchNet } from '../lib/topology.js';
import { jitter, withSession, type Ctx } from './common.js';

export interface EditRun {
  /** --settle-ms given, or null: the shipped default. */
  settleArg: number | null;
  /** Rename → the new address in the kernel, ms. */
  ms: Summary;
  samples: number[];
}

export interface EditResult {
  n: number;
  trials: number;
  runs: EditRun[];
  /** The same change by hand: two `ip address` commands. */
  recipe: Summary;
}

/** The network's shim address moved by one (.192 ↔ .193), as an edit would. */
function moved(net: BenchNet, k: number): BenchNet {
  return k % 2 === 0 ? net : { ...net, address: net.address.replace(/\.192\/32$/, '.193/32') };
}

async function editOnce(mon: Monitor, dir: string, net: BenchNet, to: BenchNet): Promise<number> {
  const from = mon.mark();
  const file = join(dir, `${net.name}.conf`);
  writeFileSync(`${file}.tmp`, dropIn(to));
  const t0 = performance.timeOrigin + performance.now();
  renameSync(`${file}.tmp`, file);
  const got = await mon.next(from, (e) => e.kind === 'addr' && !e.deleted && e.dev === net.shim && e.cidr === to.address, 15_000)
    .catch(() => { throw new IncorrectError(`${net.name}: edited to ${to.address}, not in the kernel within 15 s`); });
  return got.t - t0;
}

export async function edit(ctx: Ctx, n: number, trials: number): Promise<EditResult> {
  const nets = networks(n);
  const runs: EditRun[] = [];
  for (const settleArg of [null, 200]) {
    const samples = await withSession(ctx, nets, { tag: `edit${settleArg ?? 'd'}`, ...(settleArg !== null ? { extraArgs: ['--settle-ms', String(settleArg)] } : {}) }, async (s) => {
      const mon = s.monitor;
      if (mon === undefined) throw new Error('edit needs the monitor');
      const out: number[] = [];
      for (let i = 0; i < trials; i++) {
        const net = nets[i % nets.length];
        if (net === undefined) throw new Error('no network');
        const round = Math.floor(i / nets.length);
        out.push(await editOnce(mon, s.dir, net, moved(net, round + 1)));
        // The old address goes in the same batch; let the daemon finish.
        await mon.quiet(150);
        await sleep(50 + jitter(50));
      }
      return out;
    });
    runs.push({ settleArg, ms: summarize(samples), samples });
    ctx.say(`  edit N=${n} (settle ${settleArg === null ? 'default' : `${settleArg} ms`}): median ${summarize(samples).median.toFixed(0)} ms over ${trials}`);
  }
  const twin = await createNs('edit-recipe');
  try {
    await createParents(twin, nets);
    await createShims(twin, nets);
    const recipe: number[] = [];
    for (let i = 0; i < trials; i++) {
      const net = nets[i % nets.length];
      if (net === undefined) throw new Error('no network');
      const round = Math.floor(i / nets.length);
      const was = moved(net, round);
      const to = moved(net, round + 1);
      const t0 = performance.now();
      await mustIp(twin, ['address', 'add', to.address, 'dev', net.shim]);
      await mustIp(twin, ['address', 'del', was.address, 'dev', net.shim]);
      recipe.push(performance.now() - t0);
    }
    return { n, trials, runs, recipe: summarize(recipe) };
  } finally {
    await deleteNs(twin, ctx.probe);
  }
}
