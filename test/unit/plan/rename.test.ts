// Issue 12, items 1 and 4: a shim's name or its network's name changes, a
// hand-made shim is adopted, a crash leaves both the old and the new shim.
// The fake kernel refuses a second up macvlan with one MAC on a parent, as
// Linux does (test/fixtures/kernel/macvlan-mac-busy.txt), so a plan that
// makes the new shim beside the old one fails here as it did on a real host.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOwnedAlias } from '../../../src/model/ownership.js';
import { stableMac } from '../../../src/plan/desired.js';
import { describeOp, type Op } from '../../../src/plan/ops.js';
import { checkConverged } from '../../fake/check.js';
import { converge, planNow } from '../../fake/drive.js';
import type { FakeKernel } from '../../fake/fake-kernel.js';
import { host, MACHINE_ID, network, flatLanHost, shim } from '../../fake/scenarios.js';
import type { NetworkConfig } from '../../../src/model/config.js';

const lines = (ops: readonly Op[]): string[] => ops.map(describeOp);
const M = stableMac(MACHINE_ID, 'lan');
const R = '02:00:5e:00:53:77';

/** The README's flat LAN (test/support/dropins.ts LAN_DROPIN) with its shim called `name`. */
const lan = (name: string): NetworkConfig => {
  const n = flatLanHost();
  return { ...n, shim: n.shim && { ...n.shim, name } };
};

const shims = (k: FakeKernel): string[] => [...k.net.links.values()].filter((l) => l.kind === 'macvlan').map((l) => l.name).sort();

test("the README's drop-in with [Shim] Name=docker-link changed to docker-link2: old one first, the new one takes its MAC, the host reaches .193", async () => {
  const k = host();
  await converge(k, { networks: [lan('docker-link')] }, 1);
  const { plan } = await planNow(k, { networks: [lan('docker-link2')] });
  assert.deepEqual(lines(plan.ops), [
    `delete docker-link for lan: no longer wanted; goes first, docker-link2 needs its MAC ${M}`,
    'create docker-link2 (macvlan bridge on enp3s0) for lan: missing',
    'set docker-link2 up true for lan: new',
    'add address 192.168.88.192/32 to docker-link2 for lan: new link',
    'add route 192.168.88.192/27 dev docker-link2 for lan: missing',
  ]);
  const done = await converge(k, { networks: [lan('docker-link2')] }, 1);
  assert.deepEqual(done.failures, []);
  assert.deepEqual(shims(k), ['docker-link2']);
  assert.equal(k.link('docker-link2')?.mac, M);
  assert.equal(k.routeGet('192.168.88.193')?.dev, 'docker-link2');
  assert.deepEqual(checkConverged(k, done.desired, done.plan), []);
});

interface Leftover { name: string; mac: string; up: boolean }

/** What a crash in the middle of a rename can leave: either shim, both, each up or down, one MAC or two. */
const CRASH_STATES: Leftover[][] = [];
for (const upOld of [true, false]) {
  for (const upNew of [true, false]) {
    for (const macNew of [M, R]) {
      if (upOld && upNew && macNew === M) continue; // the kernel cannot get there
      CRASH_STATES.push([{ name: 'docker-link', mac: M, up: upOld }, { name: 'docker-link2', mac: macNew, up: upNew }]);
    }
  }
  CRASH_STATES.push([{ name: 'docker-link', mac: M, up: upOld }]);
  CRASH_STATES.push([{ name: 'docker-link2', mac: M, up: upOld }]);
}

function leave(k: FakeKernel, state: readonly Leftover[]): void {
  // Up ones first: the kernel lets a down macvlan share a MAC, not an up one.
  for (const s of [...state].sort((a, b) => Number(b.up) - Number(a.up))) {
    k.addForeignLink({ name: s.name, kind: 'macvlan', parent: 'enp3s0', mode: 'bridge', mac: s.mac, alias: 'flatnet:lan', up: s.up });
    k.addAddress(s.name, '192.168.88.192/32');
  }
}

test('from every state a crash mid-rename can leave, either name converges in one round to one shim (kept MAC, or the old one\'s)', async () => {
  for (const state of CRASH_STATES) {
    for (const target of ['docker-link', 'docker-link2']) {
      const k = host();
      leave(k, state);
      const what = `${JSON.stringify(state)} → ${target}`;
      const done = await converge(k, { networks: [lan(target)] }, 1);
      assert.deepEqual(done.failures, [], what);
      assert.deepEqual(shims(k), [target], `${what}\n${k.dump()}`);
      assert.deepEqual(checkConverged(k, done.desired, done.plan), [], what);
      const had = state.find((s) => s.name === target);
      assert.equal(k.link(target)?.mac, had?.mac ?? M, `${what}: the MAC it had, else the one of the shim it replaces`);
      assert.equal(k.routeGet('192.168.88.193')?.dev, target, what);
    }
  }
});

test('a rename refused or cut off after any op k: the next round finishes it, and the names can flip back and forth', async () => {
  const k = host();
  await converge(k, { networks: [lan('docker-link')] }, 1);
  const names = ['docker-link2', 'docker-link'];
  for (let k1 = 1; k1 <= 6; k1++) {
    for (const name of names) {
      k.failNext(k1);
      const done = await converge(k, { networks: [lan(name)] }, 2);
      assert.deepEqual(shims(k), [name], `failed at op ${k1} → ${name}\n${k.dump()}`);
      assert.equal(k.link(name)?.mac, M);
      assert.deepEqual(checkConverged(k, done.desired, done.plan), []);
    }
  }
});

test("the network's Name= changes, its shim's does not: the shim keeps its MAC (only the mark changes)", async () => {
  const k = host();
  await converge(k, { networks: [lan('docker-link')] }, 1);
  const ifindex = k.ifindex('docker-link');
  const home = { ...lan('docker-link'), name: 'home' };
  const { plan } = await planNow(k, { networks: [home] });
  assert.deepEqual(lines(plan.ops), ['set docker-link alias flatnet:home for home: mark flatnet:lan, want flatnet:home']);
  await converge(k, { networks: [home] }, 1);
  assert.equal(k.ifindex('docker-link'), ifindex);
  assert.equal(k.link('docker-link')?.mac, M);
});

test('both names change: a new shim with the new network\'s stable MAC, the old one deleted after (no MAC in common)', async () => {
  const k = host();
  await converge(k, { networks: [lan('docker-link')] }, 1);
  const home = { ...lan('home-link'), name: 'home' };
  const done = await converge(k, { networks: [home] }, 1);
  assert.deepEqual(shims(k), ['home-link']);
  assert.equal(k.link('home-link')?.mac, stableMac(MACHINE_ID, 'home'));
  assert.equal(lines(done.history[0] ?? []).at(-1), 'delete docker-link for lan: no longer wanted');
});

test('MACAddress= is the one way to have flatnetd change an existing shim\'s MAC', async () => {
  const k = host();
  await converge(k, { networks: [lan('docker-link')] }, 1);
  const fixed = { ...lan('docker-link'), shim: shim('docker-link', { addresses: ['192.168.88.192/32'], routes: ['192.168.88.192/27'], mac: '02:42:C0:A8:58:C0' }) };
  const { plan } = await planNow(k, { networks: [fixed] });
  assert.deepEqual(lines(plan.ops), [`set docker-link mac 02:42:c0:a8:58:c0 for lan: MAC ${M}, want 02:42:c0:a8:58:c0`]);
  await converge(k, { networks: [fixed] }, 1);
  // MACAddress= removed again: the shim keeps what it has.
  assert.deepEqual(lines((await planNow(k, { networks: [lan('docker-link')] })).plan.ops), []);
});

test('a macvlan that is not ours, up on the parent with the stable MAC: the shim gets a spare stable MAC, in one round', async () => {
  const k = host();
  k.addForeignLink({ name: 'ctr0', kind: 'macvlan', parent: 'enp3s0', mode: 'bridge', mac: M, up: true });
  const done = await converge(k, { networks: [lan('docker-link')] }, 1);
  assert.deepEqual(done.failures, []);
  const mac = k.link('docker-link')?.mac;
  assert.ok(mac !== undefined && mac !== M, `got ${String(mac)}`);
  assert.equal(k.link('ctr0')?.mac, M, 'the foreign link is untouched');
  // Stable: the next round (and the next start) keeps the spare.
  assert.deepEqual(lines((await planNow(k, { networks: [lan('docker-link')] })).plan.ops), []);
});

test('two networks on one parent swap shim names: both converge in one round, nothing left behind', async () => {
  const k = host();
  const a = (name: string): NetworkConfig => network('na', { subnets: ['10.1.1.0/24'], shim: shim(name, { addresses: ['10.1.1.2/32'] }) });
  const b = (name: string): NetworkConfig => network('nb', { subnets: ['10.1.2.0/24'], shim: shim(name, { addresses: ['10.1.2.2/32'] }) });
  await converge(k, { networks: [a('s-one'), b('s-two')] }, 1);
  const done = await converge(k, { networks: [a('s-two'), b('s-one')] }, 1);
  assert.deepEqual(done.failures, []);
  assert.deepEqual(shims(k), ['s-one', 's-two']);
  assert.ok([...k.net.links.values()].filter((l) => isOwnedAlias(l.alias)).length === 2);
});

test('two of our shims on one parent, both down with one MAC (set by hand): one keeps it, the other moves to its stable MAC, both up in one round', async () => {
  const k = host();
  const a = network('na', { subnets: ['10.1.1.0/24'], shim: shim('s-one', { addresses: ['10.1.1.2/32'] }) });
  const b = network('nb', { subnets: ['10.1.2.0/24'], shim: shim('s-two', { addresses: ['10.1.2.2/32'] }) });
  await converge(k, { networks: [a, b] }, 1);
  for (const s of ['s-one', 's-two']) k.setUp(s, false);
  k.setMac('s-two', k.link('s-one')?.mac ?? '');
  const done = await converge(k, { networks: [a, b] }, 1);
  assert.deepEqual(done.failures, []);
  assert.ok(k.link('s-one')?.up === true && k.link('s-two')?.up === true, k.dump());
  assert.equal(k.link('s-one')?.mac, stableMac(MACHINE_ID, 'na'));
  assert.equal(k.link('s-two')?.mac, stableMac(MACHINE_ID, 'nb'));
});
