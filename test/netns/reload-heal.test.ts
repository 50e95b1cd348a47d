// A heal does not wait for a big reload (issue 12.10). With thousands of
// drop-ins a reload reads and validates for a long while; a shim deleted just
// after it began must be restored with the config in force, before the
// reload's new config is applied, and the new config must still arrive whole.
// Shown by the order of the daemon's own lines, never by a timing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { LAN_DROPIN } from '../support/dropins.js';
import { waitUntil } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;
/** Enough that reading them takes far longer than a heal (~0.3 s of parsing here, unloaded). */
const FILLERS = 3000;

describe('a heal during a big reload', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let daemon: DaemonProcess | undefined;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-r`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    // Networks whose parents never appear: read and validated on every
    // reload, waiting-for-parent, no link of their own.
    for (let i = 0; i < FILLERS; i++) writeFileSync(join(dir, `50-f${i}.conf`), `[Network]\nParent=nic${i}\n`);
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${FILLERS} drop-ins, SIGHUP, the shim deleted as the reload starts: restored before the new drop-in is read`, async () => {
    const d = startDaemon({ netns: lab.nas, configDirs: [dir] });
    daemon = d;
    await d.waitForLog(/ready \(/, 60_000);
    await waitUntil('docker-link made', async () => (await exec(['ip', '-n', lab.nas, 'link', 'show', 'docker-link'])).code === 0);
    // The reload's mark: a new drop-in whose unknown key is reported the
    // moment the new config is in hand, before it is applied.
    writeFileSync(join(dir, '99-new.conf'), '[Network]\nParent=nic-new\nMark=reload-read\n');
    const reloadsBefore = d.log.filter((l) => l === 'reloading drop-ins').length;
    d.proc.kill('SIGHUP');
    await waitUntil('the reload to start', async () => d.log.filter((l) => l === 'reloading drop-ins').length > reloadsBefore, 30_000);
    await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
    const restored = await d.waitForLog(/^lan: restored/, 60_000);
    const read = await d.waitForLog(/99-new\.conf:3: Mark=reload-read: unknown key/, 60_000);
    const at = (line: string): number => d.log.indexOf(line);
    assert.ok(at(restored) < at(read), `the heal came only after the reload's drop-ins were read; log around it:\n${d.log.slice(Math.max(0, at(read) - 5), at(read) + 5).join('\n')}\n…\n${restored}`);
    // And the reload still applies whole: the new network arrives.
    await d.waitForLog(/99-new: new → waiting-for-parent/, 60_000);
  });
});
