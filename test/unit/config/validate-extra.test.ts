import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfigSet } from '../../../src/config/load.js';
import { checkAgainstKernel } from '../../../src/plan/kernel-checks.js';
import { formatDiagnostic } from '../../../src/errors.js';

const net = (name: string, parent: string, mac: string): string =>
  `[Network]\nName=${name}\nParent=${parent}\nSubnet=10.77.0.0/24\n[Shim]\nName=${name}-link\nAddress=10.77.0.${name.length}/32\nMACAddress=${mac}\n`;

test('one MACAddress= on two networks: the later drop-in is refused at its line, the first keeps working', () => {
  const set = buildConfigSet([
    { path: '/etc/flatnet.d/30-a.conf', text: net('maca', 'enp3s0', '02:42:00:00:00:07') },
    { path: '/etc/flatnet.d/31-b.conf', text: net('macbb', 'enp4s0', '02:42:00:00:00:07') },
  ]);
  assert.deepEqual(set.networks.map((n) => n.name), ['maca']);
  assert.deepEqual(set.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
    ['/etc/flatnet.d/31-b.conf:8: MACAddress=02:42:00:00:00:07: /etc/flatnet.d/30-a.conf already gives its shim this MAC address; this network is rejected, 30-a.conf keeps working']);
});

test('Parent=lo is refused before the kernel sees it', () => {
  const set = buildConfigSet([{ path: '/etc/flatnet.d/30-lo.conf', text: net('loop', 'lo', '02:42:00:00:00:09') }]);
  const [n] = set.networks;
  assert.ok(n);
  const lo = { ifindex: 1, name: 'lo', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 65536, mac: '00:00:00:00:00:00', up: true, carrier: true, promisc: false, alias: null, maxMtu: 0, wireless: false };
  assert.deepEqual(checkAgainstKernel(n, lo).map(formatDiagnostic),
    ['/etc/flatnet.d/30-lo.conf:3: Parent=lo: lo is not an Ethernet device (a loopback); macvlan, ipvlan and VLANs need one']);
});
