// The whole daemon (config → reconcile loop → status → DaemonApi) on the fake
// kernel: what D-Bus and flatnetctl will show, without root.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import type { Notifier } from '../../../src/notify.js';
import type { DaemonChange } from '../../../src/model/status.js';
import { isFlatnetError } from '../../../src/errors.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { LAN_DROPIN } from '../../support/dropins.js';

const LAN = LAN_DROPIN;

interface Harness { kernel: FakeKernel; daemon: Daemon; notes: string[]; files: Map<string, string>; changes: DaemonChange[] }

async function boot(files: Record<string, string>, prepare: (k: FakeKernel) => void = (k) => { k.addNic('enp3s0'); }, parentWaitMs = 50): Promise<Harness> {
  const kernel = new FakeKernel();
  prepare(kernel);
  const notes: string[] = [];
  const notifier: Notifier = {
    ready: () => notes.push('READY=1'), reloading: () => notes.push('RELOADING=1'), stopping: () => notes.push('STOPPING=1'),
    status: (s) => notes.push(`STATUS=${s}`), watchdog: () => notes.push('WATCHDOG=1'), watchdogIntervalMs: () => 0,
  };
  const map = new Map(Object.entries(files));
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log: silentLogger, notifier, version: 'test',
    loadConfig: async () => buildConfigSet([...map].map(([path, text]) => ({ path, text }))),
    parentWaitMs, kernelDebounceMs: 1, nowUsec: () => BigInt(Date.now()) * 1000n,
  });
  const changes: DaemonChange[] = [];
  daemon.onChange((c) => changes.push(c));
  await daemon.start();
  return { kernel, daemon, notes, files: map, changes };
}

const v4 = (xs: string[]): string[] => xs.filter((a) => !a.includes(':'));
const hasLink = (h: Harness, name: string): boolean => [...h.kernel.net.links.values()].some((l) => l.name === name);

const settle = async (h: Harness): Promise<void> => {
  await new Promise((r) => setTimeout(r, 20));
  await h.daemon.reconcile();
};

test('boot: the shim is made, READY=1 after it, status configured, a second reconcile writes nothing', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    assert.deepEqual(v4(h.kernel.addressesOf('docker-link')), ['192.168.88.192/32']);
    assert.ok(h.kernel.routeGet('192.168.88.200')?.dev === 'docker-link');
    const ready = h.notes.indexOf('READY=1');
    assert.ok(ready >= 0);
    assert.ok(h.notes.slice(0, ready).some((n) => n === 'STATUS=1 network configured'), h.notes.join('\n'));
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'configured');
    assert.equal(s?.shim, 'docker-link');
    assert.ok((s?.shimIfIndex ?? 0) > 0);
    assert.equal(h.daemon.state(), 'running');
    const writes = h.kernel.writes;
    await h.daemon.reconcile();
    assert.equal(h.kernel.writes, writes, 'a no-op reconcile makes zero kernel writes');
    assert.deepEqual(await h.daemon.plan(), []);
  } finally { await h.daemon.stop(); }
});

test('a shim deleted by someone else is healed by the event alone and counted', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    h.kernel.deleteLink('docker-link');
    await new Promise((r) => setTimeout(r, 30));
    await h.daemon.reconcile();
    assert.deepEqual(v4(h.kernel.addressesOf('docker-link')), ['192.168.88.192/32']);
    assert.equal(h.daemon.network('lan')?.restoreCount, 1);
    assert.ok(h.changes.some((c) => c.what === 'network' && c.name === 'lan'), 'a PropertiesChanged-worthy change was emitted');
  } finally { await h.daemon.stop(); }
});

test('a missing parent holds READY=1 only for the parent wait, then the network waits and comes up with its parent', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN }, () => undefined, 30);
  try {
    assert.equal(h.notes.includes('READY=1'), false, 'not ready while the parent may still appear');
    await new Promise((r) => setTimeout(r, 60));
    assert.ok(h.notes.includes('READY=1'), 'ready after the parent wait');
    assert.equal(h.daemon.network('lan')?.state, 'waiting-for-parent');
    assert.ok(h.notes.some((n) => n === 'STATUS=0 networks configured, 1 waiting for enp3s0'), h.notes.join('\n'));
    h.kernel.addNic('enp3s0');
    await settle(h);
    assert.equal(h.daemon.network('lan')?.state, 'configured');
    assert.equal(h.daemon.network('lan')?.restoreCount, 0, 'first creation is not a heal');
  } finally { await h.daemon.stop(); }
});

test('down removes exactly what flatnetd made; up and reload bring it back', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    await h.daemon.down('lan');
    assert.equal(h.daemon.network('lan')?.state, 'down');
    assert.equal(hasLink(h, 'docker-link'), false);
    assert.ok(hasLink(h, 'enp3s0'), 'the parent is not ours and stays');
    await h.daemon.up('lan');
    assert.equal(h.daemon.network('lan')?.state, 'configured');
    await h.daemon.down('lan');
    await h.daemon.reload();
    assert.equal(h.daemon.network('lan')?.state, 'configured', 'a reload ends a down');
    const reloading = h.notes.lastIndexOf('RELOADING=1');
    assert.ok(reloading >= 0 && h.notes.indexOf('READY=1', reloading) > reloading, 'RELOADING=1 … READY=1 around a reload');
  } finally { await h.daemon.stop(); }
});

test('unknown networks are errors with a code; docker-args matches the drop-in', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    await assert.rejects(h.daemon.down('nope'), (e: unknown) => isFlatnetError(e) && e.code === 'not-found' && /no network named "nope"/.test(e.message));
    assert.throws(() => h.daemon.dockerArgs('nope'), (e: unknown) => isFlatnetError(e) && e.code === 'not-found');
    assert.deepEqual(h.daemon.dockerArgs('lan'), [
      'docker', 'network', 'create', '-d', 'macvlan', '--subnet=192.168.88.0/24', '--ip-range=192.168.88.192/27',
      '--gateway=192.168.88.1', '--aux-address=host=192.168.88.192', '-o', 'parent=enp3s0', '-o', 'macvlan_mode=bridge', 'lan',
    ]);
  } finally { await h.daemon.stop(); }
});

test('an edit that breaks the drop-in keeps the network on its last good config; a fixed edit applies', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN.replace('Address=192.168.88.192/32', 'Address=192.168.88.300/32'));
    await h.daemon.reload();
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'degraded');
    assert.match(s?.lastError ?? '', /keeping its last good version: \/etc\/flatnet\.d\/10-lan\.conf:9: Address=192\.168\.88\.300\/32: /);
    assert.deepEqual(v4(h.kernel.addressesOf('docker-link')), ['192.168.88.192/32'], 'nothing torn down');
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN.replace('Address=192.168.88.192/32', 'Address=192.168.88.193/32'));
    await h.daemon.reload();
    assert.equal(h.daemon.network('lan')?.state, 'configured');
    assert.deepEqual(v4(h.kernel.addressesOf('docker-link')), ['192.168.88.193/32']);
  } finally { await h.daemon.stop(); }
});

test('a kernel refusal while creating a new network leaves nothing half-made', async () => {
  const h = await boot({}, (k) => { k.addNic('enp3s0'); });
  try {
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN);
    h.kernel.failNext(3);
    await h.daemon.reload();
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'failed', s?.lastError);
    assert.match(s?.lastError ?? '', /injected/);
    assert.equal(hasLink(h, 'docker-link'), false, 'the half-made shim was rolled back');
  } finally { await h.daemon.stop(); }
});

test('a network with nothing of its own to make still waits for its parent; READY=1 never precedes the first reconcile', async () => {
  const noShim = '[Network]\nName=plain\nParent=enp9s9\nSubnet=10.9.0.0/24\n';
  const h = await boot({ '/etc/flatnet.d/10-plain.conf': noShim }, () => undefined, 0);
  try {
    const first = h.notes.findIndex((n) => n.startsWith('STATUS='));
    const ready = h.notes.indexOf('READY=1');
    assert.ok(first >= 0 && (ready === -1 || ready > first), `STATUS before READY: ${h.notes.join(' | ')}`);
    assert.equal(h.daemon.network('plain')?.state, 'waiting-for-parent');
    assert.match(h.daemon.network('plain')?.lastError ?? '', /waiting for enp9s9/);
  } finally { await h.daemon.stop(); }
});

test('a link that vanishes between our look and our write is a stale view, not a failure: looked at again, healed in the same run', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN });
  try {
    h.kernel.failNext(1, 'gone');
    h.kernel.flushAddresses('docker-link');
    await new Promise((r) => setTimeout(r, 30));
    await h.daemon.reconcile();
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'configured', s?.lastError);
    assert.deepEqual(v4(h.kernel.addressesOf('docker-link')), ['192.168.88.192/32']);
  } finally { await h.daemon.stop(); }
});

test('Plan refuses what the loop refuses: MTU=9000 on a 1500 parent lists nothing, and the network is failed with 0 writes', async () => {
  const h = await boot({ '/etc/flatnet.d/10-lan.conf': LAN.replace('[Network]\n', '[Network]\nMTU=9000\n') });
  try {
    assert.equal(h.kernel.writes, 0);
    assert.equal(h.daemon.network('lan')?.state, 'failed');
    assert.deepEqual(await h.daemon.plan(), [], 'the loop refuses it: the plan must not list a shim');
  } finally { await h.daemon.stop(); }
});

test('planFiles: a candidate replaces the drop-in of its name; its typo shows the removal and its line; the kernel is left alone', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const files = new Map([['/etc/flatnet.d/10-lan.conf', LAN]]);
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log: silentLogger, version: 'test', parentWaitMs: 50, kernelDebounceMs: 1,
    notifier: { ready: () => undefined, reloading: () => undefined, stopping: () => undefined, status: () => undefined, watchdog: () => undefined, watchdogIntervalMs: () => 0 },
    loadConfig: async () => buildConfigSet([...files].map(([path, text]) => ({ path, text }))),
    loadCandidates: async (cands) => {
      const names = new Set(cands.map((c) => c.path.slice(c.path.lastIndexOf('/') + 1)));
      return buildConfigSet([...[...files].map(([path, text]) => ({ path, text })).filter((f) => !names.has(f.path.slice(f.path.lastIndexOf('/') + 1))), ...cands]);
    },
    nowUsec: () => BigInt(Date.now()) * 1000n,
  });
  await daemon.start();
  try {
    const writes = kernel.writes;
    const typo = await daemon.planFiles([{ path: '/home/me/10-lan.conf', text: LAN.replace('Address=', 'Adress=') }]);
    assert.deepEqual(typo.operations.map((o) => `${o.op} ${'cidr' in o ? o.cidr : ''}`), ['addr-del 192.168.88.192/32']);
    assert.deepEqual(typo.diagnostics.map((d) => `${d.file ?? ''}:${d.line ?? 0} ${d.code}`), ['/home/me/10-lan.conf:9 unknown-key']);
    const added = await daemon.planFiles([{ path: '/home/me/20-other.conf', text: '[Network]\nName=other\nParent=enp3s0\nVLAN=5000\n' }]);
    assert.deepEqual(added.operations, [], 'lan is as its drop-in says; the broken new one makes nothing');
    assert.deepEqual(added.blocked.map((b) => `${b.name}: ${b.state}`), ['other: invalid']);
    await assert.rejects(daemon.planFiles([{ path: '/home/me/lan.txt', text: LAN }]), /ends in \.conf/);
    assert.equal(kernel.writes, writes, 'a dry run writes nothing');
    assert.equal(daemon.network('lan')?.state, 'configured');
  } finally { await daemon.stop(); }
});
