import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cniConflist, multusAttachment, multusAttachmentYaml } from '../../../src/emit/cni.js';
import { refusal } from '../../support/refusal.js';
import { readmeLan } from '../../fake/scenarios.js';

test('the README\'s flat LAN: macvlan on the parent, host-local over IPRange= with the shim address left out', () => {
  assert.deepEqual(cniConflist(readmeLan({ name: 'macvlan1' }), ['192.168.88.0/24']), {
    cniVersion: '0.4.0',
    name: 'macvlan1',
    plugins: [{
      type: 'macvlan', master: 'enp3s0', mode: 'bridge',
      ipam: { type: 'host-local', ranges: [[
        { subnet: '192.168.88.0/24', rangeStart: '192.168.88.193', rangeEnd: '192.168.88.223', gateway: '192.168.88.1' },
      ]] },
    }],
  });
});

test('a shim address in the middle splits the range; the VLAN parent, ipvlan mode, MTU and IPv6 come through', () => {
  const net = readmeLan({ name: 'v200', vlan: 200, driver: 'ipvlan', mode: 'l2', mtu: 1400,
    subnets: ['192.168.200.0/24', 'fd00:200::/64'], gateways: ['192.168.200.1'], ipRanges: ['192.168.200.64/26', 'fd00:200::/120'],
    shim: { name: 'shim-v200', addresses: ['192.168.200.100/32', 'fd00:200::10/128'], routes: [], routesExplicit: false, mac: null } });
  const conf = cniConflist(net, net.subnets);
  assert.deepEqual(conf.plugins[0], {
    type: 'ipvlan', master: 'enp3s0.200', mode: 'l2', mtu: 1400,
    ipam: { type: 'host-local', ranges: [
      [
        { subnet: '192.168.200.0/24', rangeStart: '192.168.200.64', rangeEnd: '192.168.200.99', gateway: '192.168.200.1' },
        { subnet: '192.168.200.0/24', rangeStart: '192.168.200.101', rangeEnd: '192.168.200.127', gateway: '192.168.200.1' },
      ],
      [
        { subnet: 'fd00:200::/64', rangeStart: 'fd00:200::1', rangeEnd: 'fd00:200::f' },
        { subnet: 'fd00:200::/64', rangeStart: 'fd00:200::11', rangeEnd: 'fd00:200::ff' },
      ],
    ] },
  });
});

test('no IPRange=: refused, since every node needs a range of its own', () => {
  assert.match(refusal(() => cniConflist(readmeLan({ ipRanges: [] }), ['192.168.88.0/24'])),
    /^\/etc\/flatnet.d\/10-lan.conf: IPRange=: cni-config needs IPRange=: host-local on each node/);
});

test('a subnet without a range of its own (here the IPv6 one) is refused: host-local would share it between nodes', () => {
  const net = readmeLan({ subnets: ['192.168.88.0/24', 'fd00:88::/64'] });
  assert.match(refusal(() => cniConflist(net, net.subnets)), /Subnet=fd00:88::\/64 has no IPRange= inside it/);
});

test('--multus: a NetworkAttachmentDefinition whose spec.config is the conflist, as JSON and as YAML', () => {
  const conf = cniConflist(readmeLan({ name: 'macvlan1' }), ['192.168.88.0/24']);
  const nad = multusAttachment(conf);
  assert.equal(nad['kind'], 'NetworkAttachmentDefinition');
  assert.deepEqual(JSON.parse(String((nad['spec'] as { config: string }).config)), conf);
  const yaml = multusAttachmentYaml(conf);
  assert.match(yaml, /^apiVersion: k8s\.cni\.cncf\.io\/v1$/m);
  assert.match(yaml, /^ {2}name: "macvlan1"$/m);
  const block = yaml.split('  config: |\n')[1] ?? '';
  assert.deepEqual(JSON.parse(block.split('\n').map((l) => l.slice(4)).join('\n')), conf);
});
