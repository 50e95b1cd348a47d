// `flatnetctl wait-online` against the real flatnetd on a private bus, in
// the README's namespaces: started before the daemon, it returns when the
// network named is configured; a network waiting for its parent keeps it
// waiting until the parent appears (a kernel event, no polling); the timeout
// names what was still waited for.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, FLATNETCTL, type DemoBus } from '../support/private-bus.js';

const isRoot = process.getuid?.() === 0;
const EXAMPLE = fileURLToPath(new URL('../../../etc/flatnet.d/10-lan.conf', import.meta.url));
const LATE = '[Network]\nName=late\nParent=late0\n\n[Shim]\nAddress=10.99.0.1/32\n';

interface Waiter { code: Promise<number | null>; stderr: () => string; endedAt: () => number }

function waitOnline(bus: DemoBus, args: string[]): Waiter {
  const p = spawn(process.execPath, [FLATNETCTL, 'wait-online', ...args], { env: { ...process.env, ...bus.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let ended = 0;
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = new Promise<number | null>((resolve) => p.on('exit', (c) => { ended = Date.now(); resolve(c); }));
  return { code, stderr: () => err, endedAt: () => ended };
}

describe('flatnetctl wait-online with the real flatnetd', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess | undefined, dir: string, cfg: string;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-w`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-wait-online-'));
    chmodSync(dir, 0o755);
    cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '10-lan.conf'), readFileSync(EXAMPLE, 'utf8'));
    writeFileSync(join(cfg, '20-late.conf'), LATE);
    bus = await startDemoBus(dir);
  });
  after(async () => {
    await daemon?.stop();
    bus?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('started before the daemon: returns once the named network is configured, not before', async () => {
    const lan = waitOnline(bus, ['macvlan1', '--timeout=60']);
    const all = waitOnline(bus, ['--timeout=4']);
    // Nothing to see yet: the daemon is not on the bus, and wait-online waits for it.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(lan.endedAt(), 0, 'still waiting while flatnetd is not running');
    const started = Date.now();
    daemon = startDaemon({ netns: lab.nas, configDirs: [cfg], extraArgs: [], env: bus.env });
    assert.equal(await lan.code, 0, lan.stderr());
    assert.ok(lan.endedAt() >= started);
    const shim = await lab.ipJson<{ addr_info: { local: string }[] }[]>(lab.nas, ['addr', 'show', 'dev', 'docker-link']);
    assert.ok(shim[0]?.addr_info.some((a) => a.local === '192.168.88.192'), 'the shim has its address when wait-online returns');
    // Every network: `late` has no parent, so this one times out and says why.
    assert.equal(await all.code, 1);
    assert.match(all.stderr(), /^flatnetctl: wait-online: not online after 4 s; still waiting for late \(waiting-for-parent/m);
  });

  test('a network waiting for its parent: returns when the parent appears', async () => {
    const late = waitOnline(bus, ['late', '--timeout=60']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(late.endedAt(), 0, 'waits while late0 is missing');
    await lab.nasRun(['ip', 'link', 'add', 'late0', 'type', 'veth', 'peer', 'name', 'late0p']);
    await lab.nasRun(['ip', 'link', 'set', 'late0', 'up']);
    await lab.nasRun(['ip', 'link', 'set', 'late0p', 'up']);
    assert.equal(await late.code, 0, late.stderr());
    assert.equal((await waitOnline(bus, ['--timeout=10']).code), 0, 'every network is configured now');
  });

  test('a name flatnetd does not know times out and says so', async () => {
    const nope = waitOnline(bus, ['nope', '--timeout=1']);
    assert.equal(await nope.code, 1);
    assert.match(nope.stderr(), /still waiting for nope \(no such network\)/);
  });
});
