import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerNetworkCreateArgs } from '../../../src/docker/args.js';
import { readmeLan } from '../../fake/scenarios.js';

test('the README\'s flat LAN: the docker network create command of the article, with the shim reserved', () => {
  assert.deepEqual(dockerNetworkCreateArgs(readmeLan({ name: 'macvlan1' }), ['192.168.88.0/24']), [
    'docker', 'network', 'create', '-d', 'macvlan',
    '--subnet=192.168.88.0/24', '--ip-range=192.168.88.192/27', '--gateway=192.168.88.1',
    '--aux-address=host=192.168.88.192', '-o', 'parent=enp3s0', '-o', 'macvlan_mode=bridge', 'macvlan1',
  ]);
});

test('a VLAN network names the 802.1Q sub-interface as parent', () => {
  const argv = dockerNetworkCreateArgs(readmeLan({ name: 'macvlan2', vlan: 200, shim: null, ipRanges: [], gateways: ['192.168.200.1'] }), ['192.168.200.0/24']);
  assert.ok(argv.includes('parent=enp3s0.200'));
  assert.ok(!argv.some((a) => a.startsWith('--aux-address')));
});

test('ipvlan l3 with a flag, dual stack, and an aux address outside every subnet left out', () => {
  const net = readmeLan({
    name: 'v6', driver: 'ipvlan', mode: 'l3', ipvlanFlag: 'private',
    shim: { name: 'ipv-shim', addresses: ['192.168.88.192/32', 'fd00:88::2/128', '10.9.9.9/32'], routes: [], routesExplicit: false, mac: null },
  });
  const argv = dockerNetworkCreateArgs(net, ['192.168.88.0/24', 'fd00:88::/64']);
  assert.deepEqual(argv.filter((a) => a.startsWith('--aux')), ['--aux-address=host=192.168.88.192', '--aux-address=host2=fd00:88::2']);
  assert.ok(argv.includes('--ipv6'));
  assert.deepEqual(argv.slice(-7, -1), ['-o', 'parent=enp3s0', '-o', 'ipvlan_mode=l3', '-o', 'ipvlan_flag=private']);
});

test('an internal network on a dummy parent is --internal', () => {
  const argv = dockerNetworkCreateArgs(readmeLan({ name: 'backend', parent: null, shim: null }), ['10.10.0.0/24']);
  assert.ok(argv.includes('parent=dummy-backend'));
  assert.ok(argv.includes('--internal'));
});
