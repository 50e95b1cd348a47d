// A container's macvlan on our VLAN parent lives in the container's network
// namespace: no dump of ours shows it. While other namespaces exist, an owned
// parent is never deleted or re-made — that would cut the containers off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planOps } from '../../../src/plan/diff.js';
import type { Observed, ObservedLink } from '../../../src/model/observed.js';
import type { DesiredLink } from '../../../src/model/desired.js';

const link = (over: Partial<ObservedLink>): ObservedLink => ({
  ifindex: 2, name: 'enp3s0', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 1500,
  mac: 'a8:a1:59:24:d0:61', up: true, carrier: true, promisc: false, alias: null, maxMtu: 9000, wireless: false, ...over,
});
const vlan200 = link({ ifindex: 5, name: 'enp3s0.200', kind: 'vlan', parentIndex: 2, vlanId: 200, alias: 'flatnet:vlan200' });
const observed = (peers: number): Observed => ({ links: [link({}), vlan200], addresses: [], routes: [], peerNamespaces: peers });

test('a drop-in removed: its VLAN parent goes when no other namespace exists', () => {
  const plan = planOps({ links: [], frozen: [] }, observed(0));
  assert.deepEqual(plan.ops.map((o) => `${o.op} ${o.op === 'link-del' ? o.name : ''}`), ['link-del enp3s0.200']);
});

test('a drop-in removed: its VLAN parent is kept while containers may use it from other namespaces', () => {
  const plan = planOps({ links: [], frozen: [] }, observed(2));
  assert.deepEqual(plan.ops, []);
  assert.equal(plan.conflicts[0]?.severity, 'warning');
  assert.match(plan.conflicts[0]?.message ?? '', /links in 2 other network namespaces \(containers\).*ip link del enp3s0\.200/);
});

test('a VLAN parent with the wrong id is not re-made while other namespaces exist', () => {
  const want: DesiredLink = {
    name: 'enp3s0.200', kind: 'vlan', parent: 'enp3s0', vlanId: 201, mtu: null, mac: null,
    promisc: null, alias: 'flatnet:vlan200', networks: ['vlan200'], role: 'parent', addresses: [], routes: [],
  };
  const plan = planOps({ links: [want], frozen: [] }, observed(1));
  assert.equal(plan.ops.some((o) => o.op === 'link-del'), false);
  assert.match(plan.conflicts[0]?.message ?? '', /not re-made while links in 1 other network namespace \(containers\)/);
});
