import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podmanNetworkCreateArgs } from '../../../src/emit/podman.js';
import { refusal } from '../../support/refusal.js';
import { readmeLan } from '../../fake/scenarios.js';
import { lan, valid } from '../../support/config.js';

test('the README\'s flat LAN with the shim outside the range: podman network create for netavark, --subnet and all', () => {
  const net = readmeLan({ name: 'macvlan1', shim: { name: 'docker-link', addresses: ['192.168.88.191/32'], routes: ['192.168.88.192/27'], routesExplicit: false, mac: null } });
  assert.deepEqual(podmanNetworkCreateArgs(net, ['192.168.88.0/24']), [
    'podman', 'network', 'create', '-d', 'macvlan',
    '--subnet=192.168.88.0/24', '--gateway=192.168.88.1', '--ip-range=192.168.88.192/27',
    '-o', 'parent=enp3s0', '-o', 'mode=bridge', 'macvlan1',
  ]);
});

test('a VLAN parent, MTU and dual stack: the effective parent, -o mtu, --ipv6, pairs in subnet order', () => {
  const net = readmeLan({ name: 'v200', vlan: 200, mtu: 1400, shim: null, subnets: ['192.168.200.0/24', 'fd00:200::/64'],
    gateways: ['192.168.200.1', 'fd00:200::1'], ipRanges: ['fd00:200::100/120', '192.168.200.64/26'] });
  assert.deepEqual(podmanNetworkCreateArgs(net, net.subnets), [
    'podman', 'network', 'create', '-d', 'macvlan',
    '--subnet=192.168.200.0/24', '--gateway=192.168.200.1', '--ip-range=192.168.200.64/26',
    '--subnet=fd00:200::/64', '--gateway=fd00:200::1', '--ip-range=fd00:200::100/120',
    '--ipv6', '-o', 'parent=enp3s0.200', '-o', 'mode=bridge', '-o', 'mtu=1400', 'v200',
  ]);
});

test('the shim address inside IPRange=: an error at its line, with two fixes that work', () => {
  const { net } = valid(`${lan()}[Shim]\nAddress=192.168.88.192\n`);
  assert.equal(refusal(() => podmanNetworkCreateArgs(net, net.subnets)),
    '/etc/flatnet.d/10-lan.conf:7: Address=192.168.88.192: inside IPRange=192.168.88.192/27: Podman has no --aux-address '
    + 'and can give this address to a container; use Address=192.168.88.224/32 or IPRange=192.168.88.208/28');
});

test('no IPRange=: Podman hands out the whole subnet, so a shim address in it is refused too', () => {
  const { net } = valid(['[Network]', 'Parent=enp3s0', 'Subnet=10.1.0.0/24', 'Gateway=10.1.0.1', '[Shim]', 'Address=10.1.0.5', ''].join('\n'));
  assert.match(refusal(() => podmanNetworkCreateArgs(net, net.subnets)),
    /^\/etc\/flatnet.d\/10-lan.conf:6: Address=10.1.0.5: inside Subnet=10.1.0.0\/24 with no IPRange= of its own.*an IPRange= that leaves it out$/);
});

test('ipvlan: netavark 1.4 has none, so an error at Driver= rather than a command that fails', () => {
  const { net } = valid(lan('Driver=ipvlan', 'Mode=l2'));
  assert.equal(refusal(() => podmanNetworkCreateArgs(net, net.subnets)),
    '/etc/flatnet.d/10-lan.conf:6: Driver=ipvlan: Podman\'s netavark backend (1.4, Debian 12) has no ipvlan driver; use Driver=macvlan for a Podman network, or Docker');
});

test('no subnet to follow: netavark needs --subnet', () => {
  const net = readmeLan({ subnets: [] });
  assert.match(refusal(() => podmanNetworkCreateArgs(net, [])), /needs --subnet and enp3s0 has no address to follow now; set Subnet=/);
});

test('two ranges in one subnet cannot be said to Podman', () => {
  const net = readmeLan({ shim: null, ipRanges: ['192.168.88.192/27', '192.168.88.160/27'] });
  assert.match(refusal(() => podmanNetworkCreateArgs(net, net.subnets)), /IPRange=192.168.88.160\/27: a second IPRange= in Subnet=192.168.88.0\/24/);
});
