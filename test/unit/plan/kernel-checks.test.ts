import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstKernel } from '../../../src/plan/kernel-checks.js';
import type { ObservedLink } from '../../../src/model/observed.js';
import { shown, valid, LAN } from '../../support/config.js';

const link = (over: Partial<ObservedLink>): ObservedLink => ({
  ifindex: 2, name: 'enp3s0', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null,
  mtu: 1500, mac: 'a8:a1:59:24:d0:61', up: true, carrier: true, promisc: false, alias: null, maxMtu: 9216, wireless: false,
  ...over,
});

test('MTU above the parent\'s: an error at the MTU= line naming the parent and its MTU', () => {
  const { net } = valid('[Network]\nParent=enp3s0\nVLAN=200\nMTU=9000\n');
  assert.deepEqual(shown(checkAgainstKernel(net, link({}))), [
    `error: ${LAN}:4: MTU=9000: above the MTU of the parent enp3s0 (1500)`,
  ]);
  assert.deepEqual(checkAgainstKernel(net, link({ mtu: 9000 })), []);
});

test('macvlan on a Wi-Fi parent is refused with the hint to use ipvlan; ipvlan is fine', () => {
  const { net } = valid('[Network]\nParent=wlp2s0\n');
  const wifi = link({ name: 'wlp2s0', wireless: true });
  assert.deepEqual(shown(checkAgainstKernel(net, wifi)), [
    `error: ${LAN}:2: Parent=wlp2s0: wlp2s0 is a Wi-Fi interface: 802.11 drops frames from extra MACs; use Driver=ipvlan`,
  ]);
  assert.equal(checkAgainstKernel(net, wifi)[0]?.code, 'unsupported');
  assert.deepEqual(checkAgainstKernel(valid('[Network]\nParent=wlp2s0\nDriver=ipvlan\n').net, wifi), []);
});

test('nothing to say without the parent (waiting for it is the daemon\'s business) or for internal networks', () => {
  assert.deepEqual(checkAgainstKernel(valid('[Network]\nParent=enp3s0\nMTU=9000\n').net, undefined), []);
  assert.deepEqual(checkAgainstKernel(valid('[Network]\nMTU=9000\n').net, link({})), []);
});

test('a shim address that is the host\'s own address on the parent or its VLAN link: an error at the Address= line (issue 12.8)', () => {
  const { net } = valid('[Network]\nParent=enp3s0\n[Shim]\nAddress=192.168.88.9/32\n');
  assert.deepEqual(shown(checkAgainstKernel(net, link({}), [{ link: 'enp3s0', cidr: '192.168.88.9/24' }])), [
    `error: ${LAN}:4: Address=192.168.88.9/32: 192.168.88.9 is enp3s0's own address (192.168.88.9/24); a shim needs an address of its own, or the host's IP answers from two MACs`,
  ]);
  assert.deepEqual(checkAgainstKernel(net, link({}), [{ link: 'enp3s0', cidr: '192.168.88.10/24' }]), [], 'another address is fine');
  const v6 = valid('[Network]\nParent=enp3s0\nVLAN=200\n[Shim]\nAddress=fd00:88::1/128\n').net;
  assert.equal(checkAgainstKernel(v6, link({}), [{ link: 'enp3s0.200', cidr: 'fd00:88:0:0::1/64' }]).length, 1, 'IPv6, on the VLAN link, written otherwise');
});
