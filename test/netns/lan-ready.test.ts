// The ARP probe is not boot latency (issue 17): on the real kernel with real
// arping, READY=1 comes with the shim and its route while the address waits
// for the LAN's answer (the network is `probing` on D-Bus), and
// `flatnetctl wait-online` (what flatnet-wait-online.service runs) returns only
// once the address is on the shim.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exec, LAN } from '../support/lab.js';
import { flatnetctl } from '../support/private-bus.js';
import { addrs4, busLab, type BusLab } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const NET_PATH = '/org/flatnet/flatnet1/network/_310_2dlan';

describe('READY=1 does not wait for the ARP probe; wait-online does', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let rig: BusLab;

  before(async () => { rig = await busLab('y', 1); });
  after(async () => { await rig?.destroy(); });

  test('at READY=1 the shim and its route are there, the address is not, the network is probing; wait-online returns with the address', async () => {
    const daemon = rig.start();
    await rig.notify.waitFor('READY=1');
    const readyAt = Date.now();
    // Started at once: it must not return before the address is on the shim.
    const waited = flatnetctl(rig.bus, ['wait-online', '--timeout=15']).then((out) => ({ out, at: Date.now() }));
    const state = await exec(['busctl', `--address=${rig.bus.address}`, 'get-property', 'org.flatnet.flatnet1', NET_PATH, 'org.flatnet.flatnet1.Network', 'State']);
    const routes = await exec(['ip', '-n', rig.lab.nas, 'route', 'show', 'dev', 'docker-link']);
    const atReady = await addrs4(rig.lab.nas, 'docker-link');
    assert.match(routes.stdout, /192\.168\.88\.192\/27/, 'the range route is made before the answer');
    assert.deepEqual(atReady, [], 'the address waits for the LAN\'s answer; READY=1 did not');
    assert.match(state.stdout, /"probing"/, state.stdout + state.stderr);
    const w = await waited;
    assert.doesNotMatch(w.out, /flatnetctl:/, w.out);
    assert.deepEqual(await addrs4(rig.lab.nas, 'docker-link'), [`${LAN.shim}/32`], 'online means the address is there');
    process.stdout.write(`# wait-online returned ${w.at - readyAt} ms after READY=1\n`);
    assert.ok(w.at - readyAt >= 500, `wait-online waited for the probe (${w.at - readyAt} ms)`);
    await daemon.waitForLog(/10-lan: probing → configured/);
  });
});
