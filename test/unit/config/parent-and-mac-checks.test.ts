// Parent= and MACAddress= values the kernel would refuse or misuse, refused
// at their line before it sees them: across drop-ins (validate.ts) and
// against the links the kernel has (kernel-checks.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstKernel } from '../../../src/plan/kernel-checks.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { formatDiagnostic } from '../../../src/errors.js';
import type { ObservedLink } from '../../../src/model/observed.js';

const link = (over: Partial<ObservedLink>): ObservedLink => ({
  ifindex: 2, name: 'enp3s0', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null,
  mtu: 1500, mac: 'a8:a1:59:24:d0:61', up: true, carrier: true, promisc: false, alias: null, maxMtu: 9216, wireless: false,
  ...over,
});
const PATH = '/etc/flatnet.d/30-x.conf';
const net = (text: string): NonNullable<ReturnType<typeof buildConfigSet>['networks'][number]> => {
  const n = buildConfigSet([{ path: PATH, text }]).networks[0];
  assert.ok(n !== undefined, 'valid on its own');
  return n;
};

test('a parent that is itself a macvlan or ipvlan is refused at the Parent= line; a VLAN on one is fine', () => {
  const n = net('[Network]\nParent=mv-hand\nSubnet=10.0.0.0/24\n[Shim]\nName=s\nAddress=10.0.0.2/32\n');
  assert.deepEqual(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'macvlan', mode: 'bridge' })).map(formatDiagnostic),
    [`${PATH}:2: Parent=mv-hand: mv-hand is itself a macvlan link, which cannot be a parent; use the interface it sits on`]);
  assert.equal(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'ipvlan' }))[0]?.code, 'unsupported');
  assert.deepEqual(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'veth' })), []);
  const tagged = net('[Network]\nParent=mv-hand\nVLAN=7\n');
  assert.deepEqual(checkAgainstKernel(tagged, link({ name: 'mv-hand', kind: 'macvlan' })), []);
});

test('a shim MACAddress= equal to the parent\'s MAC is refused at its line; another MAC, or passthru, is fine', () => {
  const text = (mac: string, mode = 'bridge'): string => `[Network]\nParent=enp3s0\nMode=${mode}\n[Shim]\nName=s\nMACAddress=${mac}\n`;
  assert.deepEqual(checkAgainstKernel(net(text('A8:A1:59:24:D0:61')), link({})).map(formatDiagnostic),
    [`${PATH}:6: MACAddress=A8:A1:59:24:D0:61: the MAC address of enp3s0 itself; a shim needs a MAC of its own (leave MACAddress= out for a stable one)`]);
  assert.deepEqual(checkAgainstKernel(net(text('02:00:00:00:00:01')), link({})), []);
  assert.deepEqual(checkAgainstKernel(net(text('a8:a1:59:24:d0:61', 'passthru')), link({})), []);
});

const withMac = (name: string, parent: string, mac: string): string =>
  `[Network]\nName=${name}\nParent=${parent}\nSubnet=10.77.0.0/24\n[Shim]\nName=${name}-link\nAddress=10.77.0.${name.length}/32\nMACAddress=${mac}\n`;

test('one MACAddress= on two networks: the later drop-in is refused at its line, the first keeps working', () => {
  const set = buildConfigSet([
    { path: '/etc/flatnet.d/30-a.conf', text: withMac('maca', 'enp3s0', '02:42:00:00:00:07') },
    { path: '/etc/flatnet.d/31-b.conf', text: withMac('macbb', 'enp4s0', '02:42:00:00:00:07') },
  ]);
  assert.deepEqual(set.networks.map((n) => n.name), ['maca']);
  assert.deepEqual(set.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
    ['/etc/flatnet.d/31-b.conf:8: MACAddress=02:42:00:00:00:07: /etc/flatnet.d/30-a.conf already gives its shim this MAC address; this network is rejected, 30-a.conf keeps working']);
});

test('Parent=lo is refused before the kernel sees it', () => {
  const set = buildConfigSet([{ path: '/etc/flatnet.d/30-lo.conf', text: withMac('loop', 'lo', '02:42:00:00:00:09') }]);
  const [n] = set.networks;
  assert.ok(n);
  const lo = { ifindex: 1, name: 'lo', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 65536, mac: '00:00:00:00:00:00', up: true, carrier: true, promisc: false, alias: null, maxMtu: 0, wireless: false };
  assert.deepEqual(checkAgainstKernel(n, lo).map(formatDiagnostic),
    ['/etc/flatnet.d/30-lo.conf:3: Parent=lo: lo is not an Ethernet device (a loopback); macvlan, ipvlan and VLANs need one']);
});
