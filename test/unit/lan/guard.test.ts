// The address guard in the whole daemon on the fake kernel and a scripted LAN
// (FakeArp): when it asks, what it withholds, what it says, when it asks again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import type { Notifier } from '../../../src/notify.js';
import { AddressGuard } from '../../../src/lan/guard.js';
import { parseProbe } from '../../../src/lan/arping.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { FakeArp } from '../../fake/fake-arp.js';
import { LAN_DROPIN } from '../../support/dropins.js';

const SHIM = '192.168.88.192';
const FOREIGN = '02:fe:00:00:00:01';

interface H { kernel: FakeKernel; arp: FakeArp; daemon: Daemon; guard: AddressGuard; lines: string[]; files: Map<string, string>; notes: string[] }

async function boot(arp = new FakeArp(), files: Record<string, string> = { '/etc/flatnet.d/10-lan.conf': LAN_DROPIN }): Promise<H> {
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const lines: string[] = [];
  const log: Logger = { ...silentLogger, warning: (m) => lines.push(`W ${m}`), notice: (m) => lines.push(`N ${m}`), error: (m) => lines.push(`E ${m}`) };
  const notes: string[] = [];
  const notifier: Notifier = {
    ready: () => notes.push('READY=1'), reloading: () => undefined, stopping: () => undefined,
    status: (s) => notes.push(`STATUS=${s}`), watchdog: () => undefined, watchdogIntervalMs: () => 0,
  };
  const guard = new AddressGuard(arp, log);
  const map = new Map(Object.entries(files));
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log, notifier, version: 'test',
    loadConfig: async () => buildConfigSet([...map].map(([path, text]) => ({ path, text }))),
    parentWaitMs: 50, kernelDebounceMs: 1, nowUsec: () => BigInt(Date.now()) * 1000n, guard,
  });
  await daemon.start();
  return { kernel, arp, daemon, guard, lines, files: map, notes };
}
const v4 = (k: FakeKernel, dev: string): string[] => k.addressesOf(dev).filter((a) => !a.includes(':'));
const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a free address is asked about once out of the parent, assigned, then announced out of the shim', async () => {
  const h = await boot();
  try {
    assert.deepEqual(h.arp.probes, [{ dev: 'enp3s0', addr: SHIM }]);
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    await h.guard.settled();
    assert.deepEqual(h.arp.announcements, [{ dev: 'docker-link', addr: SHIM }]);
    assert.equal(h.daemon.network('lan')?.state, 'configured');
    await h.daemon.reconcile();
    assert.equal(h.arp.probes.length, 1, 'an address on the shim is ours: never asked again');
    await h.guard.settled();
    assert.equal(h.arp.announcements.length, 1);
  } finally { await h.daemon.stop(); }
});

test('a held address is withheld; the rest is made; the status names the MAC; READY=1 is not held back', async () => {
  const arp = new FakeArp();
  arp.holders.set(SHIM, FOREIGN);
  const h = await boot(arp);
  try {
    assert.deepEqual(v4(h.kernel, 'docker-link'), []);
    assert.equal(h.kernel.routeGet('192.168.88.200')?.dev, 'docker-link', 'routes do not need the address');
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'degraded');
    assert.match(s?.lastError ?? '', /192\.168\.88\.192 is in use on the LAN by 02:fe:00:00:00:01/);
    assert.match(s?.lastError ?? '', /10-lan\.conf:\d+: Address=192\.168\.88\.192:/, 'the drop-in line is named');
    assert.ok(h.notes.includes('READY=1'));
    assert.equal(h.lines.filter((l) => l.startsWith('W ') && l.includes('in use on the LAN')).length, 1);
    await h.guard.settled();
    assert.equal(h.arp.announcements.length, 0);
  } finally { await h.daemon.stop(); }
});

test('kernel events never ask again; reconcile does; a host that left frees the address', async () => {
  const arp = new FakeArp();
  arp.holders.set(SHIM, FOREIGN);
  const h = await boot(arp);
  try {
    const asked = arp.probes.length;
    for (let i = 0; i < 5; i++) { h.kernel.setMtu('docker-link', 1400 + i); await settle(); }
    h.kernel.deleteLink('docker-link');
    await settle(50);
    assert.equal(arp.probes.length, asked, 'no probe for kernel-event runs');
    assert.deepEqual(v4(h.kernel, 'docker-link'), []);
    await h.daemon.reconcile();
    assert.equal(arp.probes.length, asked + 1, 'reconcile asks again, once');
    assert.deepEqual(v4(h.kernel, 'docker-link'), []);
    arp.holders.delete(SHIM);
    await h.daemon.reconcile();
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.equal(h.daemon.network('lan')?.state, 'configured');
    assert.ok(h.lines.some((l) => l.includes('192.168.88.192 is free on the LAN again')));
    await h.guard.settled();
    assert.deepEqual(arp.announcements, [{ dev: 'docker-link', addr: SHIM }]);
  } finally { await h.daemon.stop(); }
});

test('a heal of the same shim does not ask; an edited address does; a new MAC is announced', async () => {
  const h = await boot();
  try {
    h.kernel.deleteLink('docker-link');
    await settle(50);
    await h.daemon.reconcile();
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.equal(h.arp.probes.length, 1, 'the same shim re-made: the address was ours a moment ago');
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN.replace(`Address=${SHIM}`, 'Address=192.168.88.222'));
    await h.daemon.reload();
    assert.deepEqual(h.arp.probes.map((p) => p.addr), [SHIM, '192.168.88.222']);
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN.replace(`Address=${SHIM}/32`, 'Address=192.168.88.222/32\nMACAddress=02:00:00:00:00:42'));
    await h.daemon.reload();
    // The kernel changes a macvlan's MAC in place: the address never left the shim, so it is not
    // probed (it is in use), but announced again so neighbours follow the new MAC.
    assert.deepEqual(h.arp.probes.map((p) => p.addr), [SHIM, '192.168.88.222']);
    await h.guard.settled();
    assert.deepEqual(h.arp.announcements.map((a) => a.addr), [SHIM, '192.168.88.222', '192.168.88.222']);
  } finally { await h.daemon.stop(); }
});

test('a probe that cannot be sent (link down) assigns the address unprobed, with a warning', async () => {
  const arp = new FakeArp();
  arp.broken.add('enp3s0');
  const h = await boot(arp);
  try {
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.ok(h.lines.some((l) => /could not probe 192\.168\.88\.192 on enp3s0 .*assigning it unprobed/.test(l)));
  } finally { await h.daemon.stop(); }
});

test('several networks are asked about at the same time, not one after the other', async () => {
  let inFlight = 0, most = 0;
  const arp = new FakeArp();
  const slow: FakeArp = Object.assign(Object.create(FakeArp.prototype) as FakeArp, arp, {
    probe: async (dev: string, addr: string) => {
      inFlight++; most = Math.max(most, inFlight);
      await settle(30);
      inFlight--;
      return arp.probe(dev, addr);
    },
  });
  const files: Record<string, string> = {};
  for (let i = 0; i < 5; i++) {
    files[`/etc/flatnet.d/1${i}-n${i}.conf`] = `[Network]\nParent=enp3s0\nSubnet=192.168.88.0/24\nIPRange=192.168.88.${64 + i * 8}/29\n[Shim]\nName=shim${i}\nAddress=192.168.88.${30 + i}\n`;
  }
  const h = await boot(slow, files);
  try {
    assert.equal(most, 5);
    for (let i = 0; i < 5; i++) assert.deepEqual(v4(h.kernel, `shim${i}`), [`192.168.88.${30 + i}/32`]);
  } finally { await h.daemon.stop(); }
});

test('arping output: free, held (the MAC), error', () => {
  assert.deepEqual(parseProbe({ code: 0, stdout: 'Sent 2 probes', stderr: '' }), { kind: 'free' });
  assert.deepEqual(parseProbe({ code: 1, stdout: 'ARPING 192.168.88.192 from 0.0.0.0 enp3s0\nUnicast reply from 192.168.88.192 [02:FE:00:00:00:01]  0.527ms\n', stderr: '' }),
    { kind: 'held', mac: '02:fe:00:00:00:01' });
  assert.equal(parseProbe({ code: 2, stdout: '', stderr: 'Interface "e0" is down\n' }).kind, 'error');
  assert.equal(parseProbe({ code: 1, stdout: 'no reply line', stderr: '' }).kind, 'error');
});
