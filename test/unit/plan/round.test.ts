// One planning round (plan/round.ts) for the loop, Manager.Plan and the test
// driver: a dry run lists exactly what the next reconcile applies, for any
// state the fake kernel can reach, refused networks included (issue 13 §1:
// Plan once skipped the kernel checks and listed a shim the loop refused).
//
// Random but reproducible: the seed is printed; FLATNET_SEED=<n> replays it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../../src/log.js';
import type { NetworkConfig } from '../../../src/model/config.js';
import { describeOp } from '../../../src/plan/ops.js';
import { reconcileOnce } from '../../../src/reconcile/run.js';
import { converge, planNow } from '../../fake/drive.js';
import type { FakeKernel } from '../../fake/fake-kernel.js';
import { PERTURBATIONS, perturb } from '../../fake/perturb.js';
import { rng, seedFromEnv, type Rng } from '../../fake/prng.js';
import { ALL_SCENARIOS, host, MACHINE_ID, flatLanHost } from '../../fake/scenarios.js';

const SEED = seedFromEnv();
const CASES = Number(process.env['FLATNET_CASES'] ?? 400);

/** Drop-ins the kernel checks refuse on host(): each is valid on paper. */
const REFUSALS: Readonly<Record<string, (n: NetworkConfig) => NetworkConfig | null>> = {
  'MTU above the parent': (n) => (n.parent === 'enp3s0' ? { ...n, mtu: 9000 } : null),
  "the parent's own MAC": (n) => (n.shim !== null && n.driver === 'macvlan' && n.parent === 'enp3s0' && n.vlan === null
    ? { ...n, shim: { ...n.shim, mac: 'a8:a1:59:24:d0:61' } } : null),
  "the host's own address": (n) => (n.shim !== null && n.parent === 'enp3s0' && n.vlan === null
    ? { ...n, shim: { ...n.shim, addresses: ['192.168.88.9/32'] } } : null),
};

function target(r: Rng, all: readonly NetworkConfig[]): { networks: NetworkConfig[]; refused: string[] } {
  const refused: string[] = [];
  const networks = r.subset(all, 0.6).map((n) => {
    if (!r.chance(0.3)) return n;
    const why = r.pick(Object.keys(REFUSALS));
    const bad = REFUSALS[why]?.(n) ?? null;
    if (bad === null) return n;
    refused.push(`${n.name}: ${why}`);
    return bad;
  });
  return { networks, refused };
}

const lines = (ops: readonly Parameters<typeof describeOp>[0][]): string[] => ops.map(describeOp);

async function runCase(seed: number): Promise<{ refused: number; failAt: number | null }> {
  const r = rng(seed);
  const all = ALL_SCENARIOS.map((f) => f());
  const k: FakeKernel = host();
  await converge(k, { networks: r.subset(all, 0.6) }, 1);
  for (let i = 0, n = r.int(4); i < n; i++) perturb(k, r, r.pick(Object.keys(PERTURBATIONS)));
  const { networks, refused } = target(r, all);
  const input = { networks, frozen: [], down: r.chance(0.15) && networks.length > 0 ? [r.pick(networks).name] : [], machineId: MACHINE_ID };

  const dry = await planNow(k, input);
  const failAt = dry.plan.ops.length > 0 && r.chance(0.3) ? 1 + r.int(dry.plan.ops.length) : null;
  if (failAt !== null) k.failNext(failAt);
  const before = k.applied.length;
  const run = await reconcileOnce(k, input, silentLogger);
  const applied = k.applied.slice(before);
  const why = `case seed ${seed} (FLATNET_SEED=${seed} FLATNET_CASES=1 reproduces it); refused: ${refused.join('; ') || 'none'}; fail at ${failAt ?? 'none'}\n`
    + `plan:\n${lines(dry.plan.ops).map((l) => `  ${l}`).join('\n')}\napplied:\n${lines(applied).map((l) => `  ${l}`).join('\n')}\n${k.dump()}`;
  if (failAt === null) {
    assert.deepEqual(lines(applied), lines(dry.plan.ops), `the plan is not what the reconcile applied: ${why}`);
  } else {
    // The kernel took the ops before the refused one, exactly as planned.
    assert.deepEqual(lines(applied.slice(0, failAt - 1)), lines(dry.plan.ops.slice(0, failAt - 1)), why);
  }
  // A network the kernel checks refuse gets no op, and the loop says why, as the plan's verdict does.
  for (const n of networks) {
    const verdict = dry.verdicts.get(n.name)?.refused ?? [];
    const said = new Set(run.outcomes.get(n.name)?.errors.map((e) => e.message));
    for (const e of verdict) assert.ok(said.has(e.message), `the loop did not say "${e.message}" for ${n.name}: ${why}`);
    // (Down wins: a network taken down loses its links whatever its drop-in says.)
    if (verdict.length > 0 && !input.down.includes(n.name)) assert.ok(dry.plan.ops.every((op) => !op.networks.includes(n.name) || op.networks.length > 1), why);
  }
  return { refused: refused.length, failAt };
}

test(`the plan equals what the next reconcile applies, from any state, refused drop-ins included (seed ${SEED}, ${CASES} cases; replay with FLATNET_SEED=${SEED})`, async (t) => {
  let withRefusal = 0;
  let withFailure = 0;
  for (let i = 0; i < CASES; i++) {
    const c = await runCase((SEED + i) >>> 0);
    if (c.refused > 0) withRefusal++;
    if (c.failAt !== null) withFailure++;
  }
  t.diagnostic(`${CASES} cases, ${withRefusal} with a drop-in the kernel checks refuse, ${withFailure} with an op the kernel refused`);
  assert.ok(withRefusal > 0 && withFailure > 0, 'the property was not exercised with refusals');
});

test('MTU=9000 on a 1500 parent: the plan is empty and says why, like the loop, which writes nothing', async () => {
  const k = host();
  const input = { networks: [{ ...flatLanHost(), mtu: 9000 }], frozen: [], down: [], machineId: MACHINE_ID };
  const dry = await planNow(k, input);
  assert.deepEqual(lines(dry.plan.ops), []);
  assert.deepEqual(dry.verdicts.get('lan')?.refused.map((d) => d.message), ['above the MTU of the parent enp3s0 (1500)']);
  const run = await reconcileOnce(k, input, silentLogger);
  assert.equal(k.writes, 0);
  assert.deepEqual(run.outcomes.get('lan')?.errors.map((d) => d.message), ['above the MTU of the parent enp3s0 (1500)']);
});
