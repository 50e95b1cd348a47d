// Issue 15, re-attach without history, against the real kernel and the real
// daemon: a container's macvlan interface on the lab's NIC, the fake engine
// (on a unix socket, answering as Docker 20.10) listing it on the engine
// network "lan". flatnetd is killed (SIGKILL), the NIC is replugged while it
// is down (the kernel deletes the shim and the container's interface with
// it), and a new flatnetd, which never saw the old NIC, must still find the
// container cut off and re-attach it: the fake engine makes the new interface
// as Docker's macvlan driver does, and the host pings the container again.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, nsRun, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { LAN_DROPIN } from '../support/dropins.js';
import { waitUntil } from '../support/wait.js';
import { FakeEngine, macFor } from '../fake/fake-engine.js';
import { parentMacs } from '../../src/engine/parent-macs.js';

const isRoot = process.getuid?.() === 0;
const CID = 'c1c1c1c1c1c1aaaabbbbccccddddeeeeffff0000111122223333444455556666';

describe('re-attach after flatnetd was down while the parent was re-made (issue 15)', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let engine: FakeEngine;
  let daemon: DaemonProcess | undefined;
  let made = 0;
  const c1 = { ip: '192.168.88.193', mac: macFor('192.168.88.193') };

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-er`, 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-er-'));
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    const ns = lab.containers[0]?.ns ?? '';
    // Docker's MAC for an IPv4 endpoint, as the engine lists it.
    await nsRun(ns, ['ip', 'link', 'set', 'eth0', 'address', c1.mac]);
    engine = new FakeEngine(join(dir, 'docker.sock'));
    engine.addNetwork('lan', 'netlan0000', 'enp3s0');
    engine.addContainer(CID, 'c1', 'lan', c1.ip, new Date(Date.now() - 3_600_000).toISOString());
    // What Docker's macvlan driver does on connect: a child of the parent, moved into the container.
    engine.onCall = async (c) => {
      if (c.method !== 'POST' || !c.path.endsWith('/connect')) return;
      const ip = ((c.body as { EndpointConfig?: { IPAMConfig?: { IPv4Address?: string } } }).EndpointConfig?.IPAMConfig?.IPv4Address) ?? '';
      const name = `mvx${++made}`;
      await nsRun(lab.nas, ['ip', 'link', 'add', name, 'link', 'enp3s0', 'address', macFor(ip), 'type', 'macvlan', 'mode', 'bridge']);
      await nsRun(lab.nas, ['ip', 'link', 'set', name, 'netns', ns]);
      await nsRun(ns, ['ip', 'addr', 'add', `${ip}/24`, 'dev', name]);
      await nsRun(ns, ['ip', 'link', 'set', name, 'up']);
    };
    await engine.start();
  });

  after(async () => {
    await daemon?.stop('SIGKILL');
    await engine?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (): DaemonProcess => startDaemon({ netns: lab.nas, configDirs: [dir], extraArgs: ['--no-bus', '--engine-socket', engine.socket] });
  const posts = (): string[] => engine.calls.filter((c) => c.method === 'POST').map((c) => c.path.replace(/^\/v[\d.]+/, ''));

  test('the kernel keeps a container interface\'s MAC on its parent\'s list across namespaces, and drops it with the parent', async () => {
    const list = await parentMacs('enp3s0', ['ip', 'netns', 'exec', lab.nas, 'bridge']);
    assert.ok(list?.has(c1.mac), `enp3s0's list: ${[...list ?? []].join(' ')}`);
    assert.equal(await parentMacs('nosuch0', ['ip', 'netns', 'exec', lab.nas, 'bridge']), null);
  });

  test('killed, the NIC replugged meanwhile, started again: the container is re-attached and the host reaches it', async () => {
    daemon = start();
    await daemon.waitForLog(/engine: attached to Docker/);
    await waitUntil('the host reaches c1 through the shim', () => lab.ping(lab.nas, c1.ip), 10_000);
    assert.deepEqual(posts(), [], 'nothing to re-attach while the interface is alive');

    await daemon.stop('SIGKILL');
    daemon = undefined;
    await lab.replugNic();
    const ns = lab.containers[0]?.ns ?? '';
    const left = await nsRun(ns, ['ip', '-o', 'link', 'show']);
    assert.doesNotMatch(left, /eth0/, 'the kernel took the container\'s interface with the NIC');

    const t0 = Date.now();
    daemon = start();
    await daemon.waitForLog(/lan: re-attached c1 at 192\.168\.88\.193/, 15_000);
    await waitUntil('the host reaches c1 again', () => lab.ping(lab.nas, c1.ip), 10_000);
    process.stderr.write(`  flatnetd started → c1 answers: ${Date.now() - t0} ms\n`);
    assert.deepEqual(posts(), ['/networks/netlan0000/disconnect', '/networks/netlan0000/connect']);
    const a = await exec(['ip', '-n', ns, '-o', '-4', 'addr', 'show']);
    assert.match(a.stdout, new RegExp(`inet ${c1.ip.replace(/\./g, '\\.')}/24`));
  });
});
