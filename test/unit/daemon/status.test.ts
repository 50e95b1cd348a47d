import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveStatus, summaryLine } from '../../../src/reconcile/status.js';
import { followedSubnets } from '../../../src/plan/subnets.js';
import type { Observed, ObservedLink } from '../../../src/model/observed.js';
import type { NetworkStatus } from '../../../src/model/status.js';
import { readmeLan } from '../../fake/scenarios.js';

function link(over: Partial<ObservedLink>): ObservedLink {
  return { ifindex: 2, name: 'enp3s0', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 1500, mac: 'a8:a1:59:24:d0:61', up: true, carrier: true, promisc: false, alias: null, maxMtu: 9000, wireless: false, ...over };
}
const observed: Observed = {
  links: [link({}), link({ ifindex: 7, name: 'docker-link', kind: 'macvlan', parentIndex: 2, mode: 'bridge', alias: 'flatnet:lan' })],
  addresses: [
    { ifindex: 2, cidr: '192.168.88.9/24', family: 4, scope: 'global', dynamic: true },
    { ifindex: 2, cidr: 'fd00:88::9/64', family: 6, scope: 'global', dynamic: true },
    { ifindex: 2, cidr: 'fe80::1/64', family: 6, scope: 'link', dynamic: false },
  ],
  routes: [],
};

test('a network without Subnet= follows its parent\'s prefixes (v4 and v6, not link-local)', () => {
  assert.deepEqual(followedSubnets(readmeLan({ subnets: [] }), observed), ['192.168.88.0/24', 'fd00:88::/64']);
  assert.deepEqual(followedSubnets(readmeLan(), observed), ['192.168.88.0/24']);
  assert.deepEqual(followedSubnets(readmeLan({ subnets: [], parent: 'eth9' }), observed), []);
});

const base = { name: 'lan', file: '/etc/flatnet.d/10-lan.conf', configErrors: [], down: false, observed, prev: undefined, restoreCount: 0, nowUsec: 5n };
const outcome = { waitingFor: null, errors: [], warnings: [], notes: [], applied: [], failed: false };

test('status: configured, with ifindexes, carrier and lastChange', () => {
  const s = deriveStatus({ ...base, net: readmeLan(), outcome });
  assert.equal(s.state, 'configured');
  assert.equal(s.parentIfIndex, 2);
  assert.equal(s.shimIfIndex, 7);
  assert.equal(s.carrier, true);
  assert.equal(s.lastChangeUSec, 5n);
  const later = deriveStatus({ ...base, net: readmeLan(), outcome, prev: s, nowUsec: 9n });
  assert.equal(later.lastChangeUSec, 5n, 'unchanged state keeps its timestamp');
});

test('status: waiting, down, invalid, degraded on a broken drop-in, failed on a conflict', () => {
  assert.equal(deriveStatus({ ...base, net: readmeLan(), outcome: { ...outcome, waitingFor: 'enp5s0' } }).state, 'waiting-for-parent');
  assert.equal(deriveStatus({ ...base, net: readmeLan(), down: true, outcome }).state, 'down');
  const err = { severity: 'error' as const, code: 'invalid-value' as const, file: '/etc/flatnet.d/10-lan.conf', line: 7, key: 'VLAN', value: '5000', message: 'must be 1..4094' };
  const inv = deriveStatus({ ...base, net: null, configErrors: [err], outcome: undefined });
  assert.equal(inv.state, 'invalid');
  assert.equal(inv.lastError, '/etc/flatnet.d/10-lan.conf:7: VLAN=5000: must be 1..4094');
  const kept = deriveStatus({ ...base, net: readmeLan(), configErrors: [err], outcome });
  assert.equal(kept.state, 'degraded');
  assert.match(kept.lastError, /keeping its last good version: .*10-lan\.conf:7: VLAN=5000/);
  const conflict = { severity: 'error' as const, code: 'conflict' as const, object: 'docker-link', message: 'exists and is not ours' };
  assert.equal(deriveStatus({ ...base, net: readmeLan(), outcome: { ...outcome, errors: [conflict] } }).state, 'failed');
});

test('a parent without carrier: no-carrier, saying which link; configured again with it', () => {
  const noCarrier = deriveStatus({ ...base, net: readmeLan(), outcome, observed: { ...base.observed, links: base.observed.links.map((l) => (l.name === 'enp3s0' ? { ...l, carrier: false } : l)) } });
  assert.equal(noCarrier.state, 'no-carrier');
  assert.match(noCarrier.lastError, /^enp3s0 has no carrier/);
  assert.equal(deriveStatus({ ...base, net: readmeLan(), outcome }).state, 'configured');
});

test('the STATUS= line says what a person needs', () => {
  const s = (name: string, state: NetworkStatus['state'], parent = 'enp3s0', carrier = true) => ({ ...deriveStatus({ ...base, net: readmeLan(), outcome }), name, state, parent, carrier });
  assert.equal(summaryLine([]), 'no networks configured (no drop-ins)');
  assert.equal(summaryLine([s('a', 'configured'), s('b', 'configured'), s('c', 'configured'), s('d', 'waiting-for-parent', 'enp5s0')]), '3 networks configured, 1 waiting for enp5s0');
  assert.equal(summaryLine([s('a', 'no-carrier', 'enp3s0', false), s('b', 'failed')]), '1 network configured, 1 failed, 1 without carrier');
});

test('a missing parent is named with the drop-in line and the NICs that exist, and a near name is offered', () => {
  const typo = readmeLan({ parent: 'eht0', where: { 'Network.Parent': { file: '/etc/flatnet.d/10-lan.conf', line: 3, key: 'Parent', value: 'eht0' } } });
  const withEth0: Observed = { ...observed, links: [...observed.links, link({ ifindex: 3, name: 'eth0', mac: '02:00:00:00:00:03' }),
    link({ ifindex: 1, name: 'lo', mac: '00:00:00:00:00:00' }), link({ ifindex: 9, name: 'veth1234', kind: 'veth' }), link({ ifindex: 10, name: 'lan-shim', kind: 'macvlan', alias: 'flatnet:x' })] };
  const s = deriveStatus({ ...base, observed: withEth0, net: typo, outcome: { ...outcome, waitingFor: 'eht0' } });
  assert.equal(s.state, 'waiting-for-parent');
  assert.equal(s.lastError, 'waiting for eht0 to appear (Parent= at /etc/flatnet.d/10-lan.conf:3; interfaces here: enp3s0, eth0; did you mean eth0?)');
  // Nothing near: the line and the NICs; a container's veth coming and going does not change the message.
  const far = deriveStatus({ ...base, net: readmeLan({ parent: 'usb0', where: {} }), outcome: { ...outcome, waitingFor: 'usb0' } });
  assert.equal(far.lastError, 'waiting for usb0 to appear (interfaces here: enp3s0)');
});

test('a foreign link holding the shim\'s name: the drop-in\'s path:line and the way out', () => {
  const conflict = { severity: 'error' as const, code: 'conflict' as const, object: 'docker-link', message: 'kind veth, want macvlan; not made by flatnetd, so it is left alone' };
  const net = readmeLan({ where: { 'Shim.Name': { file: '/etc/flatnet.d/10-lan.conf', line: 9, key: 'Name', value: 'docker-link' } } });
  const s = deriveStatus({ ...base, net, outcome: { ...outcome, errors: [conflict] } });
  assert.equal(s.state, 'failed');
  assert.equal(s.lastError, '/etc/flatnet.d/10-lan.conf:9: Name=docker-link: docker-link: kind veth, want macvlan; not made by flatnetd, '
    + 'so it is left alone; delete it (ip link delete docker-link) and flatnetd makes its own, or set another Name= there');
  // A conflict about something else (a route two networks want) keeps its own words.
  const route = { ...conflict, object: '192.168.88.192/27 dev same-link', message: 'route not added: another network of this host wants the same route' };
  assert.equal(deriveStatus({ ...base, net, outcome: { ...outcome, errors: [route] } }).lastError,
    '192.168.88.192/27 dev same-link: route not added: another network of this host wants the same route');
});
