// Issue 12, items 1 and 4, against the real kernel with the real daemon:
// renaming the shim of the README's drop-in (the kernel refuses a second up
// macvlan with the same MAC on a parent: the new shim used to stay down and
// the host lost its containers), and adopting the README recipe's hand-made
// docker-link, whose MAC the daemon used to replace while a container was
// talking to the host (86% of its pings lost).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { LAN_DROPIN } from '../support/dropins.js';
import { waitUntil } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;

interface IpLink { ifindex: number; ifname: string; address: string; ifalias?: string; flags: string[] }
interface IpRoute { dst: string; protocol?: string }
interface IpNeigh { dst: string; lladdr?: string; state?: string[] }

describe('shim MACs: a renamed shim, an adopted one (issue 12)', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let daemon: DaemonProcess | undefined;
  const c1 = '192.168.88.193';

  const links = async (): Promise<IpLink[]> => lab.ipJson<IpLink[]>(lab.nas, ['link', 'show']);
  const macvlans = async (): Promise<string[]> => {
    const all = await lab.ipJson<(IpLink & { linkinfo?: { info_kind?: string } })[]>(lab.nas, ['-details', 'link', 'show']);
    return all.filter((l) => l.linkinfo?.info_kind === 'macvlan').map((l) => l.ifname).sort();
  };
  /** The shim up, with the README's address and a route to the range. */
  const complete = async (name: string): Promise<IpLink | undefined> => {
    const l = (await links()).find((x) => x.ifname === name);
    if (l === undefined || !l.flags.includes('UP')) return undefined;
    const a = await exec(['ip', '-n', lab.nas, '-4', 'addr', 'show', 'dev', name]);
    if (!a.stdout.includes(`${LAN.shim}/32`)) return undefined;
    const rs = await lab.ipJson<IpRoute[]>(lab.nas, ['route', 'show', 'dev', name]);
    return rs.some((r) => r.dst === LAN.range) ? l : undefined;
  };
  const stop = async (): Promise<void> => {
    await daemon?.stop();
    daemon = undefined;
  };
  /** One daemon at a time: a test that failed half-way leaves none running for the next. */
  const start = async (): Promise<DaemonProcess> => {
    await stop();
    daemon = startDaemon({ netns: lab.nas, configDirs: [dir] });
    return daemon;
  };
  const wipeShims = async (): Promise<void> => {
    for (const n of await macvlans()) await exec(['ip', '-n', lab.nas, 'link', 'del', n]);
  };
  /** The container's ARP entry for the host's shim address. */
  const containerNeigh = async (ns: string): Promise<string | undefined> => {
    const n = await lab.ipJson<IpNeigh[]>(ns, ['neigh', 'show', LAN.shim]);
    return n[0]?.lladdr;
  };
  /** `ping -i 0.05` from `ns` to `to` (default: the shim's address) for `seconds`: packets sent and received. */
  const pingRun = (ns: string, seconds: number, to = LAN.shim): Promise<{ sent: number; received: number; out: string }> => new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-q', '-i', '0.05', '-w', String(seconds), to], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    p.on('error', reject);
    p.on('exit', () => {
      const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
      if (m === null) reject(new Error(`no ping summary: ${out}`));
      else resolve({ sent: Number(m[1]), received: Number(m[2]), out });
    });
  });

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-m`);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test("[Shim] Name=docker-link → docker-link2 in the README's drop-in: the new shim is up with the old one's MAC, the old one is gone, the host reaches .193", async () => {
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    const d = await start();
    const first = await waitUntil('docker-link made', () => complete('docker-link'), 15_000);
    assert.equal(await lab.ping(lab.nas, c1), true, 'host → container through docker-link');
    // The host pings its container all through the rename: the gap is the
    // time between deleting docker-link and docker-link2 getting its route.
    const pings = pingRun(lab.nas, 4, c1);
    await new Promise((r) => setTimeout(r, 500));
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN.replace('Name=docker-link', 'Name=docker-link2'));
    const renamed = await waitUntil('docker-link2 up with address and route', () => complete('docker-link2'), 15_000)
      .catch((e: unknown) => { throw new Error(`${String(e)}\nlog:\n${d.log.join('\n')}`); });
    await waitUntil('docker-link gone', async () => (await links()).every((l) => l.ifname !== 'docker-link'));
    assert.deepEqual(await macvlans(), ['docker-link2']);
    assert.equal(renamed.address, first.address, 'the renamed shim keeps the MAC the LAN knows');
    assert.equal(renamed.ifalias, 'flatnet:lan');
    assert.equal(await lab.ping(lab.nas, c1), true, 'host → container through docker-link2');
    assert.ok(!d.log.some((l) => l.includes('Address already in use')), d.log.join('\n'));
    const { sent, received, out } = await pings;
    process.stdout.write(`# host → container during the rename: ${sent - received} of ${sent} pings (every 50 ms) lost\n`);
    assert.ok(sent >= 40, `ping ran (${out})`);
    // One ping may fall into the few milliseconds between the two links.
    assert.ok(sent - received <= 1, `the host lost ${sent - received} of ${sent} pings to its container during the rename`);
    // And back again, then a restart changes nothing.
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    const back = await waitUntil('docker-link back', () => complete('docker-link'), 15_000);
    await waitUntil('docker-link2 gone', async () => (await macvlans()).join() === 'docker-link');
    assert.equal(back.address, first.address);
    await stop();
    const again = await start();
    await again.waitForLog(/ready \(/);
    assert.equal((await complete('docker-link'))?.ifindex, back.ifindex, 'a restart leaves the shim alone');
    assert.equal(await lab.ping(lab.nas, c1), true);
    await stop();
  });

  test("adopting the README recipe's hand-made docker-link keeps its MAC: a container pinging the host loses nothing, its ARP entry stays right, and a restart keeps it too", async () => {
    await stop();
    await wipeShims();
    // The README's recipe, by hand: the kernel picks a random MAC.
    await lab.nasRun(['ip', 'link', 'add', 'docker-link', 'link', 'enp3s0', 'type', 'macvlan', 'mode', 'bridge']);
    await lab.nasRun(['ip', 'addr', 'add', `${LAN.shim}/32`, 'dev', 'docker-link']);
    await lab.nasRun(['ip', 'link', 'set', 'docker-link', 'up']);
    await lab.nasRun(['ip', 'route', 'add', LAN.range, 'dev', 'docker-link']);
    const hand = await waitUntil('hand-made docker-link', () => complete('docker-link'));
    const c = lab.containers[0];
    assert.ok(c !== undefined);
    // The previous test's shim had another MAC at this address.
    await exec(['ip', '-n', c.ns, 'neigh', 'flush', 'all']);
    assert.equal(await lab.ping(c.ns, LAN.shim), true, 'container → host through the hand-made shim');
    assert.equal(await containerNeigh(c.ns), hand.address);

    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    const pings = pingRun(c.ns, 4);
    await new Promise((r) => setTimeout(r, 500));
    const d = await start();
    await d.waitForLog(/ready \(/);
    const adopted = await waitUntil('docker-link adopted', async () => {
      const l = await complete('docker-link');
      return l?.ifalias === 'flatnet:lan' ? l : undefined;
    });
    const { sent, received, out } = await pings;
    assert.ok(sent >= 40, `ping ran (${out})`);
    assert.equal(received, sent, `the container lost ${sent - received} of ${sent} pings to the host during the adoption`);
    assert.equal(adopted.ifindex, hand.ifindex, 'adopted in place');
    assert.equal(adopted.address, hand.address, `the MAC is kept; log:\n${d.log.join('\n')}`);
    assert.equal(await containerNeigh(c.ns), hand.address, "the container's ARP entry for the host is still right");
    assert.ok(!d.log.some((l) => /set docker-link .*mac/.test(l)), d.log.join('\n'));

    // The next start finds an owned link with a MAC that is not the stable one: it keeps it.
    await stop();
    const next = await start();
    await next.waitForLog(/ready \(/);
    assert.equal((await complete('docker-link'))?.address, hand.address, `a restart keeps the adopted MAC; log:\n${next.log.join('\n')}`);
    await stop();
  });
  test('MACAddress= set on a running shim: the MAC changes in place and a gratuitous ARP updates the container\'s entry at once', async () => {
    await stop();
    await wipeShims();
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
    const d = await start();
    const before = await waitUntil('docker-link made', () => complete('docker-link'), 15_000);
    const c = lab.containers[0];
    assert.ok(c !== undefined);
    await exec(['ip', '-n', c.ns, 'neigh', 'flush', 'all']);
    assert.equal(await lab.ping(c.ns, LAN.shim), true);
    assert.equal(await containerNeigh(c.ns), before.address);
    const mac = '02:42:c0:a8:58:c0';
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN.replace('[Shim]\n', `[Shim]\nMACAddress=${mac}\n`));
    const after = await waitUntil('docker-link with the new MAC', async () => {
      const l = await complete('docker-link');
      return l?.address === mac ? l : undefined;
    }, 15_000);
    assert.equal(after.ifindex, before.ifindex, 'changed in place');
    // Without an announcement the container's entry stays on the old MAC
    // until it goes stale (tens of seconds); the ARP takes about a second to go out.
    await waitUntil("the container's ARP entry for the host on the new MAC", async () => (await containerNeigh(c.ns)) === mac, 5_000)
      .catch(async (e: unknown) => { throw new Error(`${String(e)}: still ${String(await containerNeigh(c.ns))}\nlog:\n${d.log.join('\n')}`); });
    await d.waitForLog(new RegExp(`announced ${LAN.shim.replaceAll('.', '\\.')} on docker-link`), 5_000);
    assert.equal(await lab.ping(c.ns, LAN.shim), true);
    await stop();
  });
});
