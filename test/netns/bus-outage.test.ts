// The links never wait for the bus. The real flatnetd (bus on, as shipped)
// starts where the system bus socket's directory does not even exist yet:
// the shim is made, READY=1 sent and heals go on; when a bus appears the
// name and the objects appear; when the bus is killed flatnetd keeps
// healing; when it is back the name and the objects are back, current, with
// an InterfacesAdded/PropertiesChanged story a bus monitor can follow; and no
// `ip` outlives the daemon.
//
// Each bus first listens under another name and is renamed into place once
// the test's monitor is on it: the daemon reacts to the socket appearing, so
// the monitor must be listening before that, or the story could be missed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, type DemoBus } from '../support/private-bus.js';
import { startProcess, type Proc } from '../support/dbus-harness.js';
import { waitUntil } from '../support/wait.js';
import { readmeDropIn } from '../support/dropins.js';

const isRoot = process.getuid?.() === 0;
const NAME = 'org.flatnet.flatnet1';
const MANAGER_PATH = '/org/flatnet/flatnet1';
const NET_PATH = '/org/flatnet/flatnet1/network/macvlan1';
const NET_IFACE = 'org.flatnet.flatnet1.Network';

const DROPIN = readmeDropIn({ name: 'macvlan1', address: `${LAN.shim}/32` });

interface Msg { type: string; sender?: string; path?: string; interface?: string; member?: string; payload?: { type: string; data: unknown[] } }

describe('flatnetd without a bus, and through a bus outage', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let runDir: string;
  let socket: string;
  let notify: NotifySocket;
  let daemon: DaemonProcess;
  let bus: DemoBus | undefined;
  const monitors: Proc[] = [];

  const shimIndex = async (): Promise<number | undefined> => {
    const r = await exec(['ip', '-n', lab.nas, '-json', 'link', 'show', 'dev', 'docker-link']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { ifindex: number }[])[0]?.ifindex : undefined;
  };
  /** Delete the shim and wait for flatnetd to put it back (a new ifindex). */
  const healed = async (): Promise<void> => {
    const before = await shimIndex();
    assert.ok(before !== undefined, 'the shim exists before the heal');
    await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
    await waitUntil('the shim back', async () => {
      const now = await shimIndex();
      return now !== undefined && now !== before ? now : undefined;
    }, 15_000);
  };
  const busctl = async (args: string[]): Promise<string> => {
    const r = await exec(['busctl', `--address=unix:path=${socket}`, ...args]);
    return (r.stdout + r.stderr).trim();
  };
  const unavailableLines = (): string[] => daemon.log.filter((l) => /D-Bus API unavailable/.test(l));

  /** A bus listening under a staging name, a monitor on it, then renamed to where flatnetd looks. */
  const busComesUp = async (): Promise<Proc> => {
    mkdirSync(runDir, { recursive: true });
    chmodSync(runDir, 0o755);
    bus = await startDemoBus(runDir, 'staging_socket');
    const mon = startProcess('busctl', [`--address=${bus.address}`, 'monitor', '--json=short']);
    monitors.push(mon);
    await mon.err.waitFor(/Monitoring bus message stream/, 0, 'busctl monitor to start');
    renameSync(join(runDir, 'staging_socket'), socket);
    return mon;
  };
  const parsed = (mon: Proc): Msg[] => mon.out.all.flatMap((l) => { try { return [JSON.parse(l) as Msg]; } catch { return []; } });
  const nextMsg = async (mon: Proc, what: string, pred: (m: Msg) => boolean): Promise<number> =>
    (await mon.out.waitFor((l) => { try { return pred(JSON.parse(l) as Msg); } catch { return false; } }, 0, what)).index;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-o`, 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-busout-'));
    chmodSync(dir, 0o755);
    const cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '10-lan.conf'), DROPIN);
    // Two levels that do not exist yet, as /run/dbus before dbus.socket ran.
    runDir = join(dir, 'run', 'dbus');
    socket = join(runDir, 'system_bus_socket');
    notify = await openNotifySocket();
    daemon = startDaemon({ netns: lab.nas, configDirs: [cfg], notifySocket: notify.path, extraArgs: [],
      env: { DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` } });
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    bus?.kill('SIGKILL');
    for (const m of monitors) await m.stop();
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with no bus at all: the shim is made, READY=1 is sent, and the journal says once why there is no API', async () => {
    await notify.waitFor('READY=1', 15_000);
    assert.ok(await shimIndex(), 'the shim exists');
    // The address follows READY=1 by the ARP probe's answer; the heals counted below start from configured.
    await daemon.waitForLog(/: probing → configured/);
    assert.equal(daemon.proc.exitCode, null, 'flatnetd is running');
    const lines = unavailableLines();
    assert.equal(lines.length, 1, daemon.log.join('\n'));
    assert.match(lines[0] ?? '', new RegExp(`no system bus socket at ${socket}.*links are still managed`));
  });

  test('with no bus: a deleted shim is healed', async () => {
    await healed();
  });

  test('a bus appears: the name is taken, the objects are current and announced', async () => {
    const mon = await busComesUp();
    await daemon.waitForLog(/on the system bus as org\.flatnet\.flatnet1/);
    const owned = await nextMsg(mon, 'NameOwnerChanged for our name', (m) => m.member === 'NameOwnerChanged' && m.payload?.data[0] === NAME && m.payload.data[2] !== '');
    const added = await nextMsg(mon, 'InterfacesAdded for macvlan1', (m) => m.member === 'InterfacesAdded' && m.payload?.data[0] === NET_PATH);
    assert.ok(added > owned, 'InterfacesAdded comes after the name is owned, so a client subscribed by name gets it');
    assert.equal(await busctl(['get-property', NAME, NET_PATH, NET_IFACE, 'State']), 's "configured"');
    assert.equal(await busctl(['get-property', NAME, NET_PATH, NET_IFACE, 'RestoreCount']), 'u 1', 'the heal done without a bus is counted');
    assert.equal(await busctl(['get-property', NAME, NET_PATH, NET_IFACE, 'ShimIfIndex']), `i ${await shimIndex()}`);
    assert.match(await busctl(['get-property', NAME, MANAGER_PATH, 'org.flatnet.flatnet1.Manager', 'State']), /^s "running"$/);
    // Set names the drop-in directory this daemon reads (--config-dir), not /etc/flatnet.d.
    const set = await busctl(['set-property', NAME, NET_PATH, NET_IFACE, 'State', 's', 'down']);
    assert.match(set, new RegExp(`State is read-only; change the drop-in in ${join(dir, 'flatnet.d')} and run flatnetctl reload`));
  });

  test('the bus is killed: flatnetd keeps running and healing, and says so once', async () => {
    const before = unavailableLines().length;
    bus?.kill('SIGKILL');
    await daemon.waitForLog(/D-Bus API unavailable: .*(closed|connection)/);
    await healed();
    await healed();
    assert.equal(daemon.proc.exitCode, null, 'flatnetd is still running');
    assert.equal(unavailableLines().length, before + 1, daemon.log.join('\n'));
  });

  test('the bus comes back: the name and the objects are back, with the heals made meanwhile', async () => {
    const mon = await busComesUp();
    const owned = await nextMsg(mon, 'NameOwnerChanged for our name', (m) => m.member === 'NameOwnerChanged' && m.payload?.data[0] === NAME && m.payload.data[2] !== '');
    const added = await nextMsg(mon, 'InterfacesAdded for macvlan1', (m) => m.member === 'InterfacesAdded' && m.payload?.data[0] === NET_PATH);
    assert.ok(added > owned);
    const msg = parsed(mon).find((m) => m.member === 'InterfacesAdded' && m.payload?.data[0] === NET_PATH);
    const props = (msg?.payload?.data[1] as Record<string, Record<string, { data: unknown }>> | undefined)?.[NET_IFACE];
    assert.equal(props?.['RestoreCount']?.data, 3, 'the InterfacesAdded carries the current properties');
    assert.equal(props?.['State']?.data, 'configured');
    const changed = await nextMsg(mon, 'the manager\'s PropertiesChanged', (m) => m.member === 'PropertiesChanged' && m.path === MANAGER_PATH);
    assert.ok(changed > owned);
    assert.equal(await busctl(['get-property', NAME, NET_PATH, NET_IFACE, 'RestoreCount']), 'u 3');
    assert.ok(daemon.log.filter((l) => /on the system bus again as/.test(l)).length >= 1);
  });

  test('SIGTERM: flatnetd exits 0 and no process it started is left in its namespace', async () => {
    const pids = async (): Promise<string[]> => (await exec(['ip', 'netns', 'pids', lab.nas])).stdout.split('\n').filter((l) => l.trim() !== '');
    const running = await pids();
    assert.ok(running.length >= 2, `flatnetd and its ip monitor run in the namespace (${running.join(' ')})`);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    await waitUntil('no process left in the namespace', async () => (await pids()).length === 0 ? true : undefined, 5000)
      .catch(async () => assert.fail(`left behind: ${(await exec(['ps', '-o', 'pid,ppid,args', '-p', (await pids()).join(',')])).stdout}`));
  });
});

describe('flatnetd with the bus up at start', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let notify: NotifySocket;
  let daemon: DaemonProcess;
  let bus: DemoBus;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-u`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-busup-'));
    chmodSync(dir, 0o755);
    const cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '10-lan.conf'), DROPIN);
    bus = await startDemoBus(dir);
    notify = await openNotifySocket();
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    bus?.kill('SIGKILL');
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the name is owned when READY=1 arrives (systemctl start, then flatnetctl, just works)', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [join(dir, 'flatnet.d')], notifySocket: notify.path, extraArgs: [], env: bus.env });
    await notify.waitFor('READY=1', 15_000);
    const r = await exec(['busctl', `--address=${bus.address}`, 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus', 'NameHasOwner', 's', NAME]);
    assert.equal(r.stdout.trim(), 'b true', daemon.log.join('\n'));
    assert.equal(daemon.log.filter((l) => /D-Bus API unavailable/.test(l)).length, 0);
  });

  test('SIGINT while on the bus: exit 0, the name released, no process left in the namespace', async () => {
    assert.equal(await daemon.stop('SIGINT'), 0);
    // A killed ip may take a moment to be gone from the process table.
    await waitUntil('no process left in the namespace', async () =>
      (await exec(['ip', 'netns', 'pids', lab.nas])).stdout.trim() === '' ? true : undefined, 5000);
    const r = await exec(['busctl', `--address=${bus.address}`, 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus', 'NameHasOwner', 's', NAME]);
    assert.equal(r.stdout.trim(), 'b false');
  });
});
