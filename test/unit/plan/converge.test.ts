// The property issue 2 asks for: from any reachable state to any desired
// state, observe → plan → apply converges to an empty plan within 3 rounds
// (also when the kernel refuses an op part-way), the result is what the drop-ins
// say (judged by test/fake/check.ts, not by the planner), nothing that is not
// ours was changed, and one more reconcile writes nothing.
//
// Random but reproducible: the seed is printed; FLATNET_SEED=<n> replays it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOwnedAlias } from '../../../src/model/ownership.js';
import { describeOp } from '../../../src/plan/ops.js';
import { checkConverged, rightShape } from '../../fake/check.js';
import { converge, planNow } from '../../fake/drive.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { PERTURBATIONS, perturb } from '../../fake/perturb.js';
import { rng, seedFromEnv } from '../../fake/prng.js';
import { ALL_SCENARIOS, host } from '../../fake/scenarios.js';
import type { NetworkConfig } from '../../../src/model/config.js';

const SEED = seedFromEnv();
const CASES = Number(process.env['FLATNET_CASES'] ?? 1000);

/** What is not ours, as it was before the reconcile: it must be the same after. */
function foreignSnapshot(k: FakeKernel): Map<number, string> {
  const out = new Map<number, string>();
  for (const l of k.net.links.values()) {
    if (isOwnedAlias(l.alias)) continue;
    const routes = k.net.routes.filter((r) => r.ifindex === l.ifindex && r.proto !== 2 && r.proto !== 233).map((r) => `${r.dst}/${r.metric}/${r.proto}`).sort();
    const addrs = k.net.addresses.filter((a) => a.ifindex === l.ifindex && a.scope !== 'link').map((a) => a.cidr).sort();
    out.set(l.ifindex, JSON.stringify([l.name, l.kind, l.parentIndex, l.mode, l.vlanId, l.mtu, l.mac, l.up, addrs, routes]));
  }
  return out;
}

interface Case {
  start: NetworkConfig[];
  target: NetworkConfig[];
  frozen: string[];
  down: string[];
  perturbations: string[];
  failAt: number | null;
}

async function runCase(seed: number): Promise<{ log: string[]; c: Case }> {
  const r = rng(seed);
  const log: string[] = [];
  const all = ALL_SCENARIOS.map((f) => f());
  const start = r.subset(all, 0.6);
  const picked = r.chance(0.2) ? start : r.subset(all, 0.6);
  // Issue 12: a shim renamed in its drop-in (the old one holds the MAC the new one takes over).
  const target = picked.map((n) => (n.shim !== null && r.chance(0.3) ? { ...n, shim: { ...n.shim, name: `${n.shim.name}2` } } : n));
  const c: Case = { start, target, frozen: [], down: [], perturbations: [], failAt: null };
  const k = host();
  await converge(k, { networks: start }, 1);
  for (let i = 0, n = 1 + r.int(4); i < n; i++) {
    const what = perturb(k, r, r.pick(Object.keys(PERTURBATIONS)));
    if (what !== null) c.perturbations.push(what);
  }
  if (r.chance(0.15) && start.length > 0) c.frozen = [r.pick(start).name];
  if (r.chance(0.15) && target.length > 0) c.down = [r.pick(target).name];
  const frozenLinks = new Map([...k.net.links.values()]
    // An explicit down wins over frozen (buildDesired), so those links may go.
    .filter((l) => c.frozen.some((n) => !c.down.includes(n) && l.alias?.split(/[:,]/).includes(n)))
    .map((l) => [l.ifindex, JSON.stringify({ ...l, addrs: k.addressesOf(l.name) })] as const));
  const before = foreignSnapshot(k);
  const input = { networks: c.target, frozen: c.frozen, down: c.down };
  const first = await planNow(k, input);
  const shaped = rightShape(k, first.desired);
  if (first.plan.ops.length > 0 && r.chance(0.5)) {
    c.failAt = 1 + r.int(first.plan.ops.length);
    k.failNext(c.failAt);
  }
  log.push(`start: ${start.map((n) => n.name).join(',')}  target: ${target.map((n) => n.name).join(',')}  frozen: ${c.frozen.join(',')}  down: ${c.down.join(',')}`);
  log.push(`perturbed: ${c.perturbations.join('; ')}  fail at op: ${c.failAt ?? 'none'}`);
  log.push(`first plan:\n${first.plan.ops.map((o) => `    ${describeOp(o)}`).join('\n')}`);

  // Issue 2 allows 3 rounds; the planner does better, and this holds it to
  // that: everything in one round, plus one more when an op was refused.
  const done = await converge(k, input, c.failAt === null ? 1 : 2);
  const problems = checkConverged(k, done.desired, done.plan);
  assert.deepEqual(problems, [], `not what the drop-ins say:\n${log.join('\n')}\n${k.dump()}`);

  // Links already of the right shape were fixed in place, never re-made.
  for (const [name, ifindex] of shaped) {
    assert.equal(k.ifindex(name), ifindex, `${name} was re-made though only its attributes were wrong:\n${log.join('\n')}\n${k.dump()}`);
  }

  // Nothing that is not ours changed (unless it hung off something the perturbation broke).
  const after = foreignSnapshot(k);
  for (const [ifindex, was] of before) {
    const now = after.get(ifindex);
    const adopted = now === undefined && k.net.links.get(ifindex) !== undefined;
    if (adopted) continue;
    assert.equal(now, was, `foreign link ${ifindex} changed or vanished:\n${log.join('\n')}\n${k.dump()}`);
  }
  for (const [ifindex, was] of frozenLinks) {
    const l = k.net.links.get(ifindex);
    assert.ok(l !== undefined, `frozen link ${ifindex} deleted\n${log.join('\n')}`);
    assert.equal(JSON.stringify({ ...l, addrs: k.addressesOf(l.name) }), was, `frozen link ${l.name} touched\n${log.join('\n')}`);
  }

  // A no-op reconcile writes nothing.
  const writes = k.writes;
  const again = await converge(k, input, 0);
  assert.equal(again.rounds, 0);
  assert.equal(k.writes, writes);
  return { log, c };
}

test(`every reachable state converges to every desired state (seed ${SEED}, ${CASES} cases; replay with FLATNET_SEED=${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED}`);
  let failures = 0;
  let withFailure = 0;
  for (let i = 0; i < CASES; i++) {
    const seed = (SEED + i) >>> 0;
    try {
      const { c } = await runCase(seed);
      if (c.failAt !== null) withFailure++;
    } catch (e) {
      failures++;
      throw new Error(`case seed ${seed} (FLATNET_SEED=${seed} FLATNET_CASES=1 reproduces it): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  t.diagnostic(`${CASES} cases, ${withFailure} with a refused op, ${failures} failed`);
  assert.ok(withFailure > 0, 'no case injected a failure: the property was not exercised');
});

test('a fresh kernel reaches every scenario in one round, and the second plan is empty', async () => {
  for (const make of ALL_SCENARIOS) {
    const k = host();
    const done = await converge(k, { networks: [make()] }, 1);
    assert.equal(done.rounds, 1, `${make().name}:\n${k.dump()}`);
    assert.deepEqual(checkConverged(k, done.desired, done.plan), []);
    const writes = k.writes;
    await converge(k, { networks: [make()] }, 0);
    assert.equal(k.writes, writes);
  }
});

test('a kernel with every scenario at once converges in one round from empty', async () => {
  const k = new FakeKernel();
  host(k);
  const done = await converge(k, { networks: ALL_SCENARIOS.map((f) => f()) }, 1);
  assert.deepEqual(checkConverged(k, done.desired, done.plan), [], k.dump());
});
