// Load, on the real flatnetd: 100 drop-in edits in one second end in at most
// two reconciles (Describe's counters.runs) and the last edit's state; carrier
// flapping costs bounded CPU (utime+stime from /proc, flatnetd and the ip
// processes it ran) and ends right; 500 networks converge; VmRSS stays flat
// across 300 real heals (10,000 heals on the fake kernel: test/unit/daemon/memory.test.ts).
// No timing is asserted here; the figures are printed for the README.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonProcess } from '../support/daemon-process.js';
import {
  addNic, client, converge, createLab, daemon, isRoot, killAllIn, prefix, procStats, sleep, startBus, type Client, type Lab, type PrivateBus, type WantShim, teardown,
} from '../support/reliability-rig.js';

const lanText = (host: number): string => `[Network]
Name=lan
Parent=enp3s0
Subnet=192.168.88.0/24
IPRange=192.168.88.192/27
[Shim]
Name=docker-link
Address=192.168.88.${host}/32
`;
const lanWant = (host: number): WantShim => ({ network: 'lan', name: 'docker-link', parent: 'enp3s0', addrs: [`192.168.88.${host}/32`], routes: ['192.168.88.192/27'] });

const NICS = ['enp3s0', 'enp4s0', 'enp5s0', 'enp6s0'];

describe('load', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let bus: PrivateBus;
  let c: Client;
  let d: DaemonProcess | undefined;
  const figures: string[] = [];

  const start = async (): Promise<DaemonProcess> => {
    await d?.stop('SIGKILL');
    killAllIn(lab.nas);
    // Without the ARP probe: these tests count the runs a burst of edits or
    // carrier flaps cost; a new address's probe adds the run its answer starts
    // (and that run's echo), which test/unit/lan/guard.test.ts counts instead.
    const p = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: ['--no-arp-probe'], env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address }, logLevel: 'info' });
    d = p;
    await c.waitForName();
    await p.waitForLog(/ready \(/, 120_000);
    return p;
  };
  const write = (files: Record<string, string>): void => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  };
  /** counters.runs once nothing has happened for `quietMs`. */
  const settledRuns = async (quietMs = 1000): Promise<number> => {
    let last = (await c.describe()).counters.runs;
    for (let i = 0; i < 30; i++) {
      await sleep(quietMs);
      const now = (await c.describe()).counters.runs;
      if (now === last) return now;
      last = now;
    }
    throw new Error('flatnetd never went quiet');
  };

  before(async () => {
    lab = await createLab(prefix('l'), 0);
    for (const [i, n] of NICS.slice(1).entries()) await addNic(lab, n, `p-nas${i + 4}`);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    bus = await startBus('permissive');
    c = client(bus.address);
  });
  after(async () => {
    await teardown({ client: c, daemon: d, lab, bus, dirs: [dir] });
    process.stdout.write(`# load: ${figures.join('; ')}\n`);
  });

  test('100 edits of a drop-in within one second: at most 2 reconciles, ending in the last edit', async () => {
    write({ '10-lan.conf': lanText(192) });
    await start();
    await converge(lab.nas, [lanWant(192)], 5000, 'first');
    // A new link is busy for a few seconds (IPv6 DAD, the kernel's own
    // addresses and routes): each of its events is a run, none is ours to count.
    const before = await settledRuns(2500);
    const logFrom = d?.log.length ?? 0;
    const t0 = Date.now();
    for (let i = 0; i < 100; i++) {
      writeFileSync(join(dir, '10-lan.conf'), lanText(100 + i));
      await sleep(Math.max(0, t0 + (i + 1) * 9 - Date.now()));
    }
    const burstMs = Date.now() - t0;
    await converge(lab.nas, [lanWant(199)], 5000, 'the last edit');
    const runs = (await settledRuns()) - before;
    const reloads = (d?.log ?? []).slice(logFrom).filter((l) => l.includes('reloading drop-ins')).length;
    figures.push(`100 edits in ${burstMs} ms → ${reloads} reload(s), ${runs} reconcile(s)`);
    assert.ok(burstMs <= 1100, `the burst took ${burstMs} ms`);
    assert.ok(runs >= 1 && runs <= 2, `${runs} reconciles (${reloads} reloads) for a burst of 100 edits:\n${(d?.log ?? []).slice(logFrom).join('\n')}`);
  });

  test('carrier flapping: bounded CPU, coalesced reconciles, the right state at the end', async () => {
    write({ '10-lan.conf': lanText(192) });
    await converge(lab.nas, [lanWant(192)], 5000, 'before flapping');
    const pid = d?.proc.pid ?? 0;
    const runs0 = await settledRuns(500);
    const ev0 = (await c.describe()).counters.events;
    const cpu0 = procStats(pid);
    const flaps = 100;
    const t0 = Date.now();
    for (let i = 0; i < flaps; i++) {
      await lab.setCarrier(false);
      await lab.setCarrier(true);
    }
    const wall = (Date.now() - t0) / 1000;
    const cpu1 = procStats(pid);
    await converge(lab.nas, [lanWant(192)], 5000, 'after flapping');
    const settled = await settledRuns(500);
    const idle0 = procStats(pid);
    await sleep(2000);
    const idle1 = procStats(pid);
    // The state follows the parent's carrier (no-carrier while it is off). The
    // kernel's linkwatch may report the last carrier-on up to a second late,
    // after the runs above settled: the right state is the one reached then.
    const deadline = Date.now() + 5000;
    while ((await c.describe()).networks.find((n) => n.name === 'lan')?.state !== 'configured' && Date.now() < deadline) await sleep(50);
    const desc = await c.describe();
    const own = cpu1.cpu - cpu0.cpu;
    const kids = cpu1.childCpu - cpu0.childCpu;
    const idle = idle1.cpu - idle0.cpu + idle1.childCpu - idle0.childCpu;
    const runs = settled - runs0;
    const events = desc.counters.events - ev0;
    figures.push(`${flaps} carrier flaps in ${wall.toFixed(1)} s → ${events} kernel events, ${runs} reconciles, flatnetd ${own.toFixed(2)} s CPU + its ip processes ${kids.toFixed(2)} s (${(100 * (own + kids) / wall).toFixed(0)}% of one core), ${idle.toFixed(2)} s CPU in the 2 s after`);
    assert.equal(desc.networks.find((n) => n.name === 'lan')?.state, 'configured');
    assert.ok(runs <= events, `reconciles (${runs}) are coalesced events (${events})`);
    assert.ok(own + kids < wall, `CPU (${(own + kids).toFixed(2)} s) stays below one core over ${wall.toFixed(1)} s of flapping`);
    assert.ok(idle < 0.2, `idle again once the flapping stops (${idle.toFixed(2)} s CPU in 2 s)`);
  });

  test('VmRSS across 300 real heals', async () => {
    const pid = d?.proc.pid ?? 0;
    const rss: number[] = [];
    for (let i = 0; i < 300; i++) {
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      await converge(lab.nas, [lanWant(192)], 2000, `heal ${i}`);
      if (i % 25 === 24) rss.push(procStats(pid).rssKiB);
    }
    // Not exactly 300: a heal that races the observation (the link's dump
    // before the delete, its routes' after) fails a route-add first and is
    // counted as a failure and a fix (interference.test.ts has the todo).
    const restored = (await c.describe()).networks.find((n) => n.name === 'lan')?.restoreCount ?? 0;
    assert.ok(restored >= 280, `the heals are counted (${restored})`);
    const first = Math.max(...rss.slice(0, 4));
    const last = Math.max(...rss.slice(-4));
    figures.push(`300 real heals (RestoreCount ${restored}): VmRSS ${rss.map((k) => Math.round(k / 1024)).join(', ')} MiB (every 25)`);
    assert.ok(last - first < 16 * 1024, `VmRSS grew by ${Math.round((last - first) / 1024)} MiB over 300 heals`);
  });

  test('500 networks on 4 NICs converge', async () => {
    const files: Record<string, string> = {};
    const want: WantShim[] = [];
    for (let i = 0; i < 500; i++) {
      const net = `10.${100 + (i >> 8)}.${i & 255}`;
      const parent = NICS[i % NICS.length] ?? 'enp3s0';
      const name = `n${i}`;
      files[`${String(i).padStart(3, '0')}-${name}.conf`] = `[Network]\nName=${name}\nParent=${parent}\nSubnet=${net}.0/24\nIPRange=${net}.128/25\n[Shim]\nName=s${i}\nAddress=${net}.10/32\n`;
      want.push({ network: name, name: `s${i}`, parent, addrs: [`${net}.10/32`], routes: [`${net}.128/25`] });
    }
    await d?.stop('SIGTERM');
    killAllIn(lab.nas);
    write(files);
    const t0 = Date.now();
    const p = await start();
    const ready = Date.now() - t0;
    const ms = await converge(lab.nas, want, 60_000, '500 networks', 250) + ready;
    const desc = await c.describe();
    const configured = desc.networks.filter((n) => n.state === 'configured').length;
    const rss = procStats(p.proc.pid ?? 0).rssKiB;
    figures.push(`500 networks: READY=1 after ${ready} ms, kernel right after ${ms} ms, ${desc.counters.writes} kernel writes, VmRSS ${Math.round(rss / 1024)} MiB`);
    assert.equal(configured, 500);
  });
});
