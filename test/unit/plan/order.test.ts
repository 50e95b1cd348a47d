import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredLink, DesiredRoute } from '../../../src/model/desired.js';
import type { Op } from '../../../src/plan/ops.js';
import { orderOps, type Step } from '../../../src/plan/order.js';

const link = (name: string, parent: string | null): DesiredLink => ({
  name, kind: parent === null ? 'dummy' : 'macvlan', parent, vlanId: null, mode: null, ipvlanFlag: null, mtu: null, mac: null,
  promisc: null, alias: 'flatnet:n', networks: ['n'], role: 'shim', addresses: [], routes: [],
}) as DesiredLink;
const route = (dst: string, dev: string): DesiredRoute => ({ dst, dev, family: 4, metric: 0 });
const base = { networks: ['n'], reason: '' };

function label(o: Op): string {
  switch (o.op) {
    case 'link-add': return `add ${o.link.name}`;
    case 'link-set': return `set ${o.name}`;
    case 'link-del': return `del ${o.name}`;
    case 'addr-add': return `addr+ ${o.cidr}`;
    case 'addr-del': return `addr- ${o.cidr}`;
    case 'route-add': return `route+ ${o.route.dst}`;
    case 'route-del': return `route- ${o.route.dst}`;
  }
}

test('one order for every plan: early deletions, parents first, add before delete, children deleted first', () => {
  const steps: Step[] = [
    { op: { ...base, op: 'link-del', name: 'old-vlan' }, depth: 1 },
    { op: { ...base, op: 'link-del', name: 'old-shim' }, depth: 2 },
    { op: { ...base, op: 'route-del', route: route('10.9.0.0/16', 'shim') }, depth: 1 },
    { op: { ...base, op: 'addr-del', dev: 'shim', cidr: '10.0.0.9/32' }, depth: 1 },
    { op: { ...base, op: 'route-add', route: route('10.1.0.0/16', 'shim') }, depth: 1 },
    { op: { ...base, op: 'addr-add', dev: 'shim', cidr: '10.0.0.2/32' }, depth: 1 },
    { op: { ...base, op: 'link-add', link: link('shim', 'dummy0') }, depth: 1 },
    { op: { ...base, op: 'link-set', name: 'shim', changes: { up: true } }, depth: 1 },
    { op: { ...base, op: 'link-set', name: 'dummy0', changes: { mtu: 9000 } }, depth: 0 },
    { op: { ...base, op: 'link-add', link: link('dummy0', null) }, depth: 0 },
    { op: { ...base, op: 'link-del', name: 'remade' }, depth: 0, early: true },
    { op: { ...base, op: 'link-del', name: 'remade-child' }, depth: 1, early: true },
    { op: { ...base, op: 'route-del', route: route('10.2.0.0/16', 'other') }, depth: 0, early: true },
    { op: { ...base, op: 'addr-del', dev: 'v6', cidr: 'fd00::2/128' }, depth: 1, early: true },
  ];
  assert.deepEqual(orderOps(steps).map(label), [
    'route- 10.2.0.0/16',   // a route of ours holding the key a new route needs
    'addr- fd00::2/128',    // an IPv6 address re-added with another length
    'del remade-child',     // re-made links: children before parents
    'del remade',
    'add dummy0',           // parents first, a new link set up right after it is made
    'set dummy0',
    'add shim',
    'set shim',
    'addr+ 10.0.0.2/32',
    'route+ 10.1.0.0/16',   // routes need the link up
    'route- 10.9.0.0/16',   // then deletions: routes, addresses, links children first
    'addr- 10.0.0.9/32',
    'del old-shim',
    'del old-vlan',
  ]);
});

test('ties keep the planner\'s order', () => {
  const steps: Step[] = ['a', 'b', 'c'].map((n) => ({ op: { ...base, op: 'addr-add', dev: n, cidr: '10.0.0.1/32' }, depth: 0 }));
  assert.deepEqual(orderOps(steps).map((o) => (o.op === 'addr-add' ? o.dev : '')), ['a', 'b', 'c']);
});
