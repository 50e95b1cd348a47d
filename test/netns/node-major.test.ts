// The built tree (its native addon built under the Node that ran `npm ci`)
// run by every other supported Node major, as after an `apt upgrade` that
// moved nodejs to a new major: it must start, say READY=1, heal and stop.
// A V8-API addon (NODE_MODULE_VERSION-bound) fails to load here and the
// daemon exits before READY=1.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { currentMajor, nodeRuntime, SUPPORTED_MAJORS, type NodeRuntime } from '../support/node-runtimes.js';
import { waitUntil } from '../support/wait.js';
import { readmeDropIn } from '../support/dropins.js';

const isRoot = process.getuid?.() === 0;

const CONF = readmeDropIn();

for (const major of SUPPORTED_MAJORS.filter((m) => m !== currentMajor())) {
  describe(`the built tree under Node ${major} (built and tested under Node ${currentMajor()})`, { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
    let runtime: NodeRuntime;
    let lab: Lab;
    let dir: string;
    let notify: NotifySocket;
    let daemon: DaemonProcess | undefined;

    const shimUp = async (): Promise<boolean> => {
      const r = await exec(['ip', '-n', lab.nas, '-json', 'addr', 'show', 'dev', 'docker-link']);
      return r.code === 0 && r.stdout.includes(`"local":"${LAN.shim}"`) && r.stdout.includes('"UP"');
    };

    before(async () => {
      runtime = await nodeRuntime(major);
      lab = await createLab(`fnt-${process.pid}-n${major}`);
      dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
      writeFileSync(join(dir, '10-lan.conf'), CONF);
      notify = await openNotifySocket();
    });
    after(async () => {
      await daemon?.stop('SIGKILL');
      notify?.close();
      await lab?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    test('starts and says READY=1 with the shim made, through the notify addon', async () => {
      daemon = startDaemon({ netns: lab.nas, configDirs: [dir], notifySocket: notify.path, node: runtime.node });
      const d = daemon;
      const exited = new Promise<number | null>((res) => d.proc.on('exit', (code) => res(code)));
      const ready = await Promise.race([notify.waitFor('READY=1', 30_000), exited.then((code) => `exited ${code}`)]);
      assert.equal(ready, 'READY=1', `flatnetd under ${runtime.version} did not reach READY=1; log:\n${d.log.join('\n')}`);
      // The address follows READY=1 by the ARP probe's second (flatnetd(8), A good citizen of the LAN).
      await waitUntil('the shim with its address', async () => (await shimUp()) || undefined, 10_000);
      assert.ok(d.log.some((l) => l.includes('starting')), 'it logged its start');
      assert.ok(!d.log.some((l) => l.includes('notify addon did not load')), `the addon loaded under ${runtime.version}; log:\n${d.log.join('\n')}`);
      await notify.waitFor('STATUS=1 network configured', 10_000);
      await d.waitForLog(/10-lan: probing → configured/);
    });

    test('heals a deleted shim', async () => {
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      await waitUntil('docker-link restored', async () => (await shimUp()) || false);
      await daemon?.waitForLog(/10-lan: restored/);
    });

    test('SIGTERM: STOPPING=1, exit 0, the shim stays', async () => {
      assert.equal(await daemon?.stop('SIGTERM'), 0);
      assert.ok(notify.messages.includes('STOPPING=1'), `messages: ${JSON.stringify(notify.messages)}`);
      assert.ok(await shimUp(), 'links stay when the daemon stops');
    });
  });
}

describe('the notify addon missing (a broken install): the daemon still starts, heals and stops', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let notify: NotifySocket;
  let daemon: DaemonProcess | undefined;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-nx`);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    writeFileSync(join(dir, '10-lan.conf'), CONF);
    notify = await openNotifySocket();
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('READY=1 and STOPPING=1 through systemd-notify(1), and the journal says why, once', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [dir], notifySocket: notify.path, env: { FLATNET_NOTIFY_ADDON: '/nonexistent/flatnetd_notify.node' } });
    const d = daemon;
    await notify.waitFor('READY=1', 30_000);
    // The address follows READY=1 by the ARP probe's second; a heal is counted once it is configured.
    await d.waitForLog(/10-lan: probing → configured/);
    const r = await exec(['ip', '-n', lab.nas, '-json', 'addr', 'show', 'dev', 'docker-link']);
    assert.ok(r.stdout.includes(`"local":"${LAN.shim}"`), 'the shim is there with its address');
    await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
    await d.waitForLog(/10-lan: restored/);
    assert.equal(await d.stop('SIGTERM'), 0);
    await notify.waitFor('STOPPING=1', 10_000);
    const said = d.log.filter((l) => l.includes('notify addon did not load'));
    assert.equal(said.length, 1, d.log.join('\n'));
    assert.match(said[0] ?? '', /Cannot find module '\/nonexistent\/flatnetd_notify\.node'.*systemd-notify\(1\).*NotifyAccess=all/);
  });
});
