// The iproute2 backend against the real kernel, inside throwaway namespaces:
// a `host` whose NIC `eth0` is a veth cabled into a bridge in a `lan`
// namespace. What the backend did is checked with `ip -json` directly, not
// only through our own parser.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpRoute2Kernel } from '../../src/kernel/iproute2.js';
import type { KernelEvent } from '../../src/kernel/kernel.js';
import type { DesiredLink, DesiredRoute } from '../../src/model/desired.js';
import type { Op } from '../../src/plan/ops.js';
import {
  check, createNetns, lanSwitch, requireKernel, requireRoot, run, waitFor, type HasAfter, type LanSwitch, type Netns,
} from '../support/netns.js';

const NIC_MAC = '02:00:00:00:00:09';
const SHIM_MAC = '02:aa:bb:cc:dd:01';
const base = { networks: ['lan'], reason: 'test' };

interface Host { sw: LanSwitch; host: Netns; port: string; kernel: IpRoute2Kernel }

async function hostOnLan(t: HasAfter): Promise<Host> {
  const sw = await lanSwitch(t);
  const host = await createNetns(t, 'host');
  const port = await sw.plug(host, 'eth0', { mac: NIC_MAC });
  const kernel = new IpRoute2Kernel({ netns: host.name });
  t.after(() => kernel.close());
  return { sw, host, port, kernel };
}

// Loose fields (any kind's) make any variant; the kinds read only their own.
function desiredLink(over: Record<string, unknown> = {}): DesiredLink {
  return {
    name: 'docker-link', kind: 'macvlan', parent: 'eth0', vlanId: null, mode: 'bridge', ipvlanFlag: null,
    mtu: 1400, mac: SHIM_MAC, promisc: null, alias: 'flatnet:lan', networks: ['lan'], role: 'shim',
    addresses: [], routes: [], ...over,
  } as DesiredLink;
}

const route = (dst: string, metric: number, dev = 'docker-link'): DesiredRoute => ({ dst, family: dst.includes(':') ? 6 : 4, dev, metric });

/** The README's shim: macvlan on eth0, up, its address, and a route for the containers' range. */
const shimOps = (): Op[] => [
  { ...base, op: 'link-add', link: desiredLink() },
  { ...base, op: 'link-set', name: 'docker-link', changes: { up: true } },
  { ...base, op: 'addr-add', dev: 'docker-link', cidr: '192.168.88.192/27' },
  { ...base, op: 'addr-add', dev: 'docker-link', cidr: 'fd00:88::192/64' },
  { ...base, op: 'route-add', route: route('192.168.88.240/28', 10) },
];

interface IpLink { ifindex: number; ifname: string; link?: string; address: string; mtu: number; flags: string[]; ifalias?: string; linkinfo?: { info_kind?: string; info_data?: Record<string, unknown> } }
interface IpAddr { addr_info: { family: string; local: string; prefixlen: number; broadcast?: string }[] }
interface IpRoute { dst: string; dev: string; protocol: string; metric?: number }

async function ipLink(ns: Netns, name: string): Promise<IpLink> {
  const [l] = await ns.ipJson<IpLink[]>('-details', 'link', 'show', 'dev', name);
  assert.ok(l, `ip link show dev ${name} printed nothing`);
  return l;
}

async function addrsOf(ns: Netns, dev: string): Promise<string[]> {
  const [a] = await ns.ipJson<IpAddr[]>('addr', 'show', 'dev', dev, 'scope', 'global');
  // With a filter, iproute2 prints an empty object for each address it filtered out.
  return (a?.addr_info ?? []).filter((i) => i.local !== undefined).map((i) => `${i.local}/${i.prefixlen}${i.broadcast ? ` brd ${i.broadcast}` : ''}`);
}

/** Routes on `dev` in the main table as `dst proto P metric M`, optionally only those of one protocol. */
async function routesOf(ns: Netns, dev: string, proto?: string): Promise<string[]> {
  // -details, or ip leaves out the protocol when it is `boot`, and when filtering by it.
  const v4 = await ns.ipJson<IpRoute[]>('-details', '-4', 'route', 'show', 'dev', dev);
  const v6 = await ns.ipJson<IpRoute[]>('-details', '-6', 'route', 'show', 'dev', dev);
  return [...v4, ...v6].filter((r) => proto === undefined || r.protocol === proto)
    .map((r) => `${r.dst} proto ${r.protocol} metric ${r.metric ?? 0}`);
}

test('observe: the NIC with its MAC, MTU, carrier; carrier follows the cable', async (t) => {
  if (!requireRoot(t)) return;
  const { sw, host, port, kernel } = await hostOnLan(t);
  await host.ip('link', 'set', 'dev', 'eth0', 'mtu', '1480');
  const raw = await ipLink(host, 'eth0');
  const o = await kernel.observe();
  assert.deepEqual(o.links.map((l) => l.name).sort(), ['eth0', 'lo'], 'only the host namespace is seen');
  const eth0 = o.links.find((l) => l.name === 'eth0');
  assert.ok(eth0);
  assert.deepEqual(
    [eth0.ifindex, eth0.mac, eth0.mtu, eth0.kind, eth0.parentIndex, eth0.up, eth0.alias, eth0.wireless],
    [raw.ifindex, NIC_MAC, 1480, 'veth', null, true, null, false],
  );
  await waitFor(async () => (await kernel.observe()).links.find((l) => l.name === 'eth0')?.carrier === true, { what: 'carrier on eth0' });
  await sw.setCarrier(port, false);
  await waitFor(async () => (await kernel.observe()).links.find((l) => l.name === 'eth0')?.carrier === false,
    { what: 'eth0 to lose carrier when its switch port goes down' });
  assert.equal(kernel.writes, 0, 'observing writes nothing');
});

test('observe through the living ip session reads exactly what one ip per dump reads', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  await host.ip('address', 'add', '192.168.88.10/24', 'dev', 'eth0');
  await host.ip('-6', 'address', 'add', 'fd00:88::10/64', 'dev', 'eth0', 'nodad');
  // Default routes of both families: a batch line cannot say -4/-6, so the
  // session picks the family with `root 0.0.0.0/0` / `root ::/0`.
  await host.ip('route', 'add', 'default', 'via', '192.168.88.1', 'dev', 'eth0', 'onlink');
  await host.ip('-6', 'route', 'add', 'default', 'via', 'fd00:88::1', 'dev', 'eth0', 'onlink');
  await host.ip('route', 'add', '10.77.0.0/16', 'via', '192.168.88.1', 'table', '100', 'proto', 'static', 'metric', '7');
  const spawned = new IpRoute2Kernel({ netns: host.name, session: false });
  const [viaSession, viaSpawns] = [await kernel.observe(), await spawned.observe()];
  assert.deepEqual(viaSession, viaSpawns);
  const defaults = viaSession.routes.filter((r) => r.dst === '0.0.0.0/0' || r.dst === '::/0').map((r) => `${r.dst} via ${r.gateway ?? '-'}`).sort();
  assert.deepEqual(defaults, ['0.0.0.0/0 via 192.168.88.1', '::/0 via fd00:88::1']);
  assert.ok(viaSession.routes.some((r) => r.dst === '10.77.0.0/16' && r.table === 100 && r.metric === 7), 'a route of another table is read');
  assert.ok(viaSession.routes.every((r) => r.table !== 255), 'the local table\'s entries are not dumped');
  assert.ok(viaSession.routes.some((r) => r.family === 6 && r.proto === 2), 'IPv6 prefix routes are read');
  assert.ok(viaSession.links.some((l) => l.name === 'docker-link' && l.kind === 'macvlan'));
  assert.equal(kernel.writes, 5, 'observing wrote nothing');
});

test('apply: a macvlan shim with addresses and a proto 233 route is exactly what the kernel then has', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  const before = await host.ipJson<IpLink[]>('link', 'show');
  const result = await kernel.apply(shimOps());
  assert.deepEqual(result, { applied: 5 });
  assert.equal(kernel.writes, 5);

  const after = await host.ipJson<IpLink[]>('link', 'show');
  assert.deepEqual(after.map((l) => l.ifname).filter((n) => !before.some((b) => b.ifname === n)), ['docker-link'], 'one new link');
  const shim = await ipLink(host, 'docker-link');
  assert.equal(shim.linkinfo?.info_kind, 'macvlan');
  assert.equal(shim.linkinfo?.info_data?.['mode'], 'bridge');
  assert.equal(shim.link, 'eth0');
  assert.equal(shim.address, SHIM_MAC);
  assert.equal(shim.mtu, 1400);
  assert.equal(shim.ifalias, 'flatnet:lan');
  assert.ok(shim.flags.includes('UP'), `flags ${shim.flags.join(',')}`);
  assert.deepEqual(await addrsOf(host, 'docker-link'), ['192.168.88.192/27 brd 192.168.88.223', 'fd00:88::192/64']);
  assert.deepEqual(await routesOf(host, 'docker-link', '233'), ['192.168.88.240/28 proto 233 metric 10']);

  // Our parser reads back the same.
  const o = await kernel.observe();
  const seen = o.links.find((l) => l.name === 'docker-link');
  const eth0 = o.links.find((l) => l.name === 'eth0');
  assert.deepEqual([seen?.ifindex, seen?.kind, seen?.mode, seen?.parentIndex, seen?.alias, seen?.mac],
    [shim.ifindex, 'macvlan', 'bridge', eth0?.ifindex, 'flatnet:lan', SHIM_MAC]);
  assert.deepEqual(o.routes.filter((r) => r.proto === 233).map((r) => `${r.dst} ${r.ifindex} ${r.metric} ${r.table}`),
    [`192.168.88.240/28 ${shim.ifindex} 10 254`]);
});

test('a failing op in the middle: its index, the kernel\'s words, earlier ops kept, later ones never tried', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  const writes = kernel.writes;
  const ops: Op[] = [
    { ...base, op: 'addr-add', dev: 'docker-link', cidr: '10.1.0.1/24' },
    { ...base, op: 'route-add', route: route('192.168.88.240/28', 10) },
    { ...base, op: 'addr-add', dev: 'docker-link', cidr: '10.2.0.1/24' },
  ];
  const r = await kernel.apply(ops);
  assert.equal(r.applied, 1);
  assert.equal(r.failed?.index, 1);
  assert.equal(r.failed?.op, ops[1]);
  assert.deepEqual([r.failed?.code, r.failed?.message], ['exists', 'RTNETLINK answers: File exists']);
  assert.equal(kernel.writes, writes + 1);
  const addrs = await addrsOf(host, 'docker-link');
  assert.ok(addrs.includes('10.1.0.1/24 brd 10.1.0.255'), addrs.join(', '));
  assert.ok(!addrs.some((a) => a.startsWith('10.2.0.1/')), addrs.join(', '));

  // The second line of a two-line op maps to that op too; the first op of the batch to index 0.
  const r2 = await kernel.apply([
    { ...base, op: 'link-add', link: desiredLink({ name: 'shim2', parent: 'nope0' }) },
    { ...base, op: 'link-set', name: 'shim2', changes: { up: true } },
  ]);
  assert.deepEqual([r2.applied, r2.failed?.index, r2.failed?.code, r2.failed?.message], [0, 0, 'gone', 'Cannot find device "nope0"']);
  const r3 = await kernel.apply([
    { ...base, op: 'link-del', name: 'docker-link' },
    { ...base, op: 'link-del', name: 'docker-link' },
  ]);
  // Deleting what is already gone is what was wanted: no failure.
  assert.deepEqual(r3, { applied: 2 });
});

test('routes: a foreign route with the same key is reported, never taken over or deleted', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  await host.ip('route', 'add', '10.50.0.0/16', 'dev', 'docker-link', 'proto', 'static', 'metric', '7');
  const add = await kernel.apply([{ ...base, op: 'route-add', route: route('10.50.0.0/16', 7) }]);
  assert.deepEqual([add.failed?.code, add.failed?.message], ['exists', 'RTNETLINK answers: File exists']);
  // Our delete names proto 233, so the kernel finds no route of ours: done, and the foreign one stays.
  const del = await kernel.apply([{ ...base, op: 'route-del', route: route('10.50.0.0/16', 7) }]);
  assert.deepEqual(del, { applied: 1 });
  assert.ok((await routesOf(host, 'docker-link')).includes('10.50.0.0/16 proto static metric 7'));
  const ours = await kernel.apply([{ ...base, op: 'route-del', route: route('192.168.88.240/28', 10) }]);
  assert.deepEqual(ours, { applied: 1 });
  assert.deepEqual(await routesOf(host, 'docker-link', '233'), []);
});

test('kernel fact for the planner: an IPv6 route asked for with metric 0 is kept with metric 1024', async (t) => {
  if (!requireRoot(t)) return;
  const { kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  assert.deepEqual(await kernel.apply([
    { ...base, op: 'route-add', route: route('fd00:99::/64', 0) },
    { ...base, op: 'route-add', route: route('10.99.0.0/16', 0) },
  ]), { applied: 2 });
  const ours = (await kernel.observe()).routes.filter((r) => r.proto === 233).map((r) => `${r.dst} metric ${r.metric}`).sort();
  assert.deepEqual(ours, ['10.99.0.0/16 metric 0', '192.168.88.240/28 metric 10', 'fd00:99::/64 metric 1024']);
  // Adding it again by the metric we asked for collides with it…
  const again = await kernel.apply([{ ...base, op: 'route-add', route: route('fd00:99::/64', 0) }]);
  assert.equal(again.failed?.message, 'RTNETLINK answers: File exists');
  // …and on delete the kernel reads metric 0 as "any metric" (v4 and v6): ours with metric 10 goes too.
  const del = await kernel.apply([
    { ...base, op: 'route-del', route: route('fd00:99::/64', 0) },
    { ...base, op: 'route-del', route: route('192.168.88.240/28', 0) },
  ]);
  assert.deepEqual(del, { applied: 2 });
  assert.deepEqual((await kernel.observe()).routes.filter((r) => r.proto === 233).map((r) => r.dst), ['10.99.0.0/16']);
});

test('link-set in place keeps the ifindex; an alias with blanks survives ip -batch quoting', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  const { ifindex } = await ipLink(host, 'docker-link');
  const r = await kernel.apply([{ ...base, op: 'link-set', name: 'docker-link', changes: { mtu: 1300, mac: '02:aa:bb:cc:dd:02', promisc: true, alias: 'flatnet:lan  two  blanks' } }]);
  assert.deepEqual(r, { applied: 1 });
  const l = await ipLink(host, 'docker-link');
  assert.deepEqual([l.ifindex, l.mtu, l.address, l.flags.includes('PROMISC'), l.ifalias], [ifindex, 1300, '02:aa:bb:cc:dd:02', true, 'flatnet:lan  two  blanks']);
  const rejected = await kernel.apply([
    { ...base, op: 'link-set', name: 'docker-link', changes: { mtu: 1280 } },
    { ...base, op: 'link-set', name: 'docker-link', changes: { alias: 'flatnet:lan #1' } },
  ]);
  assert.equal(rejected.applied, 1);
  assert.match(rejected.failed?.message ?? '', /alias "flatnet:lan #1" contains/);
  assert.deepEqual([rejected.failed?.code, rejected.failed?.retry], ['refused', false], 'what render.ts refuses is never worth a retry');
  assert.equal((await ipLink(host, 'docker-link')).mtu, 1280, 'the op before the refused one went through');
});

test('an empty op list spawns nothing and writes nothing', async (t) => {
  if (!requireRoot(t)) return;
  const kernel = new IpRoute2Kernel({ ip: '/nonexistent/ip' });
  assert.deepEqual(await kernel.apply([]), { applied: 0 });
  assert.equal(kernel.writes, 0);
  // Had it spawned, it would have failed like this:
  await assert.rejects(kernel.observe(), /cannot run \/nonexistent\/ip/);
  const r = await kernel.apply([{ ...base, op: 'link-del', name: 'x0' }]);
  assert.deepEqual([r.applied, r.failed?.index], [0, 0]);
  assert.match(r.failed?.message ?? '', /cannot run \/nonexistent\/ip/);
});

test('deletes are idempotent: what is already gone counts as done and the batch goes on', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  const r = await kernel.apply([
    { ...base, op: 'link-del', name: 'gone-link' },
    { ...base, op: 'addr-del', dev: 'eth0', cidr: '10.99.0.1/32' },
    // The kernel's extack says "address not found" in lower case for IPv6.
    { ...base, op: 'addr-del', dev: 'eth0', cidr: 'fd00:99::1/64' },
    { ...base, op: 'route-del', route: route('10.98.0.0/24', 0, 'eth0') },
    ...shimOps(),
  ]);
  assert.deepEqual(r, { applied: 9 });
  assert.equal((await ipLink(host, 'docker-link')).linkinfo?.info_kind, 'macvlan', 'the ops after the no-op deletes were applied');
});

/** Our `ip monitor` child, found by its parent (us) and its namespace. */
async function monitorPids(ns: Netns): Promise<number[]> {
  const out = await check(['ps', '-o', 'pid=,args=', '--ppid', String(process.pid)]);
  return out.split('\n').filter((l) => l.includes('monitor') && l.includes(ns.name)).map((l) => Number.parseInt(l, 10));
}

test('monitor: an event when another process deletes the link; resync after the monitor dies; stop ends it', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.apply(shimOps());
  const events: KernelEvent[] = [];
  const stop = kernel.subscribe((e) => events.push(e));
  t.after(stop);
  const [pid] = await waitFor(async () => { const p = await monitorPids(host); return p.length === 1 ? p : null; }, { what: 'the ip monitor process' });
  assert.ok(pid !== undefined);
  // ip needs a moment to join the netlink groups after it starts; poke until it hears something.
  let poke = 0;
  await waitFor(async () => {
    await host.ip('link', 'set', 'dev', 'eth0', 'mtu', String(1400 + (poke++ % 2)));
    return events.some((e) => e.what === 'link');
  }, { what: 'the monitor to report a link change' });

  await check(['ip', '-n', host.name, 'link', 'del', 'docker-link']);
  const gone = await waitFor(() => events.find((e) => e.what === 'link' && /^\[LINK\]Deleted \d+: docker-link@/.test(e.text)),
    { what: 'a link event for the deleted docker-link' });
  assert.match(gone.text, /docker-link/);
  assert.ok(events.some((e) => e.what === 'address' && e.text.includes('192.168.88.192')), 'its address went with it');

  process.kill(pid, 'SIGKILL');
  await waitFor(() => events.some((e) => e.what === 'resync'), { what: 'a resync event after the monitor was killed' });
  const [pid2] = await waitFor(async () => { const p = await monitorPids(host); return p.length === 1 ? p : null; }, { what: 'a new ip monitor' });
  assert.notEqual(pid2, pid);
  await waitFor(async () => {
    await host.tryIp('link', 'add', 'after0', 'link', 'eth0', 'type', 'macvlan');
    return events.some((e) => e.text.includes('after0'));
  }, { what: 'events from the restarted monitor' });

  stop();
  await waitFor(async () => (await monitorPids(host)).length === 0, { what: 'the monitor to end when unsubscribed' });
  const count = events.length;
  await host.ip('link', 'del', 'after0');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(events.length, count, 'no events after stop');
});

test('vlan: an 802.1Q parent on the NIC', async (t) => {
  if (!requireRoot(t) || !(await requireKernel(t, 'vlan'))) return;
  const { host, kernel } = await hostOnLan(t);
  const r = await kernel.apply([{ ...base, op: 'link-add', link: desiredLink({ name: 'eth0.200', kind: 'vlan', vlanId: 200, mode: null, mtu: null, mac: null, role: 'parent' }) }]);
  assert.deepEqual(r, { applied: 1 });
  const l = await ipLink(host, 'eth0.200');
  assert.deepEqual([l.linkinfo?.info_kind, l.linkinfo?.info_data?.['id'], l.link, l.ifalias], ['vlan', 200, 'eth0', 'flatnet:lan']);
  const seen = (await kernel.observe()).links.find((x) => x.name === 'eth0.200');
  assert.deepEqual([seen?.kind, seen?.vlanId], ['vlan', 200]);
});

test('ipvlan: an l2 bridge shim on the NIC', async (t) => {
  if (!requireRoot(t) || !(await requireKernel(t, 'ipvlan'))) return;
  const { host, kernel } = await hostOnLan(t);
  const r = await kernel.apply([{ ...base, op: 'link-add', link: desiredLink({ kind: 'ipvlan', mode: 'l2', ipvlanFlag: 'bridge', mac: null }) }]);
  assert.deepEqual(r, { applied: 1 });
  const l = await ipLink(host, 'docker-link');
  assert.deepEqual([l.linkinfo?.info_kind, l.linkinfo?.info_data?.['mode']], ['ipvlan', 'l2']);
  const seen = (await kernel.observe()).links.find((x) => x.name === 'docker-link');
  assert.deepEqual([seen?.kind, seen?.mode, seen?.ipvlanFlag], ['ipvlan', 'l2', 'bridge']);
});

test('dummy: an internal network\'s parent', async (t) => {
  if (!requireRoot(t) || !(await requireKernel(t, 'dummy'))) return;
  const { host, kernel } = await hostOnLan(t);
  const r = await kernel.apply([{ ...base, op: 'link-add', link: desiredLink({ name: 'flatnet-int0', kind: 'dummy', parent: null, mode: null, mac: null, role: 'parent' }) }]);
  assert.deepEqual(r, { applied: 1 });
  assert.equal((await ipLink(host, 'flatnet-int0')).linkinfo?.info_kind, 'dummy');
});

test('harness: a namespace made through createNetns is deleted when its process gets SIGTERM or SIGINT', async (t) => {
  if (!requireRoot(t)) return;
  const script = fileURLToPath(new URL('../support/hold-netns.js', import.meta.url));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const child = spawn(process.execPath, [script, `hold-${sig}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    const name = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(b.toString().trim()));
      child.once('exit', (code) => reject(new Error(`hold-netns exited with ${code} before printing a name`)));
    });
    assert.match(name, new RegExp(`^fnt-${child.pid}-\\d+-hold-${sig}$`));
    const list = async (): Promise<string> => (await run(['ip', 'netns', 'list'])).stdout;
    assert.ok((await list()).includes(name), `${name} exists while its process runs`);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => r(s)));
    child.kill(sig);
    assert.equal(await exited, sig, 'it died of the signal, as it would have without the hook');
    assert.ok(!(await list()).includes(name), `${name} deleted on ${sig}`);
  }
});

test('close() ends every ip we started, the event monitor too (flatnetd calls it on every way out)', async (t) => {
  if (!requireRoot(t)) return;
  const { host, kernel } = await hostOnLan(t);
  await kernel.observe({ fresh: true }); // the living dump session
  const events: KernelEvent[] = [];
  t.after(kernel.subscribe((e) => events.push(e)));
  await waitFor(async () => { const p = await monitorPids(host); return p.length === 1 ? p : null; }, { what: 'the ip monitor process' });
  kernel.close();
  await waitFor(async () => {
    const out = await check(['ps', '-o', 'pid=,args=', '--ppid', String(process.pid)]);
    return out.split('\n').every((l) => !l.includes(host.name)) ? true : null;
  }, { what: 'no ip left running for the namespace after close()' });
});
