// RFC 5227 on the real kernel: a host already on the LAN with the shim's
// address keeps it; flatnetd names that host's MAC (journal, D-Bus,
// flatnetctl) and assigns the address only once the host has left and
// someone asks (flatnetctl reconcile). No mocks of ARP: arping, a bridge, veths.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exec, LAN } from '../support/lab.js';
import { flatnetctl } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';
import { addrs4, busLab, foreignHost, type BusLab, type ForeignHost } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const FOREIGN_MAC = '02:fe:00:00:00:01';
const NET_PATH = '/org/flatnet/flatnet1/network/_310_2dlan';


describe('a shim address another host holds (ARP probe before use)', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let rig: BusLab, foreign: ForeignHost;

  before(async () => {
    rig = await busLab('k', 1);
    foreign = await foreignHost(rig.lab, 'foreign', `${LAN.shim}/24`, FOREIGN_MAC);
  });
  after(async () => { await rig?.destroy(); });

  test('the shim is made without the address; journal, D-Bus and flatnetctl name the foreign MAC', async () => {
    const daemon = rig.start();
    await rig.notify.waitFor('READY=1');
    const line = await daemon.waitForLog(/10-lan: .*192\.168\.88\.192 is in use on the LAN by 02:fe:00:00:00:01/);
    assert.match(line, /enp3s0/);
    assert.deepEqual(await addrs4(rig.lab.nas, 'docker-link'), [], 'the shim exists without the address');
    const routes = await exec(['ip', '-n', rig.lab.nas, 'route', 'show', 'dev', 'docker-link']);
    assert.match(routes.stdout, /192\.168\.88\.192\/27/, 'the range route does not need the address and is made');
    assert.deepEqual(await addrs4(foreign.ns, 'eth0'), [`${LAN.shim}/24`], 'the foreign host keeps its address');
    const status = await flatnetctl(rig.bus, ['status', '10-lan']);
    assert.match(status, /degraded/);
    assert.match(status, /02:fe:00:00:00:01/);
    const r = await exec(['busctl', `--address=${rig.bus.address}`, 'get-property', 'org.flatnet.flatnet1', NET_PATH, 'org.flatnet.flatnet1.Network', 'LastError']);
    assert.match(r.stdout, /192\.168\.88\.192 is in use on the LAN by 02:fe:00:00:00:01/, r.stdout + r.stderr);
  });

  test('kernel events do not ask again: the address stays withheld, nothing flaps', async () => {
    const probes = rig.daemon?.log.filter((l) => /is in use on the LAN/.test(l)).length;
    // A lone kernel event (the shim's route deleted by hand) is healed without asking the LAN.
    await rig.lab.nasRun(['ip', 'route', 'del', LAN.range, 'dev', 'docker-link']);
    await waitUntil('route back', async () => (await exec(['ip', '-n', rig.lab.nas, 'route', 'show', 'dev', 'docker-link'])).stdout.includes(LAN.range));
    await new Promise((r) => setTimeout(r, 1500)); // longer than a probe's wait: one would have answered by now
    assert.deepEqual(await addrs4(rig.lab.nas, 'docker-link'), []);
    assert.equal(rig.daemon?.log.filter((l) => /is in use on the LAN/.test(l)).length, probes, 'no new warning, no probe');
  });

  test('the foreign host leaves; flatnetctl reconcile asks again and assigns the address', async () => {
    await foreign.leave();
    const out = await flatnetctl(rig.bus, ['reconcile']);
    assert.doesNotMatch(out, /rror/, out);
    await waitUntil('address assigned', async () => (await addrs4(rig.lab.nas, 'docker-link')).includes(`${LAN.shim}/32`));
    await rig.daemon?.waitForLog(/10-lan: 192\.168\.88\.192 is free on the LAN again/);
    await waitUntil('configured', async () => /configured/.test(await flatnetctl(rig.bus, ['status', '10-lan'])));
    assert.equal(await rig.lab.ping(rig.lab.router, LAN.shim), true, 'the router reaches the shim at its address');
  });
});
