// Foreign interference and lost events, against the real flatnetd on a
// private bus: another process deletes an owned link, flushes its addresses,
// deletes its route, changes its MTU, MAC, up flag or ownership mark, renames
// the parent; each is healed within 2 s (the renamed parent is reported as
// waiting and healed when its name returns). Then the long faults: the parent
// gone for 30 s (minutes in the issue: 30 s here, to keep the tier short), the
// drop-in directory deleted and made again, the ip monitor killed while
// events happen, the bus daemon restarted.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonProcess } from '../support/daemon-process.js';
import { LAN_DROPIN } from '../support/dropins.js';
import {
  childrenOf, client, cmdline, converge, createLab, daemon, isRoot, prefix, procStats, sleep, startBus, view, type Client, type Lab, type PrivateBus, type WantShim, teardown,
} from '../support/reliability-rig.js';

const HEAL_MS = 2000;
const CONVERGE_MS = 5000;
/** "Minutes" in the issue; 30 s here keeps the tier short and still spans many retry and event cycles. */
const PARENT_GONE_MS = 30_000;

const LAN = LAN_DROPIN;
const LAN2 = `[Network]
Name=lan2
Parent=enp3s0
Subnet=192.168.88.0/24
IPRange=192.168.88.224/28
MTU=1400
[Shim]
Name=lan2-link
Address=192.168.88.224/32
MACAddress=02:42:c0:a8:58:e0
`;
const WANT: WantShim[] = [
  { network: 'lan', name: 'docker-link', parent: 'enp3s0', addrs: ['192.168.88.192/32'], routes: ['192.168.88.192/27'] },
  { network: 'lan2', name: 'lan2-link', parent: 'enp3s0', addrs: ['192.168.88.224/32'], routes: ['192.168.88.224/28'], mtu: 1400, mac: '02:42:c0:a8:58:e0' },
];

// Twice: as shipped, and with the event-fed view serving every event-started
// run (--view-min-links 0; these namespaces have too few links for it by
// default). The second pass leaves out the 30 s outage and the bus restart,
// which the view does not change.
for (const viewOn of [false, true]) {
const viewArgs = viewOn ? ['--view-min-links', '0'] : [];
/** The long faults are registered once, in the pass without the view. */
const long = (name: string, fn: () => Promise<void>): void => { if (!viewOn) test(name, fn); };
describe(`foreign interference, lost events, long faults${viewOn ? ' (the event-fed view on)' : ''}`, { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let busDir: string;
  let bus: PrivateBus;
  let c: Client;
  let d: DaemonProcess;
  const figures: string[] = [];

  const start = async (): Promise<DaemonProcess> => {
    d = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: viewArgs, env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await c.waitForName();
    return d;
  };
  const ifindexOf = async (name: string): Promise<number | undefined> => (await view(lab.nas)).links.find((l) => l.ifname === name)?.ifindex;
  const stateOf = async (name: string): Promise<string | undefined> => (await c.describe()).networks.find((n) => n.name === name)?.state;
  const waitState = async (name: string, state: string, ms: number, what: string): Promise<number> => {
    const t0 = Date.now();
    for (;;) {
      const s = await stateOf(name);
      if (s === state) return Date.now() - t0;
      if (Date.now() - t0 > ms) throw new Error(`${what}: ${name} is ${String(s)}, not ${state}, after ${ms} ms\n${d.log.slice(-30).join('\n')}`);
      await sleep(25);
    }
  };
  /** Do `harm`, then wait for the heal; returns ms from the end of the harm to the kernel being right. */
  const healAfter = async (what: string, harm: () => Promise<void>, keep: string[] = ['docker-link', 'lan2-link']): Promise<number> => {
    await converge(lab.nas, WANT, CONVERGE_MS, `${what}: before`);
    const before = new Map<string, number | undefined>();
    for (const n of keep) before.set(n, await ifindexOf(n));
    await harm();
    const ms = await converge(lab.nas, WANT, HEAL_MS, `${what}: healed`);
    for (const n of keep) assert.equal(await ifindexOf(n), before.get(n), `${what}: ${n} healed in place (same ifindex)`);
    figures.push(`${what}: ${ms} ms`);
    return ms;
  };

  before(async () => {
    lab = await createLab(prefix(viewOn ? 'iv' : 'i'), 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    busDir = mkdtempSync(join(tmpdir(), 'fnt-bus-'));
    writeFileSync(join(dir, '10-lan.conf'), LAN);
    writeFileSync(join(dir, '20-lan2.conf'), LAN2);
    bus = await startBus('system', busDir);
    c = client(bus.address);
    await start();
    await converge(lab.nas, WANT, CONVERGE_MS, 'first start');
  });
  after(async () => {
    await teardown({ client: c, daemon: d, lab, bus, dirs: [dir, busDir] });
    process.stdout.write(`# interference heal times (bound ${HEAL_MS} ms): ${figures.join('; ')}\n`);
  });

  test('an owned link deleted by someone else is made again (new ifindex, same MAC)', async () => {
    const mac = (await view(lab.nas)).links.find((l) => l.ifname === 'docker-link')?.address;
    await healAfter('link deleted', () => lab.nasRun(['ip', 'link', 'del', 'docker-link']).then(() => undefined), ['lan2-link']);
    assert.equal((await view(lab.nas)).links.find((l) => l.ifname === 'docker-link')?.address, mac);
  });

  test('addresses flushed', async () => { await healAfter('addresses flushed', () => lab.nasRun(['ip', 'addr', 'flush', 'dev', 'docker-link']).then(() => undefined)); });

  test('our route deleted', async () => { await healAfter('route deleted', () => lab.nasRun(['ip', 'route', 'del', '192.168.88.224/28', 'dev', 'lan2-link']).then(() => undefined)); });

  test('MTU changed', async () => { await healAfter('MTU changed', () => lab.nasRun(['ip', 'link', 'set', 'lan2-link', 'mtu', '1300']).then(() => undefined)); });

  test('MAC changed', async () => { await healAfter('MAC changed', () => lab.nasRun(['ip', 'link', 'set', 'lan2-link', 'address', '02:00:00:00:00:99']).then(() => undefined)); });

  test('set down', async () => { await healAfter('set down', () => lab.nasRun(['ip', 'link', 'set', 'docker-link', 'down']).then(() => undefined)); });

  test('the ownership mark (alias) removed: adopted back, not re-created', async () => { await healAfter('alias removed', () => lab.nasRun(['ip', 'link', 'set', 'docker-link', 'alias', '']).then(() => undefined)); });

  test('a deleted shim is healed 100 times without a spurious kernel error or a "failed" state', async () => {
    await converge(lab.nas, WANT, CONVERGE_MS, 'before');
    const from = d.log.length;
    for (let i = 0; i < 100; i++) {
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      await converge(lab.nas, WANT, HEAL_MS, `heal ${i}`);
    }
    await sleep(300);
    const noise = d.log.slice(from).filter((l) => /kernel refused|→ failed/.test(l));
    const looks = d.log.slice(from).filter((l) => l.startsWith('read again: ')).length;
    figures.push(`100 heals of a deleted shim${viewOn ? ` (view: ${looks} scoped reads)` : ''}: ${noise.filter((l) => l.startsWith('kernel refused')).length} spurious kernel refusals`);
    assert.deepEqual(noise, []);
    if (viewOn) assert.ok(looks >= 100, `the heals were served by the event-fed view (${looks} scoped reads)`);
  });

  test('the parent renamed: reported as waiting within 2 s, healed when the name comes back', async () => {
    await converge(lab.nas, WANT, CONVERGE_MS, 'before the rename');
    const shimsBefore = await view(lab.nas);
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0', 'down']);
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0', 'name', 'enp3s0x']);
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0x', 'up']);
    const waited = await waitState('lan', 'waiting-for-parent', HEAL_MS, 'parent renamed');
    const s = (await c.describe()).networks.find((n) => n.name === 'lan');
    assert.match(s?.lastError ?? '', /waiting for enp3s0 to appear/);
    const during = await view(lab.nas);
    const renamed = during.links.find((l) => l.ifname === 'enp3s0x');
    assert.equal(renamed?.ifalias, undefined, 'the renamed parent is not marked or taken over');
    for (const w of WANT) {
      const l = during.links.find((x) => x.ifname === w.name);
      // Its parent is only renamed: the shim still serves the host, so it is left where it is.
      assert.equal(l?.ifindex, shimsBefore.links.find((x) => x.ifname === w.name)?.ifindex, `${w.name} left alone while its parent has another name`);
    }
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0x', 'down']);
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0x', 'name', 'enp3s0']);
    await lab.nasRun(['ip', 'link', 'set', 'enp3s0', 'up']);
    const healed = await converge(lab.nas, WANT, HEAL_MS, 'parent name back');
    for (const w of WANT) {
      assert.equal((await view(lab.nas)).links.find((x) => x.ifname === w.name)?.ifindex, shimsBefore.links.find((x) => x.ifname === w.name)?.ifindex, `${w.name} kept its ifindex through the rename`);
    }
    await waitState('lan', 'configured', HEAL_MS, 'parent name back');
    figures.push(`parent renamed: reported waiting in ${waited} ms, healed ${healed} ms after the name came back`);
  });

  long(`the parent gone for ${PARENT_GONE_MS / 1000} s: waiting, idle, and healed when it comes back`, async () => {
    const pid = d.proc.pid ?? 0;
    await converge(lab.nas, WANT, CONVERGE_MS, 'before the unplug');
    await lab.nasRun(['ip', 'link', 'del', 'enp3s0']);
    await waitState('lan', 'waiting-for-parent', HEAL_MS, 'parent unplugged');
    const cpu0 = procStats(pid);
    const runs0 = (await c.describe()).counters.runs;
    await sleep(PARENT_GONE_MS);
    const cpu1 = procStats(pid);
    const desc = await c.describe();
    assert.equal(desc.networks.find((n) => n.name === 'lan2')?.state, 'waiting-for-parent');
    assert.equal(d.proc.exitCode, null, 'still running');
    const cpu = cpu1.cpu - cpu0.cpu + cpu1.childCpu - cpu0.childCpu;
    const runs = desc.counters.runs - runs0;
    // A waiting network is not a failure to retry: no polling while nothing happens.
    assert.ok(runs <= 2, `${runs} reconciles while nothing happened for ${PARENT_GONE_MS / 1000} s`);
    await lab.replugNic();
    const ms = await converge(lab.nas, WANT, HEAL_MS, 'parent back');
    figures.push(`parent gone ${PARENT_GONE_MS / 1000} s: ${runs} reconciles and ${cpu.toFixed(2)} s CPU while waiting, healed ${ms} ms after it came back`);
  });

  test('the drop-in directory deleted and made again: picked up without a restart', async () => {
    const pid = d.proc.pid;
    await converge(lab.nas, WANT, CONVERGE_MS, 'before');
    rmSync(dir, { recursive: true, force: true });
    // What a user who deleted /etc/flatnet.d gets: no drop-ins, so no networks.
    const gone = await converge(lab.nas, [], CONVERGE_MS, 'drop-in directory deleted').catch((e: unknown) => e);
    const removed = typeof gone === 'number';
    mkdirSync(dir);
    writeFileSync(join(dir, '10-lan.conf'), LAN);
    writeFileSync(join(dir, '20-lan2.conf'), LAN2);
    const ms = await converge(lab.nas, WANT, CONVERGE_MS, 'drop-in directory made again');
    assert.equal(d.proc.pid, pid);
    assert.equal(d.proc.exitCode, null, 'no restart');
    figures.push(`config dir deleted: networks ${removed ? 'removed (read as "no drop-ins")' : 'kept'}; re-created: back in ${ms} ms`);
  });

  test('the ip monitor killed while events happen: restarted, a full resync heals what it missed, counted in Describe', async () => {
    await converge(lab.nas, WANT, CONVERGE_MS, 'before');
    const pid = d.proc.pid ?? 0;
    const monitor = childrenOf(pid).find((p) => / monitor /.test(cmdline(p)));
    assert.ok(monitor !== undefined, `an ip monitor child of flatnetd: ${childrenOf(pid).map(cmdline).join(' | ')}`);
    const resyncs = (await c.describe()).counters.resyncs;
    // Stopped, flatnetd cannot notice the monitor's death before the deletion:
    // the event of the deletion goes to a monitor that is gone.
    process.kill(pid, 'SIGSTOP');
    try {
      process.kill(monitor, 'SIGKILL');
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const ms = await converge(lab.nas, WANT, HEAL_MS, 'healed by the resync');
    const after = await c.describe();
    assert.equal(after.counters.resyncs, resyncs + 1, 'one resync counted');
    await d.waitForLog(/kernel event monitor restarted: re-reading everything/);
    const again = childrenOf(pid).find((p) => / monitor /.test(cmdline(p)));
    assert.ok(again !== undefined && again !== monitor, 'a new monitor runs');
    figures.push(`monitor killed: resync healed in ${ms} ms, counters.resyncs ${resyncs} → ${after.counters.resyncs}`);
  });

  long('the bus daemon restarts: flatnetd keeps running and healing, links stay; it takes the name again with zero writes', async () => {
    await converge(lab.nas, WANT, CONVERGE_MS, 'before');
    const before = await view(lab.nas);
    const writesBefore = (await c.describe()).counters.writes;
    c.close();
    await bus.stop();
    await d.waitForLog(/D-Bus API unavailable: /);
    assert.equal(d.proc.exitCode, null, 'flatnetd runs on without the bus');
    const still = await view(lab.nas);
    for (const w of WANT) {
      assert.equal(still.links.find((l) => l.ifname === w.name)?.ifindex, before.links.find((l) => l.ifname === w.name)?.ifindex, `${w.name} stays`);
    }
    const logFrom = d.log.length;
    rmSync(join(busDir, 'bus'), { force: true });
    bus = await startBus('system', busDir);
    c = client(bus.address);
    await c.waitForName();
    await converge(lab.nas, WANT, CONVERGE_MS, 'after the bus came back');
    assert.ok(d.log.slice(logFrom).some((l) => /on the system bus again as org\.flatnet\.flatnet1/.test(l)), d.log.slice(-5).join('\n'));
    assert.equal((await c.describe()).counters.writes, writesBefore, 'no write for the bus coming and going');
    figures.push('bus restart: flatnetd kept running, links kept, the name taken again with 0 writes');
  });
});
}
