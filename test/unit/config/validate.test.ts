import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfigSet } from '../../../src/config/load.js';
import { validateSet } from '../../../src/config/validate.js';
import { shown, valid } from '../../support/config.js';

const A = '/etc/flatnet.d/10-a.conf';
const B = '/usr/lib/flatnet.d/20-b.conf';

/** Two drop-ins; B is later in lexical order even though A is given second. */
function pair(a: string, b: string): ReturnType<typeof buildConfigSet> {
  return buildConfigSet([{ path: B, text: b }, { path: A, text: a }]);
}

const rejectedB = (set: ReturnType<typeof buildConfigSet>, name: string): void => {
  assert.deepEqual(set.networks.map((n) => n.file), [A], 'the earlier file keeps working');
  assert.deepEqual(set.invalid, [{ name, file: B }]);
};

test('two files defining the same network name: the later is rejected, naming the earlier', () => {
  const set = pair('[Network]\nName=lan\nParent=eth0\n', '[Network]\nName=lan\nParent=eth1\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:2: Name=lan: network "lan" is already defined by ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
  rejectedB(set, 'lan');
});

test('two networks claiming one shim name (both files named)', () => {
  const set = pair('[Network]\nParent=eth0\n[Shim]\nName=docker-link\n', '[Network]\nParent=eth1\n[Shim]\nName=docker-link\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:4: Name=docker-link: shim name "docker-link" is already used by ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
  rejectedB(set, '20-b');
});

test('a shim named like another network\'s parent or VLAN link', () => {
  const set = pair('[Network]\nParent=eth0\nVLAN=5\n', '[Network]\nParent=eth1\n[Shim]\nName=eth0.5\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:4: Name=eth0.5: the shim name "eth0.5" is already the VLAN parent of network "10-a" in ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
  const set2 = pair('[Network]\nParent=eth0\n[Shim]\nName=lan-shim\n', '[Network]\nParent=lan-shim\n');
  assert.deepEqual(shown(set2.diagnostics), [
    `error: ${B}:2: Parent=lan-shim: the parent name "lan-shim" is already the shim of network "10-a" in ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('derived dummy names colliding after the cut to 15 bytes', () => {
  const set = pair('[Network]\nName=internal-one\n', '[Network]\nName=internal-two\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:2: Name=internal-two: the dummy parent name "dummy-internal-" is already the dummy parent of network "internal-one" in ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('derived default shim names colliding after the cut', () => {
  const set = pair('[Network]\nName=storage-lan-a\nParent=eth0\n[Shim]\n', '[Network]\nName=storage-lan-b\nParent=eth1\n[Shim]\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}: shim name "shim-storage-la" is already used by ${A}; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('macvlan and ipvlan on one effective parent: the kernel refuses', () => {
  const set = pair('[Network]\nParent=eth0\n', '[Network]\nParent=eth0\nDriver=ipvlan\nMode=l3\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:3: Driver=ipvlan: ${A} already puts macvlan on eth0 and the kernel refuses macvlan and ipvlan on one parent; this network is rejected, 10-a.conf keeps working`,
  ]);
  rejectedB(set, '20-b');
  // the default driver, not written, is named by value at file level
  const set2 = pair('[Network]\nParent=eth0\nVLAN=7\nDriver=ipvlan\n', '[Network]\nParent=eth0\nVLAN=7\n');
  assert.deepEqual(shown(set2.diagnostics), [
    `error: ${B}: Driver=macvlan: ${A} already puts ipvlan on eth0.7 and the kernel refuses macvlan and ipvlan on one parent; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('macvlan and ipvlan on different VLANs of one NIC are fine; so is Parent=eth0.7 next to Parent=eth0 VLAN=7', () => {
  assert.deepEqual(pair('[Network]\nParent=eth0\nVLAN=7\n', '[Network]\nParent=eth0\nVLAN=8\nDriver=ipvlan\n').diagnostics, []);
  const set = pair('[Network]\nParent=eth0\nVLAN=7\n', '[Network]\nParent=eth0.7\n');
  assert.deepEqual(set.diagnostics, []);
  assert.equal(set.networks.length, 2);
});

test('same parent+VLAN with different shims and ranges is fine (a shared VLAN parent)', () => {
  const set = pair(
    '[Network]\nParent=eth0\nVLAN=10\nSubnet=172.16.10.0/24\nIPRange=172.16.10.0/25\n[Shim]\nAddress=172.16.10.200\n',
    '[Network]\nParent=eth0\nVLAN=10\nSubnet=172.16.10.0/24\nIPRange=172.16.10.128/25\n[Shim]\nAddress=172.16.10.201\n',
  );
  assert.equal(set.networks.length, 2);
});

test('different MTU on one VLAN link', () => {
  const set = pair('[Network]\nParent=eth0\nVLAN=10\nMTU=1500\n', '[Network]\nParent=eth0\nVLAN=10\nMTU=9000\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:4: MTU=9000: ${A} sets MTU=1500 on the same VLAN link eth0.10; this network is rejected, 10-a.conf keeps working`,
  ]);
  // shims on a plain parent may differ in MTU
  assert.deepEqual(pair('[Network]\nParent=eth0\nMTU=1500\n', '[Network]\nParent=eth0\nMTU=1400\n').diagnostics, []);
});

test('different Promiscuous= on one parent', () => {
  const set = pair('[Network]\nParent=ens33\nPromiscuous=yes\n', '[Network]\nParent=ens33\nPromiscuous=off\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:3: Promiscuous=off: ${A} sets Promiscuous=yes on ens33; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('passthru allows one child on its parent', () => {
  const set = pair('[Network]\nParent=eth0\nMode=passthru\n', '[Network]\nParent=eth0\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}:2: Parent=eth0: ${A} uses eth0 in passthru mode, which allows no other child; this network is rejected, 10-a.conf keeps working`,
  ]);
  const set2 = pair('[Network]\nParent=eth0\n', '[Network]\nParent=eth0\nMode=passthru\n');
  assert.deepEqual(shown(set2.diagnostics), [
    `error: ${B}:3: Mode=passthru: passthru needs eth0 to itself, but ${A} also uses it; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('ipvlan keeps one mode per parent', () => {
  const set = pair('[Network]\nParent=eth0\nDriver=ipvlan\nMode=l3\n', '[Network]\nParent=eth0\nDriver=ipvlan\n');
  assert.deepEqual(shown(set.diagnostics), [
    `error: ${B}: Mode=l2: ${A} already uses ipvlan mode l3 on eth0 and the kernel keeps one ipvlan mode per parent; this network is rejected, 10-a.conf keeps working`,
  ]);
  assert.deepEqual(pair('[Network]\nParent=eth0\nDriver=ipvlan\nMode=l3\n', '[Network]\nParent=eth0\nDriver=ipvlan\nMode=l3\n').diagnostics, []);
});

test('lexical order decides, by file name, whatever the directory and the input order', () => {
  const early = '/usr/lib/flatnet.d/05-x.conf';
  const late = '/etc/flatnet.d/50-y.conf';
  const x = valid('[Network]\nName=lan\n', early).net;
  const y = valid('[Network]\nName=lan\n', late).net;
  for (const input of [[x, y], [y, x]]) {
    const r = validateSet(input);
    assert.deepEqual(r.valid.map((n) => n.file), [early]);
    assert.deepEqual(r.rejected.map((n) => n.network.file), [late]);
    assert.equal(r.rejected[0]?.diagnostics.length, 1);
  }
});

test('a rejected network does not block a third one that conflicts only with it', () => {
  const files = [
    { path: '/etc/flatnet.d/1.conf', text: '[Network]\nName=a\nParent=eth0\n[Shim]\nName=s1\n' },
    { path: '/etc/flatnet.d/2.conf', text: '[Network]\nName=a\nParent=eth1\n[Shim]\nName=s2\n' },
    { path: '/etc/flatnet.d/3.conf', text: '[Network]\nName=c\nParent=eth2\n[Shim]\nName=s2\n' },
  ];
  const set = buildConfigSet(files);
  assert.deepEqual(set.networks.map((n) => n.name), ['a', 'c']);
  assert.deepEqual(set.invalid, [{ name: 'a', file: '/etc/flatnet.d/2.conf' }]);
});
