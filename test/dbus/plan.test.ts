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

/** What makes the README's network from nothing: the ops a plan lists for it. */
const MAKE_MACVLAN1 = [
  'create docker-link (macvlan bridge on enp3s0) for macvlan1: missing',
  'set docker-link up true for macvlan1: new',
  'add address 192.168.88.192/32 to docker-link for macvlan1: new link',
  'add route 192.168.88.192/27 dev docker-link for macvlan1: missing',
];

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
  /** The kernel's links, addresses and routes as `ip` shows them (ifindexes included): a dry run changes none. */
  const kernel = async (): Promise<string> => {
    const show = async (what: string[]): Promise<string> => (await exec(['ip', '-n', lab.nas, '-d', '-oneline', ...what])).stdout;
    // IPv4 only: a new link's IPv6 link-local address leaves DAD on the kernel's own time.
    return [await show(['link', 'show']), await show(['-4', 'address', 'show']), await show(['-4', 'route', 'show', 'table', 'all'])].join('\n');
  };
  /** Runs `flatnetctl plan` on candidate files written to a directory of their own; the kernel and the daemon's writes must stay as they were. */
  const planFiles = async (files: Record<string, string>): Promise<Ran> => {
    const at = mkdtempSync(join(dir, 'candidates-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text);
    const [k0, w0] = [await kernel(), await writes()];
    const r = await ctl(['plan', ...Object.keys(files).map((n) => join(at, n))]);
    assert.equal(await kernel(), k0, 'a dry run changed the kernel');
    assert.equal(await writes(), w0, 'a dry run wrote to the kernel');
    return { ...r, out: r.out.replaceAll(at, 'CANDIDATES'), err: r.err.replaceAll(at, 'CANDIDATES') };
  };
  const ops = (out: string): string[] => out.split('\n\n')[0]?.split('\n').filter((l) => l !== '') ?? [];
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

  test('plan PATH: the edit that fixes the MTU shows exactly the ops that would make the network, and applies none', async () => {
    const r = await planFiles({ '10-lan.conf': EXAMPLE });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.deepEqual(ops(r.out), MAKE_MACVLAN1, r.out);
    assert.match(r.out, /4 operations planned, none applied \(the drop-ins are not installed\)\./);
    assert.equal(await state(), 's "failed"', 'the running daemon still has the MTU=9000 drop-in');
  });

  test('plan DIR: a directory stands for its drop-ins (the same ops as naming the file); one with none is refused by name', async () => {
    const at = mkdtempSync(join(dir, 'candidate-dir-'));
    writeFileSync(join(at, '10-lan.conf'), EXAMPLE);
    writeFileSync(join(at, 'README'), 'not a drop-in');
    const r = await ctl(['plan', at]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(ops(r.out), MAKE_MACVLAN1, r.out);
    const empty = mkdtempSync(join(dir, 'empty-dir-'));
    const e = await ctl(['plan', empty]);
    assert.equal(e.code, 1);
    assert.equal(e.err.trim(), `${empty}: a directory with no drop-in in it (flatnetctl plan takes drop-in files, or directories of *.conf)`);
    assert.doesNotMatch(e.err, /EISDIR/);
  });

  test('plan PATH on a running network: an Adress= typo shows the address removal and the line, exit 1; an edit shows exactly its ops', async () => {
    writeFileSync(join(cfg, '10-lan.conf'), EXAMPLE);
    assert.equal((await ctl(['reload'])).code, 0);
    await waitUntil('macvlan1 configured', async () => (await state()) === 's "configured"');
    const line = EXAMPLE.split('\n').findIndex((l) => l.startsWith('Address=')) + 1;

    const typo = await planFiles({ '10-lan.conf': EXAMPLE.replace('\nAddress=', '\nAdress=') });
    assert.equal(typo.code, 1, 'an ignored key fails, as check does');
    assert.match(typo.err, new RegExp(`^warning: CANDIDATES/10-lan\\.conf:${line}: .*Adress.*did you mean Address=`, 'm'), typo.err);
    assert.deepEqual(ops(typo.out), ['remove address 192.168.88.192/32 from docker-link for macvlan1: not in the drop-in'], typo.out);

    const edit = await planFiles({ '10-lan.conf': EXAMPLE.replace('Address=192.168.88.192/32', 'Address=192.168.88.193/32') });
    assert.equal(edit.code, 0, edit.err);
    assert.deepEqual(ops(edit.out), [
      'add address 192.168.88.193/32 to docker-link for macvlan1: missing',
      'remove address 192.168.88.192/32 from docker-link for macvlan1: not in the drop-in',
    ], edit.out);

    const same = await planFiles({ '10-lan.conf': EXAMPLE });
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /^Nothing to do: the kernel already is as these drop-ins say\.$/m);
  });

  test('plan PATH with a broken new drop-in: its errors at path:line, exit 1; the running network is untouched by the plan', async () => {
    const other = EXAMPLE.replace('Name=macvlan1', 'Name=other').replace('Name=docker-link', 'Name=other-link')
      .replace('[Network]\n', '[Network]\nVLAN=5000\n');
    const r = await planFiles({ '20-other.conf': other });
    assert.equal(r.code, 1);
    assert.match(r.err, /^error: CANDIDATES\/20-other\.conf:\d+: VLAN=5000: must be 1\.\.4094$/m, r.err);
    assert.doesNotMatch(r.out, /docker-link/, 'macvlan1 is as its drop-in says');
    assert.match(r.out, /^other: invalid: /m, r.out);
  });
});

