import assert from 'node:assert/strict';
import { test } from 'node:test';
import { macvlan } from '../../../src/kinds/macvlan.js';
import { linkKind } from '../../../src/kinds/registry.js';
import type { DesiredLink } from '../../../src/model/desired.js';
import type { ObservedLink } from '../../../src/model/observed.js';

// Loose fields (any kind's) make any variant; the kinds read only their own.
function want(over: Record<string, unknown>): DesiredLink {
  return {
    name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', vlanId: null, mode: 'bridge', ipvlanFlag: null,
    mtu: null, mac: null, promisc: null, alias: 'flatnet:lan', networks: ['lan'], role: 'shim', addresses: [], routes: [],
    ...over,
  } as DesiredLink;
}

function have(over: Partial<ObservedLink>): ObservedLink {
  return {
    ifindex: 7, name: 'docker-link', kind: 'macvlan', parentIndex: 2, vlanId: null, mode: 'bridge', ipvlanFlag: null,
    mtu: 1500, mac: '02:00:00:00:00:01', up: true, carrier: true, promisc: false, alias: null, maxMtu: 0, wireless: false,
    ...over,
  };
}

const names = new Map([[2, 'enp3s0'], [3, 'eth1'], [5, 'enp3s0.200']]);
const nameOf = (i: number): string | null => names.get(i) ?? null;

test('createArgs: the iproute2 words after `ip link add NAME [link PARENT]`', () => {
  assert.deepEqual(linkKind('macvlan').createArgs(want({})), ['type', 'macvlan', 'mode', 'bridge']);
  assert.deepEqual(linkKind('macvlan').createArgs(want({ mode: 'passthru' })), ['type', 'macvlan', 'mode', 'passthru']);
  // No Mode= still asks for bridge (the kernel's own default is vepa): a desired link always carries its mode.
  assert.equal(macvlan.defaultMode, 'bridge');
  assert.deepEqual(linkKind('vlan').createArgs(want({ kind: 'vlan', vlanId: 200, mode: null })), ['type', 'vlan', 'id', '200']);
  assert.deepEqual(linkKind('ipvlan').createArgs(want({ kind: 'ipvlan', mode: 'l3', ipvlanFlag: 'bridge' })), ['type', 'ipvlan', 'mode', 'l3', 'bridge']);
  assert.deepEqual(linkKind('ipvlan').createArgs(want({ kind: 'ipvlan', mode: 'l2', ipvlanFlag: null })), ['type', 'ipvlan', 'mode', 'l2']);
  assert.deepEqual(linkKind('dummy').createArgs(want({ kind: 'dummy', parent: null, mode: null })), ['type', 'dummy']);
});

test('recreateReason: what cannot be fixed in place, in a few words', () => {
  const cases: Array<[string, DesiredLink, ObservedLink, number | null, string | null]> = [
    ['matching macvlan', want({}), have({}), 2, null],
    ['macvlan mode', want({}), have({ mode: 'vepa' }), 2, 'mode is vepa, want bridge'],
    ['bare `type macvlan` is vepa', want({}), have({ mode: null }), 2, 'mode is vepa, want bridge'],
    ['parent', want({}), have({ parentIndex: 3 }), 2, 'parent is eth1, want enp3s0'],
    ['parent in another namespace', want({}), have({ parentIndex: null }), 2, 'parent is none, want enp3s0'],
    ['wanted parent missing', want({}), have({ parentIndex: 3 }), null, 'parent is eth1, want enp3s0'],
    ['kind', want({}), have({ kind: 'veth', mode: null }), 2, 'kind veth, want macvlan'],
    ['physical NIC with our name', want({}), have({ kind: null, parentIndex: null }), 2, 'kind device (no kind), want macvlan'],
    ['vlan id', want({ name: 'enp3s0.200', kind: 'vlan', vlanId: 200, mode: null }), have({ kind: 'vlan', vlanId: 100, mode: null }), 2, 'VLAN id 100, want 200'],
    ['matching vlan', want({ kind: 'vlan', vlanId: 200, mode: null }), have({ kind: 'vlan', vlanId: 200, mode: null }), 2, null],
    ['ipvlan mode', want({ kind: 'ipvlan', mode: 'l3', ipvlanFlag: 'bridge' }), have({ kind: 'ipvlan', mode: 'l2', ipvlanFlag: 'bridge' }), 2, 'mode is l2, want l3'],
    ['ipvlan flag', want({ kind: 'ipvlan', mode: 'l3', ipvlanFlag: 'private' }), have({ kind: 'ipvlan', mode: 'l3', ipvlanFlag: 'bridge' }), 2, 'flag is bridge, want private'],
    ['ipvlan default flag is bridge', want({ kind: 'ipvlan', mode: 'l2', ipvlanFlag: null }), have({ kind: 'ipvlan', mode: 'l2', ipvlanFlag: 'bridge' }), 2, null],
    ['dummy', want({ kind: 'dummy', parent: null, mode: null }), have({ kind: 'dummy', parentIndex: null, mode: null }), null, null],
    ['dummy made as a vlan', want({ kind: 'dummy', parent: null, mode: null }), have({ kind: 'vlan', vlanId: 4 }), null, 'kind vlan, want dummy'],
  ];
  for (const [what, w, h, parentIndex, reason] of cases) {
    assert.equal(linkKind(w.kind).recreateReason(w, h, parentIndex, nameOf), reason, what);
  }
  // Without a way to name it, the parent is given by ifindex.
  assert.equal(linkKind('macvlan').recreateReason(want({}), have({ parentIndex: 9 }), 2), 'parent is ifindex 9, want enp3s0');
});

test('ownMac: only a macvlan outside passthru has a MAC of its own to set', () => {
  assert.equal(linkKind('macvlan').ownMac(want({})), true);
  assert.equal(linkKind('macvlan').ownMac(want({ mode: 'passthru' })), false);
  assert.equal(linkKind('ipvlan').ownMac(want({ kind: 'ipvlan', mode: 'l2' })), false);
  assert.equal(linkKind('vlan').ownMac(want({ kind: 'vlan', vlanId: 5 })), false);
  assert.equal(linkKind('dummy').ownMac(want({ kind: 'dummy', parent: null })), false);
});
