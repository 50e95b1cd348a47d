// validateSet() compares a drop-in only with those sharing a name, a link
// name, a MAC, a shim address or a routed prefix, and on a shared parent with
// one network per profile (driver, modes, MTU, promiscuity). Checked here
// against the plain every-pair rule on random sets built to collide often
// (few names, parents, shims and MACs), down to every message; and the
// number of comparisons for a hundred networks on one NIC.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildConfigSet } from '../../../src/config/load.js';
import { compareFiles, conflictsWith, validateSet } from '../../../src/config/validate.js';
import type { NetworkConfig } from '../../../src/model/config.js';
import { macvlan } from '../../../src/kinds/macvlan.js';
import { vlan } from '../../../src/kinds/vlan.js';

const dropIn = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  parent: fc.constantFrom('eth0', 'eth1', 'eth0.5', null),
  vlan: fc.constantFrom(null, 5, 7),
  driver: fc.constantFrom('macvlan', 'ipvlan'),
  mode: fc.constantFrom(null, 'passthru', 'l3'),
  shim: fc.constantFrom(null, 's1', 's2', 'eth0', 'a-dummy'),
  mac: fc.constantFrom(null, '02:00:00:00:00:01', '02:00:00:00:00:02'),
  mtu: fc.constantFrom(null, 1400, 1500),
  address: fc.constantFrom(null, '10.0.0.1/32', '10.0.0.2/24', '10.0.0.1/24'),
  range: fc.constantFrom(null, '10.0.0.0/24', '10.0.1.0/28'),
  promiscuous: fc.constantFrom(null, true, false),
});

function text(d: { name: string; parent: string | null; vlan: number | null; driver: string; mode: string | null; shim: string | null; mac: string | null; mtu: number | null; address: string | null; range: string | null; promiscuous: boolean | null }): string {
  const lines = ['[Network]', `Name=${d.name}`];
  if (d.parent !== null) lines.push(`Parent=${d.parent}`);
  if (d.parent !== null && d.vlan !== null) lines.push(`VLAN=${d.vlan}`);
  lines.push(`Driver=${d.driver}`);
  if (d.mode === 'passthru' && d.driver === 'macvlan') lines.push('Mode=passthru');
  if (d.mode === 'l3' && d.driver === 'ipvlan') lines.push('Mode=l3');
  if (d.mtu !== null) lines.push(`MTU=${d.mtu}`);
  if (d.promiscuous !== null && d.parent !== null) lines.push(`Promiscuous=${d.promiscuous ? 'yes' : 'no'}`);
  if (d.range !== null && d.parent !== null) lines.push('Subnet=10.0.0.0/16', `IPRange=${d.range}`);
  if (d.shim !== null) {
    lines.push('[Shim]', `Name=${d.shim}`);
    if (d.address !== null) lines.push(`Address=${d.address}`);
    if (d.mac !== null && d.driver === 'macvlan') lines.push(`MACAddress=${d.mac}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The rule without the index: each network against every one kept before it. */
function everyPair(networks: readonly NetworkConfig[]): { valid: string[]; rejected: string[]; messages: string[] } {
  const sorted = [...networks].sort((a, b) => compareFiles(a.file, b.file));
  const valid: NetworkConfig[] = [];
  const rejected: string[] = [];
  const messages: string[] = [];
  for (const n of sorted) {
    const problems = valid.flatMap((m) => conflictsWith(n, m).map((c) => `${c.place.file ?? ''}:${c.place.line ?? ''}: ${c.message}; this network is rejected, ${m.file.slice(m.file.lastIndexOf('/') + 1)} keeps working`));
    if (problems.length > 0) {
      rejected.push(n.file);
      messages.push(...problems);
    } else valid.push(n);
  }
  return { valid: valid.map((n) => n.file), rejected, messages };
}

/** validateSet's verdict equals comparing every pair's, messages included; how many that rejects. */
function sameAsEveryPair(nets: NetworkConfig[]): number {
  const got = validateSet(nets);
  const want = everyPair(nets);
  assert.deepEqual({
    valid: got.valid.map((n) => n.file),
    rejected: got.rejected.map((r) => r.network.file),
    messages: got.diagnostics.map((d) => `${d.file ?? ''}:${d.line ?? ''}: ${d.message}`),
  }, want);
  return want.rejected.length;
}

test('validateSet keeps and rejects exactly what comparing every pair does, with the same messages', () => {
  let rejections = 0;
  fc.assert(fc.property(fc.array(dropIn, { minLength: 2, maxLength: 12 }), (ds) => {
    // Each file on its own first: only per-file-valid networks reach the set check.
    const nets = ds.flatMap((d, i) => buildConfigSet([{ path: `/etc/flatnet.d/${String(i).padStart(2, '0')}.conf`, text: text(d) }]).networks);
    rejections += sameAsEveryPair(nets);
  }), { numRuns: 500, seed: 20261123 });
  assert.ok(rejections > 100, `the sets collided ${rejections} times: the check is not idle`);
});

// Many networks on one or two parents, nothing else shared: the profiles
// decide alone, and the first kept of a profile is often the one that does
// not conflict (no MTU=, no Promiscuous=) while a later kept one does.
const onOneParent = fc.record({
  parent: fc.constantFrom('eth0', 'eth1'),
  vlan: fc.constantFrom(null, 5),
  driver: fc.constantFrom('macvlan', 'ipvlan'),
  mode: fc.constantFrom(null, null, null, 'passthru', 'l3'),
  mtu: fc.constantFrom(null, null, 1400, 1500),
  promiscuous: fc.constantFrom(null, null, true, false),
});

test('on a shared parent, validateSet rejects with exactly the messages comparing every pair gives', () => {
  let rejections = 0;
  fc.assert(fc.property(fc.array(onOneParent, { minLength: 2, maxLength: 14 }), (ds) => {
    const nets = ds.flatMap((d, i) => buildConfigSet([{
      path: `/etc/flatnet.d/${String(i).padStart(2, '0')}.conf`,
      text: text({ ...d, name: `n${i}`, shim: null, mac: null, address: null, range: null }),
    }]).networks);
    rejections += sameAsEveryPair(nets);
  }), { numRuns: 500, seed: 20261207 });
  assert.ok(rejections > 100, `the sets collided ${rejections} times: the check is not idle`);
});

test('a hundred networks on one parent: each is compared once with those before it, not with every one', () => {
  const files = Array.from({ length: 100 }, (_, k) => {
    const i = k + 1;
    const net = `10.${(i >> 8) + 1}.${i % 256}`;
    return { path: `/etc/flatnet.d/n${String(i).padStart(4, '0')}.conf`, text: `[Network]\nParent=vp1\nSubnet=${net}.0/24\nIPRange=${net}.192/27\n\n[Shim]\nName=shim${i}\nAddress=${net}.192/32\n` };
  });
  const nets = files.flatMap((f) => buildConfigSet([f]).networks);
  assert.equal(nets.length, 100);
  const calls = { macvlan: 0, vlan: 0 };
  const [mc, vc] = [macvlan.conflicts, vlan.conflicts];
  assert.ok(mc !== undefined && vc !== undefined);
  macvlan.conflicts = (n, m, ep) => { calls.macvlan++; return mc(n, m, ep); };
  vlan.conflicts = (n, m, ep) => { calls.vlan++; return vc(n, m, ep); };
  try {
    assert.equal(validateSet(nets).valid.length, 100);
  } finally {
    macvlan.conflicts = mc;
    vlan.conflicts = vc;
  }
  // One profile on vp1 (macvlan bridge, no VLAN, no Promiscuous=): the 99
  // later networks are compared with one kept network each (4950 pairs before).
  assert.deepEqual(calls, { macvlan: 99, vlan: 99 });
});
