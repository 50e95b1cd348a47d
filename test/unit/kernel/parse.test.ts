// The parser against JSON captured from this kernel by
// test/fixtures/kernel/capture.sh (iproute2 6.1), and against one hand-written
// dump for the kinds this kernel lacks (vlan, ipvlan, dummy).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseAddresses, parseLinks, parseMonitorLine, parseObserved, parseRoutes, routeProtoNumber, routeTableNumber,
} from '../../../src/kernel/parse.js';
import type { ObservedLink, ObservedRoute } from '../../../src/model/observed.js';
import { ROUTE_PROTO } from '../../../src/model/ownership.js';
import { fixtureJson, fixtureText } from '../../support/kernel-fixtures.js';

const host = (): ReturnType<typeof parseObserved> =>
  parseObserved(fixtureJson('host.addr.json'), fixtureJson('host.route4.json'), fixtureJson('host.route6.json'));

function link(links: readonly ObservedLink[], name: string): ObservedLink {
  const l = links.find((x) => x.name === name);
  assert.ok(l, `no link ${name} in ${links.map((x) => x.name).join(', ')}`);
  return l;
}

test('the shim: macvlan bridge on eth0, our alias, lower-case MAC, MTU, up with carrier', () => {
  const o = host();
  const eth0 = link(o.links, 'eth0');
  assert.deepEqual(link(o.links, 'docker-link'), {
    ifindex: 6, name: 'docker-link', kind: 'macvlan', parentIndex: eth0.ifindex, vlanId: null, mode: 'bridge',
    ipvlanFlag: null, mtu: 1400, mac: '02:aa:bb:cc:dd:01', up: true, carrier: true, promisc: false,
    alias: 'flatnet:lan', maxMtu: 65535, wireless: false,
  });
});

test('a veth whose peer is in another namespace has no parent here; a same-namespace peer is found by name', () => {
  const o = host();
  const eth0 = link(o.links, 'eth0');
  // eth0's JSON says link_index 2 — an index in the lan namespace, which here is eth0 itself.
  assert.equal(eth0.parentIndex, null);
  assert.equal(eth0.kind, 'veth');
  assert.equal(eth0.promisc, true);
  assert.equal(link(o.links, 'vb1').parentIndex, link(o.links, 'vb0').ifindex);
  assert.equal(link(o.links, 'vb0').parentIndex, link(o.links, 'vb1').ifindex);
  assert.equal(link(o.links, 'br0').parentIndex, null);
  assert.equal(link(o.links, 'lo').kind, null);
});

test('carrier, up and mode for links that are down or have lost their carrier', () => {
  const o = host();
  const priv = link(o.links, 'mv-private');
  assert.deepEqual([priv.mode, priv.up, priv.carrier], ['private', false, false]);
  const nic1 = link(o.links, 'nic1');
  assert.deepEqual([nic1.up, nic1.carrier], [true, false]);
  const child = link(o.links, 'mv-nocarrier');
  assert.deepEqual([child.mode, child.up, child.carrier, child.parentIndex], ['vepa', true, false, nic1.ifindex]);
  assert.equal(link(o.links, 'br-empty').carrier, true, 'operstate UNKNOWN with LOWER_UP counts as carrier');
  assert.equal(link(o.links, 'lo').carrier, true);
});

test('addresses v4 and v6 with scope, and dynamic only for a finite lifetime', () => {
  const o = host();
  const on = (name: string): string[] => o.addresses.filter((a) => a.ifindex === link(o.links, name).ifindex)
    .map((a) => `${a.cidr} ${a.family} ${a.scope}${a.dynamic ? ' dynamic' : ''}`);
  assert.deepEqual(on('docker-link'), [
    '192.168.88.192/27 4 global',
    'fd00:88::192/64 6 global',
    'fe80::aa:bbff:fecc:dd01/64 6 link',
  ]);
  assert.deepEqual(on('eth0'), ['192.168.88.9/24 4 global dynamic', 'fe80::ff:fe00:9/64 6 link']);
  assert.deepEqual(on('lo'), ['127.0.0.1/8 4 host', '::1/128 6 host']);
  assert.deepEqual(on('mv-private'), []);
});

test('routes: our proto 233 ones, kernel prefix routes, defaults as 0.0.0.0/0 and ::/0, host routes as /32, no local table noise', () => {
  const o = host();
  const idx = (n: string): number => link(o.links, n).ifindex;
  const key = (r: ObservedRoute): string =>
    `${r.dst} dev ${r.ifindex} proto ${r.proto} table ${r.table} metric ${r.metric} scope ${r.scope} via ${r.gateway ?? '-'} src ${r.src ?? '-'}`;
  assert.deepEqual(o.routes.filter((r) => r.family === 4).map(key), [
    `10.7.0.0/16 dev ${idx('eth0')} proto 4 table 100 metric 0 scope link via - src -`,
    `0.0.0.0/0 dev ${idx('eth0')} proto 16 table 254 metric 1024 scope global via 192.168.88.1 src -`,
    `10.9.9.9/32 dev ${idx('eth0')} proto 4 table 254 metric 0 scope link via - src -`,
    `192.168.88.0/24 dev ${idx('eth0')} proto 2 table 254 metric 0 scope link via - src 192.168.88.9`,
    `192.168.88.192/27 dev ${idx('docker-link')} proto 2 table 254 metric 0 scope link via - src 192.168.88.192`,
    `192.168.88.224/27 dev ${idx('docker-link')} proto ${ROUTE_PROTO} table 254 metric 10 scope link via - src -`,
  ]);
  const v6 = o.routes.filter((r) => r.family === 6);
  assert.ok(v6.every((r) => r.table === 254), 'the local table (::1, ff00::/8, own addresses) is left out');
  assert.deepEqual(v6.filter((r) => r.ifindex === idx('docker-link')).map(key), [
    `fd00:88::/64 dev ${idx('docker-link')} proto 2 table 254 metric 256 scope global via - src -`,
    `fd00:99::/64 dev ${idx('docker-link')} proto ${ROUTE_PROTO} table 254 metric 10 scope global via - src -`,
    `fe80::/64 dev ${idx('docker-link')} proto 2 table 254 metric 256 scope global via - src -`,
    `::/0 dev ${idx('docker-link')} proto 3 table 254 metric 1024 scope global via fd00:88::1 src -`,
  ]);
});

test('the same state dumped with names (no -N, v4 and v6 in one dump) parses to the same observation', () => {
  const numeric = host();
  const links = parseLinks(fixtureJson('host.link.named.json'));
  assert.deepEqual(links, numeric.links, 'ip link show and ip addr show give the same links');
  assert.deepEqual(parseAddresses(fixtureJson('host.addr.named.json')), numeric.addresses);
  const sortKey = (r: ObservedRoute): string => `${r.family} ${r.dst} ${r.ifindex} ${r.metric}`;
  const byKey = (a: ObservedRoute, b: ObservedRoute): number => sortKey(a).localeCompare(sortKey(b));
  assert.deepEqual(parseRoutes(fixtureJson('host.route-all.named.json'), links).sort(byKey), [...numeric.routes].sort(byKey));
});

test('protocol and table names map to the numbers -N prints, ours included', () => {
  assert.deepEqual(['kernel', 'boot', 'static', 'dhcp', 'ra', 'flatnet', '233', '2'].map((p) => routeProtoNumber(p)),
    [2, 3, 4, 16, 9, ROUTE_PROTO, 233, 2]);
  assert.deepEqual(['main', 'local', 'default', '100'].map((t) => routeTableNumber(t)), [254, 255, 253, 100]);
  assert.throws(() => routeTableNumber('vpn', 'route 10.0.0.0/8'), /route 10\.0\.0\.0\/8.*table "vpn" has no known number/s);
});

test('a route without a device (blackhole, multipath) or on a vanished device is left out, not fatal', () => {
  const links = parseLinks(fixtureJson('host.addr.json'));
  const routes = parseRoutes([
    { type: 'blackhole', dst: '10.66.0.0/16', table: 'main', protocol: 'static', flags: [] },
    { dst: '10.67.0.0/16', nexthops: [{ gateway: '192.168.88.2', dev: 'eth0' }], protocol: 'static' },
    { dst: '10.68.0.0/16', dev: 'gone0', protocol: '233' },
    { dst: 'default', dev: 'docker-link', protocol: 'static', pref: 'medium', metric: 1024 },
  ], links);
  assert.deepEqual(routes.map((r) => `${r.dst} ${r.family}`), ['::/0 6'], 'a dev-only default with "pref" is IPv6');
});

test('kinds this kernel lacks: vlan id, ipvlan mode and flag, dummy, an unnamed lower link, a SLAAC address', () => {
  const dump = fixtureJson('handmade.vlan-ipvlan.addr.json');
  const links = parseLinks(dump);
  const vlan = link(links, 'enp3s0.200');
  assert.deepEqual([vlan.kind, vlan.vlanId, vlan.parentIndex, vlan.mode, vlan.alias], ['vlan', 200, 2, null, 'flatnet:lan,lan2']);
  assert.deepEqual([link(links, 'ipv-shim').mode, link(links, 'ipv-shim').ipvlanFlag, link(links, 'ipv-shim').parentIndex], ['l3s', 'private', 3]);
  assert.deepEqual([link(links, 'ipv-l2').mode, link(links, 'ipv-l2').ipvlanFlag], ['l2', 'bridge']);
  assert.deepEqual([link(links, 'mv-orphan').mode, link(links, 'mv-orphan').parentIndex], ['passthru', 42]);
  assert.deepEqual([link(links, 'flatnet-int0').kind, link(links, 'flatnet-int0').carrier], ['dummy', true]);
  const nic = link(links, 'enp3s0');
  assert.deepEqual([nic.mac, nic.maxMtu, nic.kind], ['a8:a1:59:24:d0:61', 9000, null]);
  assert.deepEqual(parseAddresses(dump).map((a) => `${a.cidr}${a.dynamic ? ' dynamic' : ''}`),
    ['192.168.88.9/24 dynamic', '2001:db8:88::a8a1:59ff:fe24:d061/64 dynamic']);
});

test('malformed dumps are refused with what is wrong and where', () => {
  assert.throws(() => parseLinks({}), /ip -json link.*expected a JSON array/);
  assert.throws(() => parseLinks([{ ifname: 'eth0', ifindex: 2, flags: [] }]), /link eth0.*"mtu" is missing/);
  assert.throws(() => parseLinks([{ ifindex: 2 }]), /ip -json link entry 0.*"ifname"/);
});

test('monitor lines: the label says what changed, and the shape says the same without it', () => {
  const lines = fixtureText('monitor-label.txt').split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length > 10);
  const seen = new Set<string>();
  for (const line of lines) {
    const e = parseMonitorLine(line);
    assert.ok(e, line);
    assert.notEqual(e.what, 'resync', line);
    assert.equal(e.text, line.trim());
    seen.add(e.what);
    const unlabelled = parseMonitorLine(line.replace(/^\[[A-Z]+\]/, ''));
    assert.equal(unlabelled?.what, e.what, `shape of: ${line}`);
  }
  assert.deepEqual([...seen].sort(), ['address', 'link', 'route']);
  assert.equal(parseMonitorLine('   '), null);
  assert.equal(parseMonitorLine('[NSID]current nsid 0')?.what, 'resync');
});
