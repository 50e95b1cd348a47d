// The address guard in the whole daemon on the fake kernel and a scripted LAN
// (FakeArp): when it asks, what it withholds, what it says, when it asks again,
// and that no run (READY=1 least of all) waits for the LAN's answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import type { Notifier } from '../../../src/notify.js';
import { AddressGuard } from '../../../src/lan/guard.js';
import { BoundedArp } from '../../../src/lan/bounded.js';
import type { Arp } from '../../../src/lan/arp.js';
import { parseProbe } from '../../../src/lan/arping.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { FakeArp } from '../../fake/fake-arp.js';
import { LAN_DROPIN } from '../../support/dropins.js';

const SHIM = '192.168.88.192';
const FOREIGN = '02:fe:00:00:00:01';

const v4 = (k: FakeKernel, dev: string): string[] => k.addressesOf(dev).filter((a) => !a.includes(':'));
const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface H { kernel: FakeKernel; arp: FakeArp; daemon: Daemon; guard: AddressGuard; lines: string[]; files: Map<string, string>; notes: string[] }

async function boot(arp = new FakeArp(), files: Record<string, string> = { '/etc/flatnet.d/10-lan.conf': LAN_DROPIN }, gate: Arp = arp): Promise<H> {
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const lines: string[] = [];
  const log: Logger = { ...silentLogger, warning: (m) => lines.push(`W ${m}`), notice: (m) => lines.push(`N ${m}`), error: (m) => lines.push(`E ${m}`) };
  const notes: string[] = [];
  const notifier: Notifier = {
    ready: () => notes.push('READY=1'), reloading: () => undefined, stopping: () => undefined,
    status: (s) => notes.push(`STATUS=${s}`), watchdog: () => undefined, watchdogIntervalMs: () => 0,
  };
  const guard = new AddressGuard(gate, log);
  const map = new Map(Object.entries(files));
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log, notifier, version: 'test',
    loadConfig: async () => buildConfigSet([...map].map(([path, text]) => ({ path, text }))),
    parentWaitMs: 50, kernelDebounceMs: 1, nowUsec: () => BigInt(Date.now()) * 1000n, guard,
  });
  // start() resolves after the first reconcile; a start that waited for the
  // LAN's answer (the arping's second) would hang here on a held answer.
  const started = await Promise.race([daemon.start().then(() => true), settle(1000).then(() => false)]);
  assert.ok(started, 'the first reconcile waited for the LAN to answer');
  return { kernel, arp, daemon, guard, lines, files: map, notes };
}
/** Every probe answered and the run each answer asked for is done. */
async function answered(h: H): Promise<void> {
  await h.guard.settled();
  await settle(30);
}

test('READY=1, the shim and its routes come before the LAN answers; the network is probing; then the address is assigned and announced', async () => {
  const arp = new FakeArp();
  arp.hold();
  const h = await boot(arp);
  try {
    assert.deepEqual(h.arp.probes, [{ dev: 'enp3s0', addr: SHIM }]);
    assert.ok(h.notes.includes('READY=1'), 'READY=1 before the answer');
    assert.equal(h.kernel.link('docker-link')?.up, true, 'the shim is made and up');
    assert.deepEqual(v4(h.kernel, 'docker-link'), [], 'the address waits for the answer');
    assert.equal(h.kernel.routeGet('192.168.88.200')?.dev, 'docker-link', 'routes do not need the address');
    const s = h.daemon.network('lan');
    assert.equal(s?.state, 'probing');
    assert.equal(s?.lastError, '');
    assert.equal(h.daemon.state(), 'running', 'a second\'s wait is not the manager degraded');
    assert.ok(h.notes.some((n) => /STATUS=.*1 probing the LAN/.test(n)), h.notes.join('\n'));
    arp.release();
    await answered(h);
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
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
    await answered(h);
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
    await answered(h);
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

test('a heal of the same shim does not ask; an edited address does; a MAC changed in place is not asked about', async () => {
  const h = await boot();
  try {
    await answered(h);
    h.kernel.deleteLink('docker-link');
    await settle(50);
    await h.daemon.reconcile();
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.equal(h.arp.probes.length, 1, 'the same shim re-made: the address was ours a moment ago');
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN.replace(`Address=${SHIM}`, 'Address=192.168.88.222'));
    h.arp.hold();
    await h.daemon.reload();
    assert.deepEqual(h.arp.probes.map((p) => p.addr), [SHIM, '192.168.88.222']);
    assert.equal(h.daemon.network('lan')?.state, 'probing', 'reload returns without waiting for the answer');
    h.arp.release();
    await answered(h);
    assert.deepEqual(v4(h.kernel, 'docker-link'), ['192.168.88.222/32']);
    h.files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN.replace(`Address=${SHIM}/32`, 'Address=192.168.88.222/32\nMACAddress=02:00:00:00:00:42'));
    await h.daemon.reload();
    // The kernel changes a macvlan's MAC in place: the address never left the shim, so it is not
    // probed (it is in use); the kernel backend announces the new MAC (src/kernel/announce.ts).
    assert.deepEqual(h.arp.probes.map((p) => p.addr), [SHIM, '192.168.88.222']);
    await h.guard.settled();
    assert.deepEqual(h.arp.announcements.map((a) => a.addr), [SHIM, '192.168.88.222']);
  } finally { await h.daemon.stop(); }
});

test('a probe that cannot be sent (link down) assigns the address unprobed, with a warning', async () => {
  const arp = new FakeArp();
  arp.broken.add('enp3s0');
  const h = await boot(arp);
  try {
    await answered(h);
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.ok(h.lines.some((l) => /could not probe 192\.168\.88\.192 on enp3s0 .*assigning it unprobed/.test(l)));
  } finally { await h.daemon.stop(); }
});

test('a hundred networks: every probe starts in the first run, at most ARP_PARALLEL arping at once, READY=1 before any answer', async () => {
  const arp = new FakeArp();
  arp.hold();
  const gate = new BoundedArp(arp, 32);
  const files: Record<string, string> = {};
  for (let i = 0; i < 100; i++) {
    files[`/etc/flatnet.d/${String(i).padStart(3, '0')}-n${i}.conf`] = `[Network]\nParent=enp3s0\nSubnet=10.9.0.0/16\nIPRange=10.9.${i}.0/28\n[Shim]\nName=shim${i}\nAddress=10.9.${i}.200\n`;
  }
  const h = await boot(arp, files, gate);
  try {
    assert.ok(h.notes.includes('READY=1'), 'READY=1 before any answer');
    assert.equal(arp.inFlight, 32, 'the first 32 probes are out together');
    assert.equal(h.daemon.networks().filter((s) => s.state === 'probing').length, 100);
    assert.equal(h.daemon.counters.runs, 1, 'no run waited');
    arp.release();
    await answered(h);
    assert.equal(arp.probes.length, 100, 'each address asked once');
    assert.equal(arp.most, 32);
    assert.equal(gate.most, 32);
    for (let i = 0; i < 100; i++) assert.deepEqual(v4(h.kernel, `shim${i}`), [`10.9.${i}.200/32`], `shim${i}`);
    assert.equal(h.daemon.networks().filter((s) => s.state === 'configured').length, 100);
    assert.ok(h.daemon.counters.runs < 20, `the answers coalesce into a few runs, not one each (${h.daemon.counters.runs})`);
  } finally { await h.daemon.stop(); }
});

test('flatnetctl reconcile returns once the LAN answered and a freed address is assigned', async () => {
  const arp = new FakeArp();
  arp.holders.set(SHIM, FOREIGN);
  const h = await boot(arp);
  try {
    await answered(h);
    arp.holders.delete(SHIM);
    await h.daemon.reconcile();
    assert.deepEqual(v4(h.kernel, 'docker-link'), [`${SHIM}/32`]);
    assert.equal(h.daemon.network('lan')?.state, 'configured');
  } finally { await h.daemon.stop(); }
});

test('arping output: free, held (the MAC), error', () => {
  assert.deepEqual(parseProbe({ code: 0, stdout: 'Sent 2 probes', stderr: '' }), { kind: 'free' });
  assert.deepEqual(parseProbe({ code: 1, stdout: 'ARPING 192.168.88.192 from 0.0.0.0 enp3s0\nUnicast reply from 192.168.88.192 [02:FE:00:00:00:01]  0.527ms\n', stderr: '' }),
    { kind: 'held', mac: '02:fe:00:00:00:01' });
  assert.equal(parseProbe({ code: 2, stdout: '', stderr: 'Interface "e0" is down\n' }).kind, 'error');
  assert.equal(parseProbe({ code: 1, stdout: 'no reply line', stderr: '' }).kind, 'error');
});

test('Plan says what the next run does while the LAN is asked: no address while probing or held, the address once it probed free', async () => {
  const arp = new FakeArp();
  arp.hold();
  const h = await boot(arp);
  try {
    const describe = async (): Promise<string[]> => (await h.daemon.plan()).map((op) => JSON.stringify(op));
    assert.deepEqual(await describe(), [], 'probing: the address is not planned (the loop withholds it)');
    arp.release();
    await answered(h);
    assert.deepEqual(await describe(), [], 'assigned: nothing left to do');
  } finally { await h.daemon.stop(); }
  const held = new FakeArp();
  held.holders.set(SHIM, FOREIGN);
  const g = await boot(held);
  try {
    await answered(g);
    assert.deepEqual((await g.daemon.plan()).map((op) => JSON.stringify(op)), [], 'held: the address is not planned');
  } finally { await g.daemon.stop(); }
});
