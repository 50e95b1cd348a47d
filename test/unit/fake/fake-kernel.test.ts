// The fake kernel must refuse what Linux refuses, with the code the iproute2
// backend gives Linux's answer (src/kernel/failure.ts), or the planner tests
// prove nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelEvent } from '../../../src/kernel/kernel.js';
import type { DesiredLink } from '../../../src/model/desired.js';
import type { LinkChanges, Op } from '../../../src/plan/ops.js';
import { FakeKernel, KernelRefusal } from '../../fake/fake-kernel.js';
import { recordedAnswers } from '../../support/kernel-fixtures.js';
import { classifyIpFailure, type KernelFailureCode } from '../../../src/kernel/failure.js';

const base = { networks: ['n'], reason: '' };

// Loose fields (any kind's) make any variant; the kinds read only their own.
function desired(over: Record<string, unknown> & { name: string }): DesiredLink {
  return {
    kind: 'macvlan', parent: 'eth0', vlanId: null, mode: 'bridge', ipvlanFlag: null, mtu: null, mac: null, promisc: null,
    alias: 'flatnet:n', networks: ['n'], role: 'shim', addresses: [], routes: [], ...over,
  } as DesiredLink;
}
const add = (over: Record<string, unknown> & { name: string }): Op => ({ ...base, op: 'link-add', link: desired(over) });
const up = (name: string): Op => ({ ...base, op: 'link-set', name, changes: { up: true } });

async function refusal(k: FakeKernel, op: Op): Promise<KernelFailureCode | undefined> {
  const r = await k.apply([op]);
  return r.failed?.code;
}

function kernel(): FakeKernel {
  const k = new FakeKernel();
  k.addNic('eth0', { mac: '52:54:00:12:34:56' });
  return k;
}

test('links: growing ifindexes, unique names, parents required', async () => {
  const k = kernel();
  assert.deepEqual(await k.apply([add({ name: 'a' }), add({ name: 'b' })]), { applied: 2 });
  const [a, b] = [k.ifindex('a'), k.ifindex('b')];
  assert.ok(a !== undefined && b !== undefined && b > a);
  assert.equal(await refusal(k, add({ name: 'a' })), 'exists');
  assert.equal(await refusal(k, add({ name: 'c', parent: 'eth9' })), 'gone');
  assert.equal(await refusal(k, add({ name: 'v', kind: 'vlan', parent: null, vlanId: 5 })), 'refused');
  assert.equal(await refusal(k, { ...base, op: 'link-del', name: 'zz' }), 'gone');
  k.deleteLink('b');
  await k.apply([add({ name: 'b' })]);
  assert.ok((k.ifindex('b') ?? 0) > b, 'a re-made link gets a new ifindex');
});

test('kind rules: one VLAN id per parent; macvlan and ipvlan never share a parent; passthru allows one', async () => {
  const k = kernel();
  await k.apply([add({ name: 'eth0.5', kind: 'vlan', vlanId: 5, mode: null })]);
  assert.equal(await refusal(k, add({ name: 'again.5', kind: 'vlan', vlanId: 5, mode: null })), 'exists');
  await k.apply([add({ name: 'mv' })]);
  assert.equal(await refusal(k, add({ name: 'iv', kind: 'ipvlan', mode: 'l2' })), 'busy');
  await k.apply([add({ name: 'iv', kind: 'ipvlan', mode: 'l2', parent: 'eth0.5' })]);
  assert.equal(await refusal(k, add({ name: 'mv2', parent: 'eth0.5' })), 'busy');
  k.addNic('eth1');
  await k.apply([add({ name: 'pt', parent: 'eth1', mode: 'passthru' })]);
  assert.equal(await refusal(k, add({ name: 'pt2', parent: 'eth1' })), 'refused');
  assert.equal(await refusal(k, add({ name: 'pt3', mode: 'passthru' })), 'refused', 'eth0 already has a macvlan');
});

test('MACs: vlan and ipvlan take the parent\'s; a passthru child\'s MAC is the parent\'s; ipvlan cannot set one', async () => {
  const k = kernel();
  k.addNic('eth1', { mac: '52:54:00:00:00:01' });
  await k.apply([
    add({ name: 'eth0.5', kind: 'vlan', vlanId: 5, mode: null }),
    add({ name: 'iv', kind: 'ipvlan', mode: 'l2', parent: 'eth0.5' }),
    add({ name: 'mv', mac: '02:11:22:33:44:55' }),
    add({ name: 'pt', parent: 'eth1', mode: 'passthru' }),
  ]);
  assert.equal(k.link('eth0.5')?.mac, '52:54:00:12:34:56');
  assert.equal(k.link('iv')?.mac, '52:54:00:12:34:56');
  assert.equal(k.link('mv')?.mac, '02:11:22:33:44:55');
  assert.equal(await refusal(k, { ...base, op: 'link-set', name: 'iv', changes: { mac: '02:00:00:00:00:09' } }), 'unsupported');
  await k.apply([{ ...base, op: 'link-set', name: 'pt', changes: { mac: '02:00:00:00:00:0a' } }]);
  assert.equal(k.link('eth1')?.mac, '02:00:00:00:00:0a', 'setting a passthru MAC rewrites the NIC');
});

/** test/fixtures/kernel/macvlan-mac-busy.txt, captured from Linux by capture-mac-busy.sh: case → the code of its answer. */
function macBusyFixture(): Map<string, string> {
  return new Map([...recordedAnswers('macvlan-mac-busy.txt')].map(([what, answer]) => [what, answer === 'ok' ? 'ok' : classifyIpFailure(answer)]));
}

test('MACs in use: a macvlan cannot come up with, or be given, the MAC of an up sibling or of its parent, as Linux answers', async () => {
  const real = macBusyFixture();
  const k = kernel();
  const M = '02:11:22:33:44:55';
  const set = (name: string, changes: LinkChanges): Op =>
    ({ ...base, op: 'link-set', name, changes });
  const answer = async (op: Op): Promise<string> => (await refusal(k, op)) ?? 'ok';
  await k.apply([add({ name: 'old', mac: M }), up('old')]);
  const seen = new Map<string, string>();
  seen.set('add a second macvlan with the MAC of an up one', await answer(add({ name: 'new', mac: M })));
  seen.set('bring it up while the first is up', await answer(up('new')));
  await k.apply([add({ name: 'other' }), up('other')]);
  seen.set('set an up macvlan to the MAC of an up sibling', await answer(set('other', { mac: M })));
  await k.apply([add({ name: 'third' })]);
  seen.set('set a down macvlan to the MAC of an up sibling', await answer(set('third', { mac: M })));
  k.deleteLink('third');
  k.setUp('old', false);
  seen.set('bring it up once the first is down', await answer(up('new')));
  seen.set('bring the first up again', await answer(up('old')));
  k.deleteLink('new');
  seen.set('bring the first up once the second is deleted', await answer(up('old')));
  k.setUp('other', false);
  const nicMac = k.link('eth0')?.mac ?? '';
  seen.set("set a down macvlan to its lower device's MAC", await answer(set('other', { mac: nicMac })));
  seen.set("add a macvlan with its lower device's MAC", await answer(add({ name: 'low', mac: nicMac })));
  seen.set('bring it up', await answer(up('low')));
  k.addNic('eth1');
  await k.apply([add({ name: 'pt', parent: 'eth1', mode: 'passthru' })]);
  seen.set('bring up a passthru macvlan (it has its lower device MAC)', await answer(up('pt')));
  assert.deepEqual(seen, real);
});

test('deleting a link deletes its children, their addresses and routes', async () => {
  const k = kernel();
  await k.apply([
    add({ name: 'eth0.5', kind: 'vlan', vlanId: 5, mode: null }), up('eth0.5'),
    add({ name: 'mv', parent: 'eth0.5' }), up('mv'),
    { ...base, op: 'addr-add', dev: 'mv', cidr: '10.5.0.2/24' },
    { ...base, op: 'route-add', route: { dst: '10.6.0.0/16', dev: 'mv', family: 4, metric: 0 } },
  ]);
  const mv = k.ifindex('mv');
  k.deleteLink('eth0.5');
  assert.equal(k.link('mv'), undefined);
  assert.ok(!k.net.addresses.some((a) => a.ifindex === mv) && !k.net.routes.some((r) => r.ifindex === mv), k.dump());
});

test('addresses: a prefix makes a proto kernel route while the link is up; down drops routes and IPv6 addresses', async () => {
  const k = kernel();
  await k.apply([add({ name: 'mv' }), { ...base, op: 'addr-add', dev: 'mv', cidr: '192.168.88.192/27' }]);
  assert.ok(!k.net.routes.some((r) => r.dst === '192.168.88.192/27'), 'no prefix route while down');
  await k.apply([up('mv')]);
  const r = k.net.routes.find((x) => x.dst === '192.168.88.192/27');
  assert.deepEqual([r?.proto, r?.scope, r?.metric, r?.src], [2, 'link', 0, '192.168.88.192']);
  assert.equal(await refusal(k, { ...base, op: 'route-add', route: { dst: '192.168.88.192/27', dev: 'mv', family: 4, metric: 0 } }), 'exists');
  assert.equal(await refusal(k, { ...base, op: 'addr-add', dev: 'mv', cidr: '192.168.88.192/27' }), 'exists');
  await k.apply([{ ...base, op: 'addr-add', dev: 'mv', cidr: '192.168.88.192/32' }]);
  await k.apply([{ ...base, op: 'addr-add', dev: 'mv', cidr: 'fd00::2/128' }]);
  assert.equal(await refusal(k, { ...base, op: 'addr-add', dev: 'mv', cidr: 'fd00::2/64' }), 'exists', 'IPv6 keys the address alone');
  assert.ok(k.addressesOf('mv').some((a) => a.startsWith('fe80::')), 'up makes a link-local address');
  await k.apply([{ ...base, op: 'addr-del', dev: 'mv', cidr: '192.168.88.192/27' }]);
  assert.ok(!k.net.routes.some((x) => x.dst === '192.168.88.192/27'), 'the prefix route goes with its address');
  assert.equal(await refusal(k, { ...base, op: 'addr-del', dev: 'mv', cidr: '192.168.88.192/27' }), 'absent');
  k.setUp('mv', false);
  assert.deepEqual(k.addressesOf('mv'), ['192.168.88.192/32']);
});

test('routes: down link refused, IPv4 keyed without the device, IPv6 with it, deleting a missing one refused', async () => {
  const k = kernel();
  await k.apply([add({ name: 'a' }), add({ name: 'b' })]);
  const r = (dst: string, dev: string): Op => ({ ...base, op: 'route-add', route: { dst, dev, family: dst.includes(':') ? 6 : 4, metric: 0 } });
  assert.equal(await refusal(k, r('10.0.0.0/8', 'a')), 'down');
  await k.apply([up('a'), up('b'), r('10.0.0.0/8', 'a'), r('fd00::/64', 'a')]);
  assert.equal(await refusal(k, r('10.0.0.0/8', 'b')), 'exists');
  assert.deepEqual(await k.apply([r('fd00::/64', 'b')]), { applied: 1 });
  assert.equal(await refusal(k, { ...base, op: 'route-del', route: { dst: '10.9.0.0/16', dev: 'a', family: 4, metric: 0 } }), 'absent');
  // Only our protocol is deleted by our ops.
  k.addRoute({ dst: '10.8.0.0/16', dev: 'a', metric: 0 });
  assert.equal(await refusal(k, { ...base, op: 'route-del', route: { dst: '10.8.0.0/16', dev: 'a', family: 4, metric: 0 } }), 'absent');
});

test('carrier follows the parent; MTU never above the parent, lowered with it', async () => {
  const k = kernel();
  await k.apply([add({ name: 'eth0.5', kind: 'vlan', vlanId: 5, mode: null }), up('eth0.5'), add({ name: 'mv', parent: 'eth0.5' }), up('mv')]);
  const carrier = async (): Promise<boolean | undefined> => (await k.observe()).links.find((l) => l.name === 'mv')?.carrier;
  assert.equal(await carrier(), true);
  k.setCarrier('eth0', false);
  assert.equal(await carrier(), false);
  k.setCarrier('eth0', true);
  k.setUp('eth0.5', false);
  assert.equal(await carrier(), false, 'a parent set down takes the child\'s carrier');
  k.setUp('eth0.5', true);
  assert.equal(await carrier(), true);
  assert.equal(await refusal(k, { ...base, op: 'link-set', name: 'mv', changes: { mtu: 1600 } }), 'refused');
  assert.equal(await refusal(k, add({ name: 'big', mtu: 9000 })), 'refused');
  k.setMtu('eth0', 1400);
  assert.deepEqual([k.link('eth0.5')?.mtu, k.link('mv')?.mtu], [1400, 1400]);
});

test('renames need the link down, as in Linux', () => {
  const k = kernel();
  assert.throws(() => k.renameLink('eth0', 'lan0'), (e: unknown) => e instanceof KernelRefusal && e.code === 'busy');
  k.setUp('eth0', false);
  k.renameLink('eth0', 'lan0');
  assert.ok(k.link('lan0') !== undefined && k.link('eth0') === undefined);
});

test('apply stops at the first refusal; writes counts accepted ops; an injected failure hits the k-th op once', async () => {
  const k = kernel();
  const res = await k.apply([add({ name: 'a' }), add({ name: 'a' }), add({ name: 'b' })]);
  assert.deepEqual([res.applied, res.failed?.index, k.writes], [1, 1, 1]);
  assert.equal(k.link('b'), undefined);
  k.failNext(2);
  const inj = await k.apply([add({ name: 'b' }), add({ name: 'c' }), add({ name: 'd' })]);
  assert.deepEqual([inj.applied, inj.failed?.code, inj.failed?.retry], [1, 'resources', true]);
  assert.equal(k.link('c'), undefined);
  assert.deepEqual(await k.apply([add({ name: 'c' })]), { applied: 1 }, 'only once');
  assert.equal(k.writes, 3);
  const fromStart = await new FakeKernel({ failAtOp: 1, failCode: 'permission' }).apply([up('lo')]);
  assert.deepEqual(fromStart, { applied: 0, failed: { index: 0, op: up('lo'), code: 'permission', retry: false, message: 'injected (permission)' } });
});

test('subscribe: every change is an event, delivered after the change; changes by "another process" are not writes', async () => {
  const k = kernel();
  const seen: KernelEvent[] = [];
  const stop = k.subscribe((e) => seen.push(e));
  k.addAddress('eth0', '192.168.1.5/24', { dynamic: true });
  assert.equal(seen.length, 0, 'not inside the change');
  await Promise.resolve();
  assert.deepEqual([...new Set(seen.map((e) => e.what))].sort(), ['address', 'route']);
  await k.apply([add({ name: 'a' })]);
  await Promise.resolve();
  assert.ok(seen.some((e) => e.what === 'link' && e.text.includes('a')));
  stop();
  const n = seen.length;
  k.deleteLink('a');
  await Promise.resolve();
  assert.equal(seen.length, n);
  assert.equal(k.writes, 1);
});

test('dump: ip-like lines for test failure messages', async () => {
  const k = kernel();
  await k.apply([add({ name: 'mv', mac: '02:00:00:00:00:02' }), up('mv'), { ...base, op: 'addr-add', dev: 'mv', cidr: '10.0.0.2/24' }]);
  const text = k.dump();
  assert.match(text, /^3: mv@eth0: <UP,LOWER_UP> mtu 1500 link\/ether 02:00:00:00:00:02 macvlan mode bridge alias "flatnet:n"$/m);
  assert.match(text, /^ {4}inet 10\.0\.0\.2\/24 scope global$/m);
  assert.match(text, /^10\.0\.0\.0\/24 dev mv proto kernel scope link metric 0$/m);
});
