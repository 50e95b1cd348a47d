// A hostile LAN against the real flatnetd and the real kernel: a host that
// answers ARP for every address of the range, one that answers late, and a
// flood of gratuitous ARPs claiming the shim's address while flatnetd runs.
// The hosts speak real ARP (a local route, a packet socket in
// test/support/arp-host.py); flatnetd's side is arping, unmocked.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createLab, LAN, nsRun, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';
import { addrs4, foreignHost, README_LAN, type ForeignHost } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const ARP_HOST = fileURLToPath(new URL('../../../test/support/arp-host.py', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function arpHost(ns: string, args: string[]): { proc: ChildProcess; ready: Promise<void>; done: Promise<void> } {
  const proc = spawn('ip', ['netns', 'exec', ns, 'python3', ARP_HOST, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const ready = new Promise<void>((res) => lines.once('line', () => res()));
  const done = new Promise<void>((res) => proc.once('exit', () => res()));
  return { proc, ready, done };
}

describe('a hostile LAN (ARP)', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess | undefined, dir: string, proxy: ForeignHost;
  const started: ChildProcess[] = [];
  const stateLines = (): string[] => daemon?.log.filter((l) => /^(<\d>)?10-lan: \S+ → /.test(l)) ?? [];
  const status = (): Promise<string> => flatnetctl(bus, ['status', '10-lan']);

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-h`, 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-hostile-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', '10-lan.conf'), README_LAN);
    bus = await startDemoBus(dir);
    // Every address of the range is local to this host, so its kernel answers ARP for all of them.
    proxy = await foreignHost(lab, 'proxy', '192.168.88.50/24', '02:fe:00:00:00:02');
    await nsRun(proxy.ns, ['ip', 'route', 'add', 'local', LAN.range, 'dev', 'lo']);
  });
  after(async () => {
    for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
    await daemon?.stop('SIGKILL');
    bus?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a host answering for every address: withheld, named, and asked once per reconcile, never flapping', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [join(dir, 'd')], extraArgs: [], env: bus.env });
    // The probe is sent once the first reconcile is over (READY=1 does not wait): new → probing → degraded.
    await daemon.waitForLog(/10-lan: probing → degraded \(.*192\.168\.88\.192 is in use on the LAN by 02:fe:00:00:00:02/);
    for (let i = 0; i < 3; i++) {
      assert.doesNotMatch(await flatnetctl(bus, ['reconcile']), /rror/);
      assert.deepEqual(await addrs4(lab.nas, 'docker-link'), [], 'never assigned, not even for a moment');
    }
    const probes = daemon.log.filter((l) => l.includes('192.168.88.192 is in use on the LAN by 02:fe:00:00:00:02 (answered')).length;
    assert.equal(probes, 1, 'the detail is logged once, when the holder is first seen, not at every probe');
    assert.deepEqual(stateLines().map((l) => /10-lan: (\S+ → \S+)/.exec(l)?.[1]), ['new → probing', 'probing → degraded'], `two state lines, then no flapping:\n${stateLines().join('\n')}`);
    assert.match(await status(), /degraded/);
  });

  test('a host answering later than the probe waits: the address is assigned and stays', async () => {
    await proxy.leave();
    const late = arpHost(lab.router, ['late', 'eth0', LAN.shim, '2']);
    started.push(late.proc);
    await late.ready;
    assert.doesNotMatch(await flatnetctl(bus, ['reconcile']), /rror/);
    await waitUntil('assigned', async () => (await addrs4(lab.nas, 'docker-link')).includes(`${LAN.shim}/32`));
    await sleep(3000); // the late answer arrives meanwhile
    assert.deepEqual(await addrs4(lab.nas, 'docker-link'), [`${LAN.shim}/32`]);
    assert.match(await status(), /configured/);
    late.proc.kill('SIGTERM');
    await late.done;
  });

  test('a flood of gratuitous ARPs claiming the shim address: bounded CPU, nothing changes', async () => {
    const pid = daemon?.proc.pid;
    assert.ok(pid !== undefined);
    const lines = daemon?.log.length ?? 0;
    const cpu0 = cpuSeconds(pid);
    const flood = arpHost(lab.router, ['flood', 'eth0', LAN.shim, '50000']);
    started.push(flood.proc);
    await flood.done;
    await sleep(500);
    const cpu = cpuSeconds(pid) - cpu0;
    process.stdout.write(`# flood of 50000 gratuitous ARPs: flatnetd used ${cpu.toFixed(2)} s CPU, ${(daemon?.log.length ?? 0) - lines} log lines\n`);
    assert.ok(cpu < 0.5, `flatnetd used ${cpu} s of CPU during the flood`);
    assert.deepEqual(await addrs4(lab.nas, 'docker-link'), [`${LAN.shim}/32`], 'the address stays');
    assert.match(await status(), /configured/);
    assert.deepEqual(daemon?.log.slice(lines).filter((l) => /192\.168\.88\.192|→/.test(l)), [], 'nothing logged about the address or a state');
  });
});
