// planOps, case by case, on the fake kernel: what a person would read in the
// log (describeOp lines), what is left alone, and what the kernel looks like after.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '../../../src/errors.js';
import { describeOp } from '../../../src/plan/ops.js';
import { stableMac } from '../../../src/plan/desired.js';
import { converge, planNow } from '../../fake/drive.js';
import { ALL_SCENARIOS, host, MACHINE_ID, network, flatLan, flatLanHost, shared30a, shared30b, shim, vlan10, vlan200 } from '../../fake/scenarios.js';

const lines = (ops: readonly Parameters<typeof describeOp>[0][]): string[] => ops.map(describeOp);

test('every example scenario: a correct kernel gets no ops, and reconciling it writes nothing', async () => {
  for (const make of [flatLan, ...ALL_SCENARIOS]) {
    const k = host();
    await converge(k, { networks: [make()] }, 1);
    const writes = k.writes;
    const again = await planNow(k, { networks: [make()] });
    assert.deepEqual(lines(again.plan.ops), [], make().name);
    await converge(k, { networks: [make()] }, 0);
    assert.equal(k.writes, writes, make().name);
  }
});

test("the README's flat LAN from nothing: the recipe's steps, minus the route the kernel already made", async () => {
  const k = host();
  const { plan } = await planNow(k, { networks: [flatLan()] });
  assert.deepEqual(lines(plan.ops), [
    'create docker-link (macvlan bridge on enp3s0) for lan: missing',
    'set docker-link up true for lan: new',
    'add address 192.168.88.192/27 to docker-link for lan: new link',
  ]);
  await k.apply(plan.ops);
  // host → container through the shim; host → LAN still through the NIC.
  assert.equal(k.routeGet('192.168.88.193')?.dev, 'docker-link');
  assert.equal(k.routeGet('192.168.88.1')?.dev, 'enp3s0');
  assert.equal(k.link('docker-link')?.mac, stableMac(MACHINE_ID, 'lan'));
});

test("adopting the README's hand-made docker-link: same ifindex and MAC, only the mark set (issue 12: a new MAC cost a pinging container 86% of its packets)", async () => {
  const k = host();
  // ip link add docker-link link enp3s0 type macvlan mode bridge; ip addr add 192.168.88.192/27 …; ip link set docker-link up
  const ifindex = k.addForeignLink({ name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', mode: 'bridge' });
  k.addAddress('docker-link', '192.168.88.192/27');
  const { plan } = await planNow(k, { networks: [flatLan()] });
  assert.deepEqual(plan.adopted, ['docker-link']);
  assert.deepEqual(plan.conflicts, []);
  assert.equal(plan.ops.length, 1);
  assert.deepEqual(lines(plan.ops), ['set docker-link alias flatnet:lan for lan: hand-made and matching the drop-in: adopted']);
  const mac = k.link('docker-link')?.mac;
  assert.notEqual(mac, stableMac(MACHINE_ID, 'lan'));
  await converge(k, { networks: [flatLan()] }, 1);
  assert.equal(k.ifindex('docker-link'), ifindex);
  assert.equal(k.link('docker-link')?.alias, 'flatnet:lan');
  // The next start (now the link is ours) keeps it too: nothing to do.
  assert.deepEqual(lines((await planNow(k, { networks: [flatLan()] })).plan.ops), []);
  assert.equal(k.link('docker-link')?.mac, mac);
});

test('a hand-made link that does not match is a conflict, left alone', async () => {
  const k = host();
  // a hand-made shim's bare `type macvlan`: the kernel makes it vepa.
  k.addForeignLink({ name: 'docker-link', kind: 'macvlan', parent: 'enp3s0' });
  k.addForeignLink({ name: 'enp3s0.200', kind: 'vlan', parent: 'enp3s0', vlanId: 201 });
  const before = k.dump();
  const { plan } = await planNow(k, { networks: [flatLan(), vlan200()] });
  assert.deepEqual(lines(plan.ops), []);
  assert.deepEqual(plan.conflicts.map(formatDiagnostic), [
    'docker-link: mode is vepa, want bridge; not made by flatnetd, so it is left alone',
    'enp3s0.200: VLAN id 201, want 200; not made by flatnetd, so it is left alone',
  ]);
  assert.deepEqual(plan.conflicts.map((c) => [c.severity, c.code, c.network]), [['error', 'conflict', 'lan'], ['error', 'conflict', 'vlan200']]);
  await converge(k, { networks: [flatLan(), vlan200()] }, 0);
  assert.equal(k.dump(), before);
});

test('children of a conflicting VLAN parent are not made', async () => {
  const k = host();
  k.addForeignLink({ name: 'enp3s0.10', kind: 'bridge' });
  const { plan } = await planNow(k, { networks: [vlan10()] });
  assert.deepEqual(lines(plan.ops), []);
  assert.deepEqual(plan.conflicts.map(formatDiagnostic), ['enp3s0.10: kind bridge, want vlan; not made by flatnetd, so it is left alone']);
});

test('ours with the wrong mode: re-made, with the reason in the log', async () => {
  const k = host();
  await converge(k, { networks: [flatLan()] }, 1);
  const old = k.ifindex('docker-link');
  k.deleteLink('docker-link');
  k.addForeignLink({ name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', mode: 'vepa', alias: 'flatnet:lan' });
  const { plan } = await planNow(k, { networks: [flatLan()] });
  assert.deepEqual(lines(plan.ops), [
    'delete docker-link for lan: mode is vepa, want bridge',
    'create docker-link (macvlan bridge on enp3s0) for lan: mode is vepa, want bridge',
    'set docker-link up true for lan: new',
    'add address 192.168.88.192/27 to docker-link for lan: new link',
  ]);
  await converge(k, { networks: [flatLan()] }, 1);
  assert.notEqual(k.ifindex('docker-link'), old);
  assert.equal(k.link('docker-link')?.mode, 'bridge');
});

test('our VLAN parent with the wrong id: shim deleted first, both made again, parent first', async () => {
  const k = host();
  await converge(k, { networks: [vlan10()] }, 1);
  k.deleteLink('enp3s0.10');
  k.addForeignLink({ name: 'enp3s0.10', kind: 'vlan', parent: 'enp3s0', vlanId: 11, alias: 'flatnet:v10' });
  k.addForeignLink({ name: 'shim10', kind: 'macvlan', parent: 'enp3s0.10', mode: 'bridge', alias: 'flatnet:v10' });
  const { plan } = await planNow(k, { networks: [vlan10()] });
  assert.deepEqual(lines(plan.ops).slice(0, 4), [
    'delete shim10 for v10: parent enp3s0.10 is re-made',
    'delete enp3s0.10 for v10: VLAN id 11, want 10',
    'create enp3s0.10 (vlan 10 on enp3s0) for v10: VLAN id 11, want 10',
    'set enp3s0.10 up true for v10: new',
  ]);
  assert.equal(lines(plan.ops)[4], 'create shim10 (macvlan bridge on enp3s0.10) for v10: parent enp3s0.10 is re-made');
  await converge(k, { networks: [vlan10()] }, 1);
});

test("a wrong VLAN parent with a container on it is not re-made (that would cut the container off)", async () => {
  const k = host();
  k.addForeignLink({ name: 'enp3s0.10', kind: 'vlan', parent: 'enp3s0', vlanId: 11, alias: 'flatnet:v10' });
  k.addForeignLink({ name: 'ctr0', kind: 'macvlan', parent: 'enp3s0.10', mode: 'bridge' });
  const { plan } = await planNow(k, { networks: [vlan10()] });
  assert.deepEqual(lines(plan.ops), []);
  assert.deepEqual(plan.conflicts.map((c) => [c.severity, formatDiagnostic(c)]), [
    ['warning', 'enp3s0.10: VLAN id 11, want 10; not re-made while ctr0 (not flatnetd\'s) may depend on it'],
  ]);
});

test('a drop-in removed: its links go, children first; a VLAN parent with a container on it stays, reported', async () => {
  const k = host();
  await converge(k, { networks: [vlan10(), flatLan()] }, 1);
  let { plan } = await planNow(k, { networks: [flatLan()] });
  assert.deepEqual(lines(plan.ops), ['delete shim10 for v10: no longer wanted', 'delete enp3s0.10 for v10: no longer wanted']);

  const k2 = host();
  await converge(k2, { networks: [vlan10(), flatLan()] }, 1);
  k2.addForeignLink({ name: 'ctr7', kind: 'macvlan', parent: 'enp3s0.10', mode: 'bridge' });
  ({ plan } = await planNow(k2, { networks: [flatLan()] }));
  assert.deepEqual(lines(plan.ops), ['delete shim10 for v10: no longer wanted']);
  assert.deepEqual(plan.conflicts.map((c) => [c.severity, c.network, formatDiagnostic(c)]), [
    ['warning', 'v10', "enp3s0.10: kept although no drop-in wants it: ctr7 (not flatnetd's) may still depend on it; delete it by hand (ip link del enp3s0.10) once nothing uses it"],
  ]);
  await converge(k2, { networks: [flatLan()] }, 1);
  assert.ok(k2.link('enp3s0.10') !== undefined && k2.link('ctr7') !== undefined);
  // The container goes: so does the VLAN parent.
  k2.deleteLink('ctr7');
  ({ plan } = await planNow(k2, { networks: [flatLan()] }));
  assert.deepEqual(lines(plan.ops), ['delete enp3s0.10 for v10: no longer wanted']);
});

test('a frozen network is untouched, even broken; a down network is removed', async () => {
  const k = host();
  await converge(k, { networks: [vlan10(), flatLan()] }, 1);
  k.setMtu('shim10', 1400);
  k.setUp('shim10', false);
  const frozen = await planNow(k, { networks: [flatLan()], frozen: ['v10'] });
  assert.deepEqual(lines(frozen.plan.ops), []);
  const down = await planNow(k, { networks: [vlan10(), flatLan()], down: ['v10'] });
  assert.deepEqual(lines(down.plan.ops), ['delete shim10 for v10: no longer wanted', 'delete enp3s0.10 for v10: no longer wanted']);
});

test('a missing parent: the network waits, nothing is made; the VLAN and its shim wait for the NIC', async () => {
  const k = host();
  const { plan } = await planNow(k, { networks: [{ ...vlan10(), parent: 'enp5s0' }, network('usb', { parent: 'enx0', subnets: ['10.0.0.0/24'], shim: shim('usb-shim') })] });
  assert.deepEqual(lines(plan.ops), []);
  assert.deepEqual(plan.waiting, [{ network: 'v10', parent: 'enp5s0' }, { network: 'usb', parent: 'enx0' }]);
  k.addNic('enx0');
  const back = await planNow(k, { networks: [network('usb', { parent: 'enx0', subnets: ['10.0.0.0/24'], shim: shim('usb-shim') })] });
  assert.deepEqual(back.plan.waiting, []);
  assert.equal(back.plan.ops[0]?.op, 'link-add');
});

test('a second network on a shared VLAN only rewrites the mark', async () => {
  const k = host();
  await converge(k, { networks: [shared30a()] }, 1);
  const { plan } = await planNow(k, { networks: [shared30a(), shared30b()] });
  assert.equal(lines(plan.ops)[0], 'set enp3s0.30 alias flatnet:s30a,s30b for s30a,s30b: mark flatnet:s30a, want flatnet:s30a,s30b');
  assert.ok(plan.ops.every((o) => o.op !== 'link-del'));
});

test('addresses: extra ones removed after the new are added; link-local and SLAAC/DHCP ones left', async () => {
  const k = host();
  await converge(k, { networks: [flatLanHost()] }, 1);
  k.addAddress('docker-link', '198.51.100.7/24');
  k.addAddress('docker-link', '2001:db8:88::5e/64', { dynamic: true });
  const moved = { ...flatLanHost(), shim: shim('docker-link', { addresses: ['192.168.88.193/32'], routes: ['192.168.88.192/27'] }) };
  const { plan } = await planNow(k, { networks: [moved] });
  assert.deepEqual(lines(plan.ops), [
    'add address 192.168.88.193/32 to docker-link for lan: missing',
    'remove address 192.168.88.192/32 from docker-link for lan: not in the drop-in',
    'remove address 198.51.100.7/24 from docker-link for lan: not in the drop-in',
  ]);
});

test('an IPv6 address whose prefix length changes is removed before it is added again', async () => {
  const k = host();
  const n = network('v6', { subnets: ['fd00:1::/64'], shim: shim('v6-shim', { addresses: ['fd00:1::2/128'] }) });
  await converge(k, { networks: [n] }, 1);
  const m = { ...n, shim: shim('v6-shim', { addresses: ['fd00:1::2/64'] }) };
  const { plan } = await planNow(k, { networks: [m] });
  assert.deepEqual(lines(plan.ops), [
    'remove address fd00:1::2/128 from v6-shim for v6: not in the drop-in',
    'add address fd00:1::2/64 to v6-shim for v6: missing',
  ]);
  await converge(k, { networks: [m] }, 1);
});

test('routes: only proto flatnet routes on our links are ours; a missing one is added, an extra one removed', async () => {
  const k = host();
  await converge(k, { networks: [flatLanHost()] }, 1);
  k.removeRoute({ dst: '192.168.88.192/27', dev: 'docker-link', metric: 0 });
  k.addRoute({ dst: '203.0.113.0/24', dev: 'docker-link', proto: 233, metric: 0 });
  k.addRoute({ dst: '198.18.0.0/15', dev: 'docker-link', metric: 0 });
  k.addRoute({ dst: '198.19.0.0/16', dev: 'enp3s0', proto: 233, metric: 0 });
  const { plan } = await planNow(k, { networks: [flatLanHost()] });
  assert.deepEqual(lines(plan.ops), [
    'add route 192.168.88.192/27 dev docker-link for lan: missing',
    'remove route 203.0.113.0/24 dev docker-link for lan: not in the drop-in',
  ]);
});

test('a route someone else holds with the same prefix and metric is a conflict, not a fight', async () => {
  const k = host();
  // IPRange= the whole subnet of eth1's own static address: its prefix route
  // (proto kernel, metric 0) holds the key our route would need.
  k.addAddress('eth1', '172.16.5.1/24');
  const n = network('wide', { parent: 'eth1', subnets: ['172.16.5.0/24'], ipRanges: ['172.16.5.0/24'], shim: shim('wide-shim', { addresses: ['172.16.5.250/32'] }) });
  const { plan } = await planNow(k, { networks: [n] });
  assert.ok(!lines(plan.ops).some((l) => l.startsWith('add route')));
  assert.deepEqual(plan.conflicts.map(formatDiagnostic), [
    '172.16.5.0/24 dev wide-shim: route not added: already routed through eth1 (proto 2), and the kernel keeps one IPv4 route per prefix and metric',
  ]);
  await converge(k, { networks: [n] }, 1);
});

test('a route another network\'s new address brings as its prefix route is held back in the same plan, then explained by the kernel\'s', async () => {
  const k = host();
  // pa's address 10.77.0.31/27 brings 10.77.0.0/27 (proto kernel, metric 0) on
  // pa-link; pb asks for that route on its own shim: "File exists" if sent.
  const pa = network('pa', { parent: 'eth1', subnets: ['10.77.0.0/24'], shim: shim('pa-link', { addresses: ['10.77.0.31/27'] }) });
  const pb = network('pb', { parent: 'eth1', subnets: ['10.77.0.0/24'], shim: shim('pb-link', { addresses: ['10.77.0.100/32'], routes: ['10.77.0.0/27'], routesExplicit: true }) });
  const { plan } = await planNow(k, { networks: [pa, pb] });
  assert.ok(!lines(plan.ops).some((l) => l.startsWith('add route 10.77.0.0/27')), lines(plan.ops).join('\n'));
  assert.deepEqual(plan.conflicts.map(formatDiagnostic), [
    "10.77.0.0/27 dev pb-link: route not added: pa-link's new address 10.77.0.31/27 brings the same prefix route (proto kernel), and the kernel keeps one IPv4 route per prefix and metric",
  ]);
  await converge(k, { networks: [pa, pb] }, 2);
  const { plan: after } = await planNow(k, { networks: [pa, pb] });
  assert.deepEqual(after.conflicts.map(formatDiagnostic), [
    '10.77.0.0/27 dev pb-link: route not added: already routed through pa-link (proto 2), and the kernel keeps one IPv4 route per prefix and metric',
  ]);
});

test('Promiscuous= on a NIC: one link-set of promisc, the only change to a link not ours', async () => {
  const k = host();
  const n = { ...flatLan(), promiscuous: true };
  const { plan } = await planNow(k, { networks: [n] });
  const onNic = plan.ops.filter((o) => (o.op === 'link-set' && o.name === 'enp3s0'));
  assert.deepEqual(lines(onNic), ['set enp3s0 promisc true for lan: Promiscuous=yes']);
  assert.ok(plan.ops.every((o) => o === onNic[0] || !(o.op === 'link-set' && o.name === 'enp3s0')));
  await converge(k, { networks: [n] }, 1);
  assert.equal(k.link('enp3s0')?.promisc, true);
  // Drop-in gone: nothing marks the flag as ours, so it stays as it is.
  const after = await planNow(k, { networks: [] });
  assert.deepEqual(lines(after.plan.ops), ['delete docker-link for lan: no longer wanted']);
});

test('MTU raised on a VLAN and its shim: refused while the NIC is at 1500; then the parent first, so the child may follow', async () => {
  const k = host();
  await converge(k, { networks: [vlan10()] }, 1);
  const refused = await planNow(k, { networks: [{ ...vlan10(), mtu: 9000 }] });
  assert.deepEqual(lines(refused.plan.ops), [], 'the kernel checks hold the network as it is, as the loop does');
  assert.match(refused.verdicts.get('v10')?.refused[0]?.message ?? '', /above the MTU of the parent enp3s0 \(1500\)/);
  k.setMtu('enp3s0', 9216);
  const { plan } = await planNow(k, { networks: [{ ...vlan10(), mtu: 9000 }] });
  assert.deepEqual(lines(plan.ops), [
    'set enp3s0.10 mtu 9000 for v10: mtu 1500, want 9000',
    'set shim10 mtu 9000 for v10: mtu 1500, want 9000',
  ]);
  await converge(k, { networks: [{ ...vlan10(), mtu: 9000 }] }, 1);
});

test('a shim renamed by hand: the old one (with the MAC the new one takes over) goes first, then the new one is made', async () => {
  const k = host();
  await converge(k, { networks: [flatLanHost()] }, 1);
  k.setUp('docker-link', false);
  k.renameLink('docker-link', 'old-link');
  k.setUp('old-link', true);
  k.addRoute({ dst: '192.168.88.192/27', dev: 'old-link', proto: 233, metric: 0 });
  const { plan } = await planNow(k, { networks: [flatLanHost()] });
  const mac = stableMac(MACHINE_ID, 'lan');
  assert.deepEqual(lines(plan.ops), [
    `delete old-link for lan: no longer wanted; goes first, docker-link needs its MAC ${mac}`,
    'create docker-link (macvlan bridge on enp3s0) for lan: missing',
    'set docker-link up true for lan: new',
    'add address 192.168.88.192/32 to docker-link for lan: new link',
    'add route 192.168.88.192/27 dev docker-link for lan: missing',
  ]);
  await converge(k, { networks: [flatLanHost()] }, 1);
  assert.equal(k.link('docker-link')?.mac, mac);
});
