// `flatnetctl probe` on the real kernel: two hosts (two namespaces each
// running flatnetd, each on its own private bus) on one LAN bridge, with
// overlapping IPRange=s and containers on each. Each host's scan names its
// own containers as this host's and the other's as foreign; a range larger
// than a /22 is refused until asked with --force.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, nsRun, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';
import { foreignHost, README_LAN, type ForeignHost } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;

// flatnetctl --json spells every key in PascalCase.
interface Occupant { Address: string; MACAddress: string; Owner: string; Detail: string }
interface Report { Network: string; Scanned: number; Occupants: Occupant[]; Errors: string[] }

const HOST2 = `[Network]
Parent=eth0
Subnet=${LAN.subnet}
Gateway=${LAN.gateway}
IPRange=${LAN.range}

[Shim]
Name=docker-link
Address=192.168.88.220
`;

describe('flatnetctl probe: two hosts with overlapping ranges on one LAN', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, host2: ForeignHost, dir: string;
  const buses: DemoBus[] = [];
  const daemons: DaemonProcess[] = [];

  const container = async (hostNs: string, parent: string, name: string, addr: string): Promise<void> => {
    const ns = `${lab.prefix}-${name}`;
    await exec(['ip', 'netns', 'add', ns]);
    await nsRun(hostNs, ['ip', 'link', 'add', `mv-${name}`, 'link', parent, 'type', 'macvlan', 'mode', 'bridge']);
    await nsRun(hostNs, ['ip', 'link', 'set', `mv-${name}`, 'netns', ns]);
    await nsRun(ns, ['ip', 'addr', 'add', `${addr}/24`, 'dev', `mv-${name}`]);
    await nsRun(ns, ['ip', 'link', 'set', `mv-${name}`, 'up']);
  };
  const probe = async (i: number, args: string[] = []): Promise<{ out: string; ms: number }> => {
    const t0 = performance.now();
    const bus = buses[i];
    assert.ok(bus);
    const out = await flatnetctl(bus, ['probe', ...args]);
    return { out, ms: performance.now() - t0 };
  };

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-p`, 2); // the NAS's containers: .193, .194
    host2 = await foreignHost(lab, 'host2', '192.168.88.10/24', '02:fe:00:00:00:10');
    await container(host2.ns, 'eth0', 'h2c1', '192.168.88.200');
    await container(host2.ns, 'eth0', 'h2c2', '192.168.88.201');
    dir = mkdtempSync(join(tmpdir(), 'fnt-probe-'));
    chmodSync(dir, 0o755);
    for (const [i, [ns, conf]] of ([[lab.nas, README_LAN], [host2.ns, HOST2]] as const).entries()) {
      const d = join(dir, `h${i}`);
      mkdirSync(join(d, 'd'), { recursive: true });
      chmodSync(d, 0o755);
      writeFileSync(join(d, 'd', '10-lan.conf'), conf);
      const bus = await startDemoBus(d);
      buses.push(bus);
      // Two hosts have two machine ids (the stable shim MAC comes from it): one machine here, so one is made up.
      writeFileSync(join(d, 'machine-id'), `${String(i).repeat(32)}\n`);
      const daemon = startDaemon({ netns: ns, configDirs: [join(d, 'd')], extraArgs: ['--machine-id', join(d, 'machine-id')], env: bus.env });
      daemons.push(daemon);
      await daemon.waitForLog(/on the system bus as org\.flatnet\.flatnet1/);
      await waitUntil(`host ${i} configured`, async () => { const s = await flatnetctl(bus, ['status', '10-lan']); return !s.startsWith('flatnetctl:') && /configured/.test(s); });
    }
  });
  after(async () => {
    for (const d of daemons) await d.stop('SIGKILL');
    for (const b of buses) b.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the NAS: its shim and containers are its own, host 2, its shim and containers are foreign', async () => {
    const { out, ms } = await probe(0, ['--json', '10-lan']);
    assert.doesNotMatch(out, /^flatnetctl:/, out);
    const r = JSON.parse(out) as Report;
    const by = new Map(r.Occupants.map((o) => [o.Address, o] as const));
    process.stdout.write(`# probe of a /27 and the gateway (${r.Scanned} addresses): ${ms.toFixed(0)} ms\n`);
    assert.equal(r.Scanned, 33);
    assert.equal(by.get('192.168.88.192')?.Owner, 'this-host', out);
    for (const a of ['192.168.88.193', '192.168.88.194']) assert.equal(by.get(a)?.Owner, 'this-host', `${a}: ${out}`);
    for (const a of ['192.168.88.200', '192.168.88.201', '192.168.88.220', LAN.gateway]) assert.equal(by.get(a)?.Owner, 'foreign', `${a}: ${out}`);
    assert.equal(r.Occupants.length, 7, out);
    assert.ok(ms < 8000, `a /27 took ${ms} ms`);
  });

  test('host 2: the NAS\'s shim and containers are foreign, its own are its own; the text form', async () => {
    const { out } = await probe(1, ['10-lan']);
    for (const a of ['192.168.88.192', '192.168.88.193', '192.168.88.194']) assert.match(out, new RegExp(`${a.replace(/\./g, '\\.')} +\\S+ +FOREIGN`), out);
    for (const a of ['192.168.88.200', '192.168.88.201', '192.168.88.220']) assert.match(out, new RegExp(`${a.replace(/\./g, '\\.')} +\\S+ +this host`), out);
    assert.match(out, /10-lan: 33 addresses scanned, 7 answered, 4 foreign\./);
  });

  test('a range larger than a /22 is refused unless --force (not run: 2048 addresses take over a minute)', async () => {
    const d = join(dir, 'h0', 'd', '20-big.conf');
    writeFileSync(d, `[Network]\nParent=enp3s0\nSubnet=10.77.0.0/16\nIPRange=10.77.0.0/21\n`);
    const bus = buses[0];
    assert.ok(bus);
    await waitUntil('20-big known', async () => /20-big/.test(await flatnetctl(bus, ['list'])));
    const refused = (await probe(0, ['20-big'])).out;
    assert.match(refused, /2048 addresses, more than a \/22 .*--force/);
    assert.match(await flatnetctl(bus, ['--force', 'plan']), /plan does not take --force/);
  });
});
