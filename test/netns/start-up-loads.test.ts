// What the daemon loads before READY=1 (issue 18: start faster). Every module
// is resolved, read and compiled (built-ins too: NODE_FLAGS' V8 flag costs
// them their code cache) before the first link is looked at, so what only a
// reload, the drop-in watch, the engines or a test needs is loaded later.
// The file list is Node's own (NODE_DEBUG=esm names every file it loads), and
// esbuild's metafile says which of our modules each file of the bundle holds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab } from '../support/lab.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { readmeDropIn } from '../support/dropins.js';
import { bundleMap } from '../support/bundle-map.js';

const isRoot = process.getuid?.() === 0;

/** Loaded after READY=1, or never on this path: reloads, the watch, the engines, the bus, the test hook. */
const NOT_BEFORE_READY: readonly RegExp[] = [
  /^node:worker_threads$/, // reloads read the drop-ins on a worker
  /\/kernel\/fault\.js$/, // the reliability tier's kill-after-k-ops hook
  /\/bus\//, // --no-bus here: nothing of the bus at all
  /dbus-next/,
  /\/watch\/config-watch\.js$/, // the watch starts after the first reconcile
  /\/engine\/attach\.js$/, // the engines are followed after READY=1
  /\/cli\//,
];

describe('start-up: only what the first reconcile and READY=1 need is loaded before READY=1', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let notify: NotifySocket;
  let daemon: DaemonProcess | undefined;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-loads`);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    writeFileSync(join(dir, '10-lan.conf'), readmeDropIn());
    notify = await openNotifySocket();
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the modules loaded before the ready line include none of the deferred ones', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [dir], notifySocket: notify.path, logLevel: 'debug', env: { NODE_DEBUG: 'esm' } });
    await notify.waitFor('READY=1', 30_000);
    const d = daemon;
    await d.waitForLog(/^(?:<\d>)?ready \(/, 10_000);
    const upTo = d.log.findIndex((l) => /^(?:<\d>)?ready \(/.test(l));
    const files = [...new Set(d.log.slice(0, upTo).flatMap((l) => {
      const m = /\bStoring (\S+)/.exec(l);
      return m?.[1] === undefined ? [] : [m[1]];
    }))];
    // A file of the bundle stands for the modules in it.
    const map = bundleMap();
    const loaded = files.flatMap((u) => {
      const inBundle = /\/dist\/bundle\/([^/]+)$/.exec(u)?.[1];
      return inBundle === undefined ? [u] : (map.modules.get(inBundle) ?? [u]).map((m) => `bundle:${m}`);
    });
    assert.ok(loaded.some((u) => u.endsWith('/reconcile/daemon.js')), `NODE_DEBUG=esm named the modules (else this test proves nothing); log:\n${d.log.slice(0, 40).join('\n')}`);
    const early = loaded.filter((u) => NOT_BEFORE_READY.some((re) => re.test(u)));
    assert.deepEqual(early, [], `loaded before READY=1 though not needed for it:\n${early.join('\n')}`);
  });

  test('once up, the daemon caps V8\'s young generation itself (node-flags.ts: not on the command line)', async () => {
    const d = daemon;
    assert.ok(d !== undefined, 'the first test started the daemon');
    await d.waitForLog(/young generation is held at its size from here \(--semi-space-growth-factor=1\)/, 10_000);
    const ready = d.log.findIndex((l) => /^(?:<\d>)?ready \(/.test(l));
    const capped = d.log.findIndex((l) => /young generation is held/.test(l));
    assert.ok(ready >= 0 && capped > ready, 'after READY=1 and what the start loads: a V8 flag set earlier costs the built-ins loaded after it their code cache');
  });
});
