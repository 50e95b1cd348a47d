// Manager.Plan and PlanFiles of the real flatnetd on a private bus, in a lab
// namespace: a dry run says what the loop would do, because both plan with
// the same round (plan/round.ts). Plan once skipped the kernel checks and
// listed a shim the loop refused; `flatnetctl plan PATH…` shows what a
// candidate drop-in would change before it goes live, and changes nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, exec, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, FLATNETCTL, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;
const EXAMPLE = readFileSync(fileURLToPath(new URL('../../../etc/flatnet.d/10-lan.conf', import.meta.url)), 'utf8');
const NET_PATH = '/org/flatnet/flatnet1/network/macvlan1';
const NET_IFACE = 'org.flatnet.flatnet1.Network';

interface Ran { code: number; out: string; err: string }

describe('Plan and PlanFiles of the real flatnetd', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess, dir: string, cfg: string;
  const busctl = async (args: string[]): Promise<string> => {
    const r = await exec(['busctl', `--address=${bus.address}`, ...args]);
    return (r.stdout + r.stderr).trim();
  };
  const state = async (): Promise<string> => busctl(['get-property', 'org.flatnet.flatnet1', NET_PATH, NET_IFACE, 'State']);
  const ctl = (args: string[]): Promise<Ran> => new Promise((resolve) => {
    execFile(process.execPath, [FLATNETCTL, ...args], { env: { ...process.env, ...bus.env, NO_COLOR: '1' } }, (e, out, err) => {
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, out, err });
    });
  });
  /** The kernel's links and addresses as `ip` shows them (ifindexes included): nothing may change them. */
  const kernel = async (): Promise<string> => (await exec(['ip', '-n', lab.nas, '-oneline', 'address', 'show'])).stdout;
  const writes = async (): Promise<string> => busctl(['get-property', 'org.flatnet.flatnet1', '/org/flatnet/flatnet1', 'org.flatnet.flatnet1.Manager', 'Writes']);

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-p`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-plan-'));
    chmodSync(dir, 0o755);
    cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '10-lan.conf'), EXAMPLE.replace('[Network]\n', '[Network]\nMTU=9000\n'));
    bus = await startDemoBus(dir);
    daemon = startDaemon({ netns: lab.nas, configDirs: [cfg], extraArgs: ['--settle-ms=0'], env: bus.env });
    await daemon.waitForLog(/on the system bus as org\.flatnet\.flatnet1/);
  });
  after(async () => {
    await daemon?.stop();
    bus?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('MTU=9000 on a 1500 parent: the loop refuses it with 0 writes, and Plan lists no operation, only why', async () => {
    await waitUntil('macvlan1 failed', async () => (await state()) === 's "failed"');
    assert.equal(await writes(), 't 0');
    const plan = await ctl(['plan']);
    assert.equal(plan.code, 0, plan.err);
    assert.doesNotMatch(plan.out, /create docker-link|add address/, plan.out);
    assert.match(plan.out, /macvlan1: failed: .*above the MTU of the parent enp3s0 \(1500\)/, plan.out);
    assert.match(plan.out, /Nothing to do/);
  });
});
