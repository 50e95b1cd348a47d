import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileStem } from '../../../src/config/network.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { check, lan, LAN, shown, valid } from '../../support/config.js';

test('the README\'s drop-in: the flat LAN with its shim, every field filled and every place recorded', () => {
  const { net, warnings } = valid(lan('[Shim]', 'Name=docker-link', 'Address=192.168.88.192'));
  assert.deepEqual({ ...net, where: undefined }, {
    name: '10-lan', file: LAN, parent: 'enp3s0', vlan: null, driver: 'macvlan', mode: 'bridge', ipvlanFlag: null,
    subnets: ['192.168.88.0/24'], gateways: ['192.168.88.1'], ipRanges: ['192.168.88.192/27'], mtu: null, promiscuous: null,
    shim: { name: 'docker-link', addresses: ['192.168.88.192/32'], routes: ['192.168.88.192/27'], routesExplicit: false, mac: null },
    where: undefined,
  });
  assert.deepEqual(Object.keys(net.where).sort(), ['Network.Gateway', 'Network.IPRange', 'Network.Parent', 'Network.Subnet', 'Shim.Address', 'Shim.Name']);
  assert.deepEqual(net.where['Shim.Address'], { file: LAN, line: 8, key: 'Address', value: '192.168.88.192' });
  // the seed reserves the shim's address inside the containers' range with --aux-address: a note
  // for check, not a warning the daemon would publish
  assert.deepEqual(warnings, []);
  assert.deepEqual(shown(buildConfigSet([{ path: LAN, text: lan('[Shim]', 'Name=docker-link', 'Address=192.168.88.192') }]).notes ?? []), [
    `note: ${LAN}:8: Address=192.168.88.192: inside IPRange=192.168.88.192/27: Docker must reserve it with --aux-address (flatnetctl docker-args always adds it)`,
  ]);
});

test('the name is the file stem unless Name= says otherwise', () => {
  assert.equal(fileStem('/etc/flatnet.d/10-lan.conf'), '10-lan');
  assert.equal(valid('[Network]\n', '/run/flatnet.d/lan.v2.conf').net.name, 'lan.v2');
  assert.equal(valid('[Network]\nName=macvlan1\n').net.name, 'macvlan1');
  assert.deepEqual(check('[Network]\n', '/etc/flatnet.d/my lan.conf'), [
    'error: /etc/flatnet.d/my lan.conf: the file name gives the network name "my lan": network name must start with a letter or digit and hold only letters, digits, "_", "." and "-"; set Name=',
  ]);
  assert.equal(valid('[Network]\nName=lan\n', '/etc/flatnet.d/my lan.conf').net.name, 'lan');
});

test('a drop-in needs a [Network] section', () => {
  assert.deepEqual(check(''), [`error: ${LAN}: no [Network] section`]);
  assert.deepEqual(check('[Shim]\nName=x\n'), [`error: ${LAN}: no [Network] section`]);
});

test('defaults: macvlan bridge; ipvlan l2; no Parent = an internal network on a dummy parent', () => {
  const m = valid('[Network]\nParent=enp3s0\n').net;
  assert.deepEqual([m.driver, m.mode, m.ipvlanFlag, m.shim], ['macvlan', 'bridge', null, null]);
  const i = valid('[Network]\nParent=enp3s0\nDriver=ipvlan\n').net;
  assert.deepEqual([i.driver, i.mode], ['ipvlan', 'l2']);
  const d = valid('[Network]\nSubnet=192.168.242.0/24\n').net;
  assert.deepEqual([d.parent, d.vlan], [null, null]);
});

test('VLAN needs a Parent, and the VLAN link name must fit 15 bytes', () => {
  assert.deepEqual(check('[Network]\nVLAN=200\n'), [`error: ${LAN}:2: VLAN=200: needs Parent=, the interface to tag`]);
  assert.deepEqual(check('[Network]\nParent=enp3s0f0np012\nVLAN=200\n'), [
    `error: ${LAN}:3: VLAN=200: the VLAN link name "enp3s0f0np012.200" is longer than 15 bytes; use a shorter Parent=`,
  ]);
  assert.equal(valid('[Network]\nParent=enp3s0f0np0\nVLAN=200\n').net.vlan, 200);
});

test('Mode must belong to the Driver; IPVlanFlag only with ipvlan', () => {
  assert.deepEqual(check('[Network]\nParent=eth0\nDriver=ipvlan\nMode=bridge\n'),
    [`error: ${LAN}:4: Mode=bridge: not a mode of Driver=ipvlan: must be l2, l3 or l3s`]);
  assert.deepEqual(check('[Network]\nParent=eth0\nMode=l3\n'),
    [`error: ${LAN}:3: Mode=l3: not a mode of Driver=macvlan: must be bridge, vepa, private or passthru`]);
  assert.deepEqual(check('[Network]\nParent=eth0\nIPVlanFlag=private\n'), [`error: ${LAN}:3: IPVlanFlag=private: only with Driver=ipvlan`]);
  const n = valid('[Network]\nParent=eth0\nDriver=ipvlan\nMode=l3s\nIPVlanFlag=private\n').net;
  assert.deepEqual([n.mode, n.ipvlanFlag], ['l3s', 'private']);
});

test('a bad Driver= does not also blame Mode= or IPVlanFlag=', () => {
  assert.deepEqual(check('[Network]\nParent=eth0\nDriver=ipvlna\nMode=l3\nIPVlanFlag=bridge\n'),
    [`error: ${LAN}:3: Driver=ipvlna: must be macvlan or ipvlan`]);
});

test('the shim cannot take its parent\'s name, explicit or default', () => {
  assert.deepEqual(check('[Network]\nParent=enp3s0\n[Shim]\nName=enp3s0\n'),
    [`error: ${LAN}:4: Name=enp3s0: the shim cannot have the name of its parent`]);
  assert.deepEqual(check('[Network]\nParent=enp3s0\nVLAN=200\n[Shim]\nName=enp3s0.200\n'),
    [`error: ${LAN}:5: Name=enp3s0.200: the shim cannot have the name of its parent`]);
  assert.deepEqual(check('[Network]\nParent=shim-10-lan\n[Shim]\n'),
    [`error: ${LAN}:3: the shim cannot have the name of its parent (the default shim name); set Name= in [Shim]`]);
});

test('default shim and dummy names derive from the network name, cut to 15 bytes', () => {
  const n = valid('[Network]\nName=a-very-long-network-name\n[Shim]\n').net;
  assert.equal(n.shim?.name, 'shim-a-very-lon');
});

test('MACAddress= only with macvlan (ipvlan children share the parent\'s MAC)', () => {
  assert.deepEqual(check('[Network]\nParent=eth0\nDriver=ipvlan\n[Shim]\nMACAddress=02:00:00:00:00:01\n'),
    [`error: ${LAN}:5: MACAddress=02:00:00:00:00:01: ipvlan links share their parent's MAC; MACAddress= needs Driver=macvlan`]);
});

test('passthru with a shim: allowed, with a warning that the shim takes the one child', () => {
  const { warnings } = valid('[Network]\nParent=enp3s0\nMode=passthru\n[Shim]\n');
  assert.deepEqual(warnings, [`warning: ${LAN}:3: Mode=passthru: passthru allows one child per parent and the shim is it: no container can share this parent`]);
  assert.deepEqual(valid('[Network]\nParent=enp3s0\nMode=passthru\n').warnings, []);
});

test('Gateway, IPRange and shim addresses must lie inside a Subnet (when Subnet= is given)', () => {
  assert.deepEqual(check(lan('Gateway=192.168.89.1', 'IPRange=10.0.0.0/27', 'IPRange=172.16.0.0/16', '[Shim]', 'Address=192.168.89.2/24', 'Address=fd00::1')), [
    `error: ${LAN}:6: Gateway=192.168.89.1: not inside any Subnet= (192.168.88.0/24)`,
    `error: ${LAN}:7: IPRange=10.0.0.0/27: not inside any Subnet= (192.168.88.0/24)`,
    `error: ${LAN}:8: IPRange=172.16.0.0/16: not inside any Subnet= (192.168.88.0/24)`,
    `error: ${LAN}:10: Address=192.168.89.2/24: not inside any Subnet= (192.168.88.0/24)`,
    `error: ${LAN}:11: Address=fd00::1: not inside any Subnet= (192.168.88.0/24)`,
  ]);
  // without Subnet= the network follows its parent's prefix: nothing to check against yet
  assert.deepEqual(valid('[Network]\nParent=enp3s0\nIPRange=10.0.0.0/27\n[Shim]\nAddress=10.9.9.9\n').warnings, []);
});

test('a bad Subnet= does not also make every range "outside"', () => {
  assert.deepEqual(check('[Network]\nSubnet=192.168.88.1/24\nIPRange=192.168.88.192/27\n'),
    [`error: ${LAN}:2: Subnet=192.168.88.1/24: host bits set, did you mean 192.168.88.0/24?`]);
});

test('a shim address is never the gateway\'s', () => {
  assert.deepEqual(check(lan('[Shim]', 'Address=192.168.88.1/24')), [
    `error: ${LAN}:7: Address=192.168.88.1/24: the address of Gateway=192.168.88.1; the shim needs an address of its own`,
  ]);
});

test('dual stack: v4 and v6 side by side, each checked against its own family', () => {
  const { net, warnings } = valid(lan('Subnet=fd14::/64', 'Gateway=fd14::1', 'IPRange=fd14::1:0:0:0/80', '[Shim]', 'Address=192.168.88.254', 'Address=fd14::2'));
  assert.deepEqual(net.subnets, ['192.168.88.0/24', 'fd14::/64']);
  assert.deepEqual(net.shim?.addresses, ['192.168.88.254/32', 'fd14::2/128']);
  assert.deepEqual(net.shim?.routes, ['192.168.88.192/27', 'fd14::1:0:0:0/80']);
  assert.deepEqual(warnings, []);
});

test('MTU: at least 1280 when any IPv6 is configured', () => {
  assert.deepEqual(check('[Network]\nMTU=1200\nSubnet=fd00::/64\n'), [`error: ${LAN}:2: MTU=1200: IPv6 needs an MTU of at least 1280`]);
  assert.deepEqual(check('[Network]\nMTU=1279\n[Shim]\nRoute=fd00::/64\n'), [`error: ${LAN}:2: MTU=1279: IPv6 needs an MTU of at least 1280`]);
  assert.equal(valid('[Network]\nMTU=576\nSubnet=10.0.0.0/8\n').net.mtu, 576);
});

test('shim routes: Route= when written (Route= alone = none), else every IPRange=', () => {
  assert.deepEqual(valid(lan('[Shim]', 'Route=10.8.0.0/16')).net.shim?.routes, ['10.8.0.0/16']);
  const none = valid(lan('[Shim]', 'Route=')).net.shim;
  assert.deepEqual([none?.routes, none?.routesExplicit], [[], true]);
  const dflt = valid(lan('[Shim]')).net.shim;
  assert.deepEqual([dflt?.routes, dflt?.routesExplicit, dflt?.name], [['192.168.88.192/27'], false, 'shim-10-lan']);
});

test('every error is returned, not only the first, and the network is then invalid', () => {
  const diags = check('[Network]\nVLAN=5000\nMTU=12\n[Shim]\nMACAddress=ff:ff:ff:ff:ff:ff\n');
  assert.equal(diags.length, 3);
  assert.ok(diags.every((d) => d.startsWith(`error: ${LAN}:`)));
});
