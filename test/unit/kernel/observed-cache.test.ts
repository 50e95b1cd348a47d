// The event-fed view's bookkeeping (observed-cache.ts), and which links a
// monitor line names (parse.ts). The real kernel's side of it is
// test/netns/observed-view.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObservedCache, SCOPED_MAX_LINKS } from '../../../src/kernel/observed-cache.js';
import { monitorTouch } from '../../../src/kernel/parse.js';
import type { Observed, ObservedLink } from '../../../src/model/observed.js';
import { fixtureText } from '../../support/kernel-fixtures.js';

function link(ifindex: number, name: string, over: Partial<ObservedLink> = {}): ObservedLink {
  return {
    ifindex, name, kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 1500,
    mac: `02:00:00:00:00:${String(ifindex).padStart(2, '0')}`, up: true, carrier: true, promisc: false, alias: null,
    maxMtu: 0, wireless: false, ...over,
  };
}

const world = (): Observed => ({
  links: [link(1, 'lo'), link(2, 'eth0'), link(3, 'shim0', { kind: 'macvlan', parentIndex: 2 })],
  addresses: [
    { ifindex: 2, cidr: '192.168.88.10/24', family: 4, scope: 'global', dynamic: true },
    { ifindex: 3, cidr: '192.168.88.192/32', family: 4, scope: 'global', dynamic: false },
  ],
  routes: [
    { dst: '192.168.88.192/27', family: 4, ifindex: 3, proto: 233, table: 254, metric: 0, scope: 'link', gateway: null, src: null },
    { dst: '0.0.0.0/0', family: 4, ifindex: 2, proto: 16, table: 254, metric: 0, scope: 'global', gateway: '192.168.88.1', src: null },
  ],
  peerNamespaces: 0,
});

/** A cache holding world(), its monitor heard from. */
function armed(): ObservedCache {
  const c = new ObservedCache(0);
  c.monitorStarted();
  c.heard({ what: 'address', ifindex: 1 });
  c.storeFull(world(), c.beginFull());
  return c;
}

test('monitor lines name their links: link and address lines by ifindex, route lines by dev', () => {
  assert.deepEqual(monitorTouch('[LINK]3: shim0@eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP'), { what: 'link', ifindex: 3, name: 'shim0', deleted: false });
  assert.deepEqual(monitorTouch('[LINK]Deleted 3: shim0@eth0: <BROADCAST,MULTICAST> mtu 1500'), { what: 'link', ifindex: 3, name: 'shim0', deleted: true });
  assert.deepEqual(monitorTouch('[LINK]2: vb@NONE: <BROADCAST,MULTICAST> mtu 1500'), { what: 'link', ifindex: 2, name: 'vb', deleted: false });
  assert.deepEqual(monitorTouch('[ADDR]Deleted 4: sh0    inet 10.9.0.1/24 scope global sh1\\  valid_lft forever'), { what: 'address', ifindex: 4 });
  assert.deepEqual(monitorTouch('[ROUTE]10.9.0.0/27 dev sh0 proto 233 scope link'), { what: 'route', devs: ['sh0'] });
  assert.deepEqual(monitorTouch('[ROUTE]10.8.0.0/24 \\\tnexthop via 10.9.0.2 dev sh0 weight 1 \\\tnexthop via 10.9.1.2 dev va weight 1'), { what: 'route', devs: ['sh0', 'va'] });
  assert.deepEqual(monitorTouch('[ROUTE]blackhole 10.7.0.0/24'), { what: 'route', devs: [] });
  assert.deepEqual(monitorTouch('[NSID]current nsid 0'), { what: 'unknown' });
  // Every line of a real capture is tied to links.
  for (const line of fixtureText('monitor-label.txt').split('\n').filter((l) => l.trim() !== '')) {
    assert.notEqual(monitorTouch(line).what, 'unknown', line);
  }
});

test('no view before the monitor is heard from: a dump begun earlier may have missed a change', () => {
  const c = new ObservedCache(0);
  c.monitorStarted();
  c.storeFull(world(), c.beginFull());
  assert.equal(c.beginScoped(), null);
  assert.match(c.staleBecause ?? '', /had not been heard from/);
  c.heard({ what: 'address', ifindex: 2 });
  c.storeFull(world(), c.beginFull());
  assert.deepEqual(c.beginScoped(), { names: [], ifindexes: [] });
});

test('events and our own writes mark exactly the links to look at again', () => {
  const c = armed();
  c.heard({ what: 'address', ifindex: 2 });
  c.heard({ what: 'route', devs: ['shim0'] });
  c.wrote(['shim9']);
  c.heard({ what: 'route', devs: ['ghost'] });
  assert.deepEqual(c.beginScoped(), { names: ['shim0', 'shim9', 'ghost', 'eth0'], ifindexes: [2] });
  assert.deepEqual(c.beginScoped(), { names: [], ifindexes: [] }, 'a look clears what it covered');
});

test('a scoped answer replaces the touched links with their addresses and routes; an absent one is gone', () => {
  const c = armed();
  c.heard({ what: 'link', ifindex: 3, name: 'shim0', deleted: true });
  const look = c.beginScoped();
  assert.ok(look);
  // shim0 is gone: ip said "does not exist", so the answer holds nothing.
  const after = c.applyScoped(look, { links: [], addresses: [], routes: [] }, 0);
  assert.ok(after);
  assert.deepEqual(after.links.map((l) => l.name), ['lo', 'eth0']);
  assert.deepEqual(after.addresses.map((a) => a.cidr), ['192.168.88.10/24']);
  assert.deepEqual(after.routes.map((r) => r.dst), ['0.0.0.0/0']);
  // Made again: a new ifindex under the same name.
  c.wrote(['shim0']);
  const again = c.beginScoped();
  assert.ok(again);
  const made = c.applyScoped(again, {
    links: [link(7, 'shim0', { kind: 'macvlan', parentIndex: 2 })],
    addresses: [{ ifindex: 7, cidr: '192.168.88.192/32', family: 4, scope: 'global', dynamic: false }],
    routes: [],
  }, 1);
  assert.ok(made);
  assert.deepEqual(made.links.map((l) => `${l.ifindex}:${l.name}`), ['1:lo', '2:eth0', '7:shim0']);
  assert.equal(made.peerNamespaces, 1);
  assert.deepEqual(c.ifindexByName().get('shim0'), 7);
});

test('what the view cannot follow makes the next observe a full dump', () => {
  const cases: [string, (c: ObservedCache) => void, RegExp][] = [
    ['a rename', (c) => c.heard({ what: 'link', ifindex: 3, name: 'other', deleted: false }), /renamed/],
    ['a line that names no link', (c) => c.heard({ what: 'unknown' }), /names no link/],
    ['an address event for a link the view never named', (c) => c.heard({ what: 'address', ifindex: 99 }), /serves/],
    ['a monitor restart', (c) => c.monitorStarted(), /monitor \(re\)started/],
    ['a refusal', (c) => c.disarm('the kernel refused'), /refused/],
  ];
  for (const [what, act, why] of cases) {
    const c = armed();
    act(c);
    assert.equal(c.beginScoped(), null, what);
    assert.match(c.staleBecause ?? 'the view serves, but not for this look', why, what);
  }
});

test('a line that comes during a full dump is kept for the next look, or spoils the dump', () => {
  const c = armed();
  c.disarm('the kernel refused an op'); // as after a refusal: no view while the dump runs
  const trusted = c.beginFull();
  c.heard({ what: 'link', ifindex: 3, name: 'shim0', deleted: true });
  c.storeFull(world(), trusted);
  assert.deepEqual(c.beginScoped(), { names: ['shim0'], ifindexes: [3] }, 'the delete may have come after the dump read shim0');

  const d = armed();
  const t2 = d.beginFull();
  d.heard({ what: 'unknown' });
  d.storeFull(world(), t2);
  assert.equal(d.beginScoped(), null);
  assert.match(d.staleBecause ?? '', /names no link/);
});

test('after a rename ip goes on printing the old name: route events under it are not trusted', () => {
  const c = armed();
  c.heard({ what: 'link', ifindex: 3, name: 'renamed0', deleted: false });
  const fresh = world();
  fresh.links = [link(1, 'lo'), link(2, 'eth0'), link(3, 'renamed0'), link(8, 'shim0')];
  c.storeFull(fresh, c.beginFull());
  assert.ok(c.beginScoped(), 'the view serves again after a full dump');
  // "dev shim0" may be ifindex 3 (ip's stale name) or 8: look at everything.
  c.heard({ what: 'route', devs: ['shim0'] });
  assert.equal(c.beginScoped(), null);
});

test('a link only just made is looked at by the name its link event gave', () => {
  const c = armed();
  c.heard({ what: 'link', ifindex: 9, name: 'shim5', deleted: false });
  c.heard({ what: 'route', devs: ['shim5'] });
  c.heard({ what: 'address', ifindex: 9 });
  assert.deepEqual(c.beginScoped(), { names: ['shim5'], ifindexes: [9] });
});

test('small views are not used: below the threshold a full dump costs no more', () => {
  const c = new ObservedCache(10);
  c.monitorStarted();
  c.heard({ what: 'address', ifindex: 1 });
  c.storeFull(world(), c.beginFull());
  assert.equal(c.beginScoped(), null);
  assert.match(c.staleBecause ?? '', /fewer than 10 links/);
});

test('a view given up while ip was answering is not patched: the caller dumps everything', () => {
  const c = armed();
  c.heard({ what: 'address', ifindex: 2 });
  const look = c.beginScoped();
  assert.ok(look);
  c.heard({ what: 'unknown' }); // arrives while the look is out
  assert.equal(c.applyScoped(look, { links: [], addresses: [], routes: [] }, 0), null);
  assert.equal(c.beginScoped(), null);
});

test('past SCOPED_MAX_LINKS touched links one full dump is cheaper than a look at each', () => {
  const c = armed();
  c.wrote(Array.from({ length: SCOPED_MAX_LINKS }, (_, i) => `shim${i}`));
  assert.equal(c.beginScoped()?.names.length, SCOPED_MAX_LINKS);
  c.wrote(Array.from({ length: SCOPED_MAX_LINKS + 1 }, (_, i) => `shim${i}`));
  assert.equal(c.beginScoped(), null);
});
