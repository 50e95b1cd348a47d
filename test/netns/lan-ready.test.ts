// The ARP probe is not boot latency (issue 17): on the real kernel with real
// arping, READY=1 comes with the shim and its route while the address waits
// for the LAN's answer (the network is `probing` on D-Bus), and
// `flatnetctl wait-online` (what flatnet-wait-online.service runs) returns only
// once the address is on the shim.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../support/private-bus.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { addrs4, README_LAN } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const NET_PATH = '/org/flatnet/flatnet1/network/_310_2dlan';

describe('READY=1 does not wait for the ARP probe; wait-online does', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess | undefined, dir: string, notify: NotifySocket;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-y`, 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-lan-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', '10-lan.conf'), README_LAN);
    bus = await startDemoBus(dir);
    notify = await openNotifySocket();
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    bus?.stop();
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('at READY=1 the shim and its route are there, the address is not, the network is probing; wait-online returns with the address', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [join(dir, 'd')], notifySocket: notify.path, extraArgs: [], env: bus.env });
    await notify.waitFor('READY=1');
    const readyAt = Date.now();
    // Started at once: it must not return before the address is on the shim.
    const waited = flatnetctl(bus, ['wait-online', '--timeout=15']).then((out) => ({ out, at: Date.now() }));
    const state = await exec(['busctl', `--address=${bus.address}`, 'get-property', 'org.flatnet.flatnet1', NET_PATH, 'org.flatnet.flatnet1.Network', 'State']);
    const routes = await exec(['ip', '-n', lab.nas, 'route', 'show', 'dev', 'docker-link']);
    const atReady = await addrs4(lab.nas, 'docker-link');
    assert.match(routes.stdout, /192\.168\.88\.192\/27/, 'the range route is made before the answer');
    assert.deepEqual(atReady, [], 'the address waits for the LAN\'s answer; READY=1 did not');
    assert.match(state.stdout, /"probing"/, state.stdout + state.stderr);
    const w = await waited;
    assert.doesNotMatch(w.out, /flatnetctl:/, w.out);
    assert.deepEqual(await addrs4(lab.nas, 'docker-link'), [`${LAN.shim}/32`], 'online means the address is there');
    process.stdout.write(`# wait-online returned ${w.at - readyAt} ms after READY=1\n`);
    assert.ok(w.at - readyAt >= 500, `wait-online waited for the probe (${w.at - readyAt} ms)`);
    await daemon.waitForLog(/10-lan: probing → configured/);
  });
});
