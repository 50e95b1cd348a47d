// The iproute2 backend's event-fed view (observed-cache.ts) against the real
// kernel: after every kind of change a person, a DHCP client or flatnetd
// itself makes, what observe() answers from the view must be exactly what a
// full dump reads. The kernel is the oracle; a second backend without the
// view dumps everything every time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpRoute2Kernel } from '../../src/kernel/iproute2.js';
import type { DesiredLink } from '../../src/model/desired.js';
import type { Observed } from '../../src/model/observed.js';
import type { Op } from '../../src/plan/ops.js';
import { createNetns, lanSwitch, requireRoot, run, type HasAfter, type Netns } from '../support/netns.js';

const base = { networks: ['lan'], reason: 'test' };

function shim(name: string, mac: string): DesiredLink {
  return {
    name, kind: 'macvlan', parent: 'eth0', mode: 'bridge', mtu: null, mac,
    promisc: null, alias: 'flatnet:lan', networks: ['lan'], role: 'shim', addresses: [], routes: [],
  };
}

const shimOps = (name: string, mac: string, cidr: string, range: string): Op[] => [
  { ...base, op: 'link-add', link: shim(name, mac) },
  { ...base, op: 'link-set', name, changes: { up: true } },
  { ...base, op: 'addr-add', dev: name, cidr },
  { ...base, op: 'route-add', route: { dst: range, family: 4, dev: name, metric: 0 } },
];

/** Order-free form: the view keeps entries in the order they were learned. */
function canonical(o: Observed): unknown {
  const by = <T>(xs: readonly T[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
  return { links: by(o.links), addresses: by(o.addresses), routes: by(o.routes), peerNamespaces: o.peerNamespaces ?? 0 };
}

interface Rig {
  host: Netns; viewed: IpRoute2Kernel; full: IpRoute2Kernel;
  /** Until the monitor has printed a line at or after `since` (when given), then 80 ms without one. */
  settle(since?: number): Promise<void>;
}

async function rig(t: HasAfter): Promise<Rig> {
  const sw = await lanSwitch(t);
  const host = await createNetns(t, 'view');
  await host.exec('sysctl', '-q', '-w', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  await sw.plug(host, 'eth0', { mac: '02:00:00:00:00:09' });
  // viewMinLinks 0: the view serves however few links the namespace has.
  const viewed = new IpRoute2Kernel({ netns: host.name, viewMinLinks: 0 });
  const full = new IpRoute2Kernel({ netns: host.name, session: false });
  let lastEvent = Date.now();
  const stop = viewed.subscribe(() => { lastEvent = Date.now(); });
  t.after(() => { stop(); viewed.close(); full.close(); });
  // Until the monitor has printed a line, no full dump may seed the view.
  await host.ip('link', 'set', 'lo', 'mtu', '65535');
  const settle = async (since?: number): Promise<void> => {
    // A change's lines can come after 80 quiet ms on a loaded machine: wait for them first.
    const deadline = Date.now() + 3_000;
    while ((lastEvent < (since ?? 0) || Date.now() - lastEvent < 80) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  await settle(0);
  return { host, viewed, full, settle };
}

/** `since`: when the change began, for a change the monitor must report. */
async function agree(r: Rig, after: string, since?: number): Promise<void> {
  await r.settle(since);
  const [fromView, fromDump] = [await r.viewed.observe(), await r.full.observe({ fresh: true })];
  assert.deepEqual(canonical(fromView), canonical(fromDump), `the view differs from a full dump after: ${after}`);
}

test('the event-fed view equals a full dump after every kind of change', async (t) => {
  if (!requireRoot(t)) return;
  const r = await rig(t);
  const { host, viewed } = r;
  await viewed.observe();
  await agree(r, 'start');

  const steps: [string, () => Promise<unknown>][] = [
    ['flatnetd makes a shim', () => viewed.apply(shimOps('shim0', '02:aa:00:00:00:01', '192.168.88.192/32', '192.168.88.192/27'))],
    ['an address on the NIC (DHCP)', () => host.ip('address', 'add', '192.168.88.10/24', 'dev', 'eth0')],
    ['a default route', () => host.ip('route', 'add', 'default', 'via', '192.168.88.1', 'dev', 'eth0')],
    ['an IPv6 address and route', () => host.ip('-6', 'address', 'add', 'fd00:88::10/64', 'dev', 'eth0')],
    ['a route in another table', () => host.ip('route', 'add', '10.77.0.0/16', 'via', '192.168.88.1', 'table', '100', 'proto', 'static')],
    ['the shim deleted by someone', () => host.ip('link', 'del', 'shim0')],
    ['flatnetd heals it under the same name (ip remembers names: the stale-ifindex trap)', () => viewed.apply(shimOps('shim0', '02:aa:00:00:00:02', '192.168.88.192/32', '192.168.88.192/27'))],
    ['the shim deleted and made again by hand with another MAC', async () => {
      await host.ip('link', 'del', 'shim0');
      await host.ip('link', 'add', 'shim0', 'link', 'eth0', 'address', '02:bb:00:00:00:03', 'type', 'macvlan', 'mode', 'vepa');
    }],
    ['the NIC set down: IPv4 routes through it vanish without an event', () => host.ip('link', 'set', 'eth0', 'down')],
    ['the NIC up again', () => host.ip('link', 'set', 'eth0', 'up')],
    ['the route gone, the default back', async () => {
      await host.tryIp('route', 'del', '10.77.0.0/16', 'table', '100');
      await host.ip('route', 'replace', 'default', 'via', '192.168.88.1', 'dev', 'eth0');
    }],
    ['MTU changed on the shim alone (its parent is not looked at again)', () => host.ip('link', 'set', 'shim0', 'mtu', '1300')],
    ['MTU, alias and promiscuity changed on a foreign link', async () => {
      await host.ip('link', 'set', 'shim0', 'mtu', '1400', 'alias', 'hand-made');
      await host.ip('link', 'set', 'eth0', 'promisc', 'on');
    }],
    ['a second shim in one batch with its routes', () => viewed.apply(shimOps('shim1', '02:aa:00:00:00:04', '192.168.88.224/32', '192.168.88.224/28'))],
    ['an address removed', () => host.ip('address', 'del', '192.168.88.10/24', 'dev', 'eth0')],
    ['a link renamed (ip monitor goes on printing the old name)', async () => {
      await host.ip('link', 'set', 'shim1', 'down');
      await host.ip('link', 'set', 'shim1', 'name', 'renamed1');
      await host.ip('link', 'set', 'renamed1', 'up');
    }],
    ['a link made under the old name', () => host.ip('link', 'add', 'shim1', 'link', 'eth0', 'type', 'macvlan', 'mode', 'bridge')],
    ['a route on the renamed link', () => host.ip('route', 'add', '10.99.0.0/24', 'dev', 'renamed1')],
    ['flatnetd removes a link', () => viewed.apply([{ ...base, op: 'link-del', name: 'shim0' }])],
  ];
  for (const [what, act] of steps) {
    const since = Date.now();
    await act();
    await agree(r, what, since);
  }
  // The point of the view: most of those observes did not dump everything.
  assert.ok(viewed.looks.scoped >= steps.length / 2, `scoped looks: ${viewed.looks.scoped}, full dumps: ${viewed.looks.full}`);
});

test('a refused write, a fresh request or a restarted monitor makes the next observe a full dump', async (t) => {
  if (!requireRoot(t)) return;
  const r = await rig(t);
  const { viewed } = r;
  await viewed.observe();
  await agree(r, 'start');
  let full = viewed.looks.full;
  await viewed.observe();
  assert.equal(viewed.looks.full, full, 'a quiet observe is served by the view');

  const refused = await viewed.apply([{ ...base, op: 'addr-add', dev: 'no-such-link', cidr: '10.0.0.1/32' }]);
  assert.ok(refused.failed !== undefined, 'the kernel refused the address');
  await agree(r, 'a refused write');
  assert.equal(viewed.looks.full, full + 1, 'after a refusal the view is rebuilt from a full dump');

  full = viewed.looks.full;
  await viewed.observe({ fresh: true });
  assert.equal(viewed.looks.full, full + 1, 'fresh: true always dumps everything');

  // Events between the old monitor's death and the new one's start are lost.
  await viewed.observe();
  full = viewed.looks.full;
  await run(['pkill', '-f', `ip -n ${r.host.name} -oneline monitor`]);
  await new Promise((res) => setTimeout(res, 400)); // the backend restarts it after 100 ms
  const since = Date.now();
  await r.host.ip('link', 'set', 'lo', 'mtu', '65000');
  await agree(r, 'the monitor restarted', since);
  assert.equal(viewed.looks.full, full + 1, 'after a monitor restart the view is rebuilt from a full dump');
});
