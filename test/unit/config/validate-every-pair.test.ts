// validateSet() compares a drop-in only with those sharing a name, a link
// name, a MAC, a parent, a shim address or a routed prefix. Checked here against the plain every-pair rule on
// random sets built to collide often (few names, parents, shims and MACs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildConfigSet } from '../../../src/config/load.js';
import { compareFiles, conflictsWith, validateSet } from '../../../src/config/validate.js';
import type { NetworkConfig } from '../../../src/model/config.js';

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
});

function text(d: { name: string; parent: string | null; vlan: number | null; driver: string; mode: string | null; shim: string | null; mac: string | null; mtu: number | null; address: string | null; range: string | null }): string {
  const lines = ['[Network]', `Name=${d.name}`];
  if (d.parent !== null) lines.push(`Parent=${d.parent}`);
  if (d.parent !== null && d.vlan !== null) lines.push(`VLAN=${d.vlan}`);
  lines.push(`Driver=${d.driver}`);
  if (d.mode === 'passthru' && d.driver === 'macvlan') lines.push('Mode=passthru');
  if (d.mode === 'l3' && d.driver === 'ipvlan') lines.push('Mode=l3');
  if (d.mtu !== null) lines.push(`MTU=${d.mtu}`);
  if (d.range !== null && d.parent !== null) lines.push('Subnet=10.0.0.0/16', `IPRange=${d.range}`);
  if (d.shim !== null) {
    lines.push('[Shim]', `Name=${d.shim}`);
    if (d.address !== null) lines.push(`Address=${d.address}`);
    if (d.mac !== null && d.driver === 'macvlan') lines.push(`MACAddress=${d.mac}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The rule without the index: each network against every one kept before it. */
function everyPair(networks: readonly NetworkConfig[]): { valid: string[]; rejected: string[] } {
  const sorted = [...networks].sort((a, b) => compareFiles(a.file, b.file));
  const valid: NetworkConfig[] = [];
  const rejected: string[] = [];
  for (const n of sorted) {
    if (valid.some((m) => conflictsWith(n, m).length > 0)) rejected.push(n.file);
    else valid.push(n);
  }
  return { valid: valid.map((n) => n.file), rejected };
}

test('validateSet keeps and rejects exactly what comparing every pair does', () => {
  let rejections = 0;
  fc.assert(fc.property(fc.array(dropIn, { minLength: 2, maxLength: 12 }), (ds) => {
    // Each file on its own first: only per-file-valid networks reach the set check.
    const nets = ds.flatMap((d, i) => buildConfigSet([{ path: `/etc/flatnet.d/${String(i).padStart(2, '0')}.conf`, text: text(d) }]).networks);
    const got = validateSet(nets);
    const want = everyPair(nets);
    rejections += want.rejected.length;
    assert.deepEqual({ valid: got.valid.map((n) => n.file), rejected: got.rejected.map((r) => r.network.file) }, want);
  }), { numRuns: 500, seed: 20261123 });
  assert.ok(rejections > 100, `the sets collided ${rejections} times: the check is not idle`);
});
