import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkConfig } from '../../../src/model/config.js';
import { emptyObserved, type Observed } from '../../../src/model/observed.js';
import { buildDesired, FOLLOW_ROUTE_METRIC, stableMac } from '../../../src/plan/desired.js';
import { host, dualStack, follow, internal, ipvlanL3, MACHINE_ID, network, flatLan, flatLanHost, shared30a, shared30b, shim, vlan10, vlan20, vlan200 } from '../../fake/scenarios.js';

function build(networks: NetworkConfig[], over: { frozen?: string[]; down?: string[]; observed?: Observed } = {}) {
  return buildDesired({
    networks, frozen: over.frozen ?? [], down: over.down ?? [], machineId: MACHINE_ID, observed: over.observed ?? emptyObserved(),
  });
}

test('the README\'s flat LAN: one shim on the NIC, no route of ours for the /27 the kernel routes by itself', () => {
  const { desired, notes } = build([flatLan()]);
  assert.equal(desired.links.length, 1);
  const [l] = desired.links;
  assert.deepEqual(l, {
    name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', mode: 'bridge', mtu: null,
    mac: stableMac(MACHINE_ID, 'lan'), promisc: null, alias: 'flatnet:lan', networks: ['lan'], role: 'shim',
    addresses: ['192.168.88.192/27'], routes: [],
  });
  assert.deepEqual(notes.get('lan'), ['192.168.88.192/27 is routed through docker-link by the kernel, for its address']);
});

test('the README\'s flat LAN with a /32 address: the IPRange becomes our route, metric 0', () => {
  const [l] = build([flatLanHost()]).desired.links;
  assert.deepEqual(l?.routes, [{ dst: '192.168.88.192/27', family: 4, dev: 'docker-link', metric: 0 }]);
});

test('the stable MAC: same for the same machine and network, locally administered unicast', () => {
  const a = stableMac(MACHINE_ID, 'lan');
  assert.equal(a, stableMac(`${MACHINE_ID}\n`, 'lan'), '/etc/machine-id ends in a newline');
  assert.notEqual(a, stableMac(MACHINE_ID, 'lan2'));
  assert.notEqual(a, stableMac('00000000000000000000000000000001', 'lan'));
  assert.match(a, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  // What every release so far has given: the LAN knows shims by these MACs.
  assert.equal(stableMac('f00dfeedf00dfeedf00dfeedf00dfeed', 'lan'), '22:37:1e:15:34:d9');
  assert.equal(stableMac('b08dfa6083e7567a1921a715000001fb', 'iot-2'), 'a6:4c:c6:ff:88:9f');
  for (const n of ['a', 'b', 'c', 'lan', 'iot', 'vlan200']) {
    const first = parseInt(stableMac(MACHINE_ID, n).slice(0, 2), 16);
    assert.equal(first & 0x02, 0x02, 'locally administered');
    assert.equal(first & 0x01, 0, 'unicast');
  }
  const fixed = build([network('lan', { shim: shim('docker-link', { mac: '02:42:C0:A8:58:C0' }) })]).desired.links[0];
  assert.equal(fixed?.mac, '02:42:c0:a8:58:c0');
});

test('VLAN 200 without a shim: only the 802.1Q parent, for Docker to use', () => {
  const { desired } = build([vlan200()]);
  assert.deepEqual(desired.links.map((l) => [l.name, l.kind, l.parent, l.kind === 'vlan' ? l.vlanId : null, l.role, l.alias, l.mac]),
    [['enp3s0.200', 'vlan', 'enp3s0', 200, 'parent', 'flatnet:vlan200', null]]);
});

test('two VLANs share nothing; two networks on one parent+VLAN share its link', () => {
  const two = build([vlan10(), vlan20()]).desired.links.map((l) => `${l.name}<${l.parent ?? ''}>${l.alias}`);
  assert.deepEqual(two, ['enp3s0.10<enp3s0>flatnet:v10', 'shim10<enp3s0.10>flatnet:v10', 'enp3s0.20<enp3s0>flatnet:v20', 'shim20<enp3s0.20>flatnet:v20']);
  const shared = build([shared30b(), shared30a()]).desired.links;
  assert.deepEqual(shared.map((l) => l.name), ['enp3s0.30', 'shim30b', 'shim30a']);
  assert.deepEqual(shared[0]?.networks, ['s30b', 's30a']);
  assert.equal(shared[0]?.alias, 'flatnet:s30a,s30b');
});

test('ipvlan L3: mode and flag kept, no MAC of its own (MACAddress= noted as unused)', () => {
  const n = ipvlanL3();
  const { desired, notes } = build([{ ...n, shim: n.shim && { ...n.shim, mac: '02:00:00:00:00:01' } }]);
  const [l] = desired.links;
  const ip = l?.kind === 'ipvlan' ? l : undefined;
  assert.deepEqual([l?.kind, ip?.mode, ip?.ipvlanFlag, l?.mac, l?.parent], ['ipvlan', 'l3', 'bridge', null, 'eth1']);
  assert.deepEqual(notes.get('ipv120'), ["MACAddress= is not used: a ipvlan l3 shim has eth1's MAC"]);
});

test('dual stack: both families, canonical text', () => {
  const [l] = build([dualStack()]).desired.links;
  assert.deepEqual(l?.addresses, ['192.168.88.240/32', 'fd00:88::2/128']);
  assert.deepEqual(l?.routes, [
    { dst: '192.168.88.224/28', family: 4, dev: 'ds-shim', metric: 0 },
    // Linux keeps a v6 route asked for with metric 0 as 1024, so 1024 is what we ask for.
    { dst: 'fd00:88::1:0/112', family: 6, dev: 'ds-shim', metric: 1024 },
  ]);
  const odd = build([network('x', { subnets: ['fd00::/64'], ipRanges: ['FD00:0:0:0::1:0/112'], shim: shim('x', { addresses: ['FD00:0::2/128'] }) })]);
  assert.deepEqual(odd.desired.links[0]?.addresses, ['fd00::2/128']);
  assert.deepEqual(odd.desired.links[0]?.routes.map((r) => r.dst), ['fd00::1:0/112']);
});

test('internal network: a dummy parent of our own, MTU on both', () => {
  const links = build([internal()]).desired.links;
  assert.deepEqual(links.map((l) => [l.name, l.kind, l.parent, l.mtu, l.role]), [
    ['dummy-int242', 'dummy', null, 9000, 'parent'],
    ['int-shim', 'macvlan', 'dummy-int242', 9000, 'shim'],
  ]);
  // The /24 of the shim's address is the kernel's; the /25 range is ours.
  assert.deepEqual(links[1]?.routes.map((r) => r.dst), ['192.168.242.0/25']);
});

test('Route= replaces the IPRange default; Route= with nothing means no routes', () => {
  const explicit = build([network('lan', { subnets: ['192.168.88.0/24'], ipRanges: ['192.168.88.192/27'],
    shim: shim('s', { addresses: ['192.168.88.192/32'], routes: ['10.9.0.0/16'], routesExplicit: true }) })]);
  assert.deepEqual(explicit.desired.links[0]?.routes.map((r) => r.dst), ['10.9.0.0/16']);
  const none = build([network('lan', { subnets: ['192.168.88.0/24'], ipRanges: ['192.168.88.192/27'],
    shim: shim('s', { addresses: ['192.168.88.192/32'], routes: [], routesExplicit: true }) })]);
  assert.deepEqual(none.desired.links[0]?.routes, []);
});

test('Promiscuous=: on our own parent a link attribute, on a NIC the one foreign change', () => {
  const onNic = build([network('lan', { promiscuous: true, shim: shim('s') , subnets: ['10.0.0.0/24'] })]).desired;
  assert.deepEqual(onNic.foreignPromisc, [{ link: 'enp3s0', promisc: true, networks: ['lan'] }]);
  assert.ok(onNic.links.every((l) => l.name !== 'enp3s0'));
  const onVlan = build([{ ...vlan10(), promiscuous: true }, { ...vlan10(), name: 'v10b', shim: shim('shim10b'), promiscuous: false }]).desired;
  assert.deepEqual(onVlan.foreignPromisc, []);
  assert.equal(onVlan.links.find((l) => l.name === 'enp3s0.10')?.promisc, true, 'yes on any network sharing it wins');
  assert.equal(build([vlan10()]).desired.links[0]?.promisc, null, 'unset = not managed');
});

test('frozen networks are left out and listed; down networks are left out, even when frozen', () => {
  const { desired } = build([flatLan(), vlan10()], { frozen: ['v10'] });
  assert.deepEqual(desired.links.map((l) => l.name), ['docker-link']);
  assert.deepEqual(desired.frozen, ['v10']);
  const down = build([flatLan(), vlan10()], { frozen: ['v10'], down: ['v10', 'lan'] }).desired;
  assert.deepEqual(down.links, []);
  assert.deepEqual(down.frozen, []);
});

test('a VLAN parent shared with a frozen network keeps that network in its mark', async () => {
  const observed = await host().observe();
  observed.links.push({ ...observed.links[1], ifindex: 40, name: 'enp3s0.30', kind: 'vlan', parentIndex: 2, vlanId: 30, alias: 'flatnet:s30a,s30b' } as typeof observed.links[number]);
  const { desired } = build([shared30a(), shared30b()], { frozen: ['s30a'], observed });
  assert.equal(desired.links.find((l) => l.name === 'enp3s0.30')?.alias, 'flatnet:s30a,s30b');
  assert.deepEqual(desired.links.find((l) => l.name === 'enp3s0.30')?.networks, ['s30b']);
  assert.equal(desired.links.some((l) => l.name === 'shim30a'), false);
});

test('follow mode: no Subnet= takes the parent\'s current global prefixes, routes stand behind the parent\'s', async () => {
  const k = host();
  k.addAddress('enp3s0', 'fd00:88::9/64', { dynamic: true });
  const { desired, notes } = build([follow()], { observed: await k.observe() });
  assert.deepEqual(desired.links[0]?.routes, [
    { dst: '192.168.88.0/24', family: 4, dev: 'fol-shim', metric: FOLLOW_ROUTE_METRIC },
    { dst: 'fd00:88::/64', family: 6, dev: 'fol-shim', metric: FOLLOW_ROUTE_METRIC },
  ]);
  assert.equal(notes.get('follow')?.[0], "following enp3s0's prefix 192.168.88.0/24, fd00:88::/64");
  assert.match(notes.get('follow')?.[1] ?? '', /set IPRange= or Route= for the host to reach its containers/);

  // DHCP moves the LAN: the routes follow.
  k.removeAddress('enp3s0', '192.168.88.9/24');
  k.addAddress('enp3s0', '192.168.77.9/24', { dynamic: true, metric: 1024 });
  const moved = build([follow()], { observed: await k.observe() }).desired;
  assert.deepEqual(moved.links[0]?.routes.map((r) => r.dst), ['192.168.77.0/24', 'fd00:88::/64']);

  // No address yet: nothing to follow, and the note says so.
  const bare = build([follow()], { observed: emptyObserved() });
  assert.deepEqual(bare.desired.links[0]?.routes, []);
  assert.deepEqual(bare.notes.get('follow'), ["following enp3s0's prefix, but it has no global address yet"]);
});

test('follow mode with IPRange=: the range is routed at metric 0, the prefix only followed', async () => {
  const observed = await host().observe();
  const { desired } = build([{ ...follow(), ipRanges: ['192.168.88.192/27'] }], { observed });
  assert.deepEqual(desired.links[0]?.routes, [{ dst: '192.168.88.192/27', family: 4, dev: 'fol-shim', metric: 0 }]);
});

test('follow mode stays behind a parent route with an unusually high metric', async () => {
  const k = host();
  k.addAddress('eth1', '10.2.0.5/24', { metric: 70000 });
  const { desired } = build([{ ...follow(), parent: 'eth1' }], { observed: await k.observe() });
  assert.deepEqual(desired.links[0]?.routes.map((r) => `${r.dst}@${r.metric}`), [`10.1.0.0/24@${FOLLOW_ROUTE_METRIC}`, '10.2.0.0/24@70001']);
});
