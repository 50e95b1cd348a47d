// IPv6 router advertisements on the real kernel: radvd (Debian) in the lab's
// router namespace advertises a prefix. The NAS's own NIC takes its SLAAC
// address and default route as before; the shim takes neither, unless its
// drop-in says IPv6AcceptRA=yes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, nsRun, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { waitUntil } from '../support/wait.js';
import { README_LAN } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const hasRadvd = spawnSync('radvd', ['--version']).error === undefined; // radvd --version exits 1
const PREFIX = 'fd00:88:0:1::';

interface Addr6 { local: string; prefixlen: number; family: string; scope: string }
const globals6 = async (ns: string, dev: string): Promise<string[]> => {
  const r = await exec(['ip', '-n', ns, '-json', '-6', 'addr', 'show', 'dev', dev]);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const a = JSON.parse(r.stdout) as { addr_info: Addr6[] }[];
  return a.flatMap((x) => x.addr_info.filter((i) => i.family === 'inet6' && i.scope === 'global').map((i) => i.local));
};
const defaults6 = async (ns: string): Promise<string[]> => {
  const r = await exec(['ip', '-n', ns, '-json', '-6', 'route', 'show', 'default']);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { dev: string }[]).map((x) => x.dev);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('IPv6 router advertisements and the shim (radvd)', { skip: !isRoot ? 'needs root for network namespaces' : !hasRadvd ? 'needs radvd (apt-get install radvd)' : false }, () => {
  let lab: Lab, daemon: DaemonProcess | undefined, dir: string, notify: NotifySocket, radvd: ChildProcess | undefined;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-r`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-ra-'));
    mkdirSync(join(dir, 'd'));
    notify = await openNotifySocket();
    await nsRun(lab.router, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
    await nsRun(lab.router, ['ip', 'addr', 'add', `${PREFIX}1/64`, 'dev', 'eth0']);
    writeFileSync(join(dir, 'radvd.conf'), `interface eth0 {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval 4;
  prefix ${PREFIX}/64 { AdvOnLink on; AdvAutonomous on; };
};
`);
    radvd = spawn('ip', ['netns', 'exec', lab.router, 'radvd', '-n', '-C', join(dir, 'radvd.conf'), '-p', join(dir, 'radvd.pid'), '-m', 'stderr'], { stdio: 'ignore' });
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    radvd?.kill('SIGTERM');
    notify?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the parent takes its SLAAC address and default route from the router', async () => {
    await waitUntil('enp3s0 SLAAC', async () => (await globals6(lab.nas, 'enp3s0')).some((a) => a.startsWith(PREFIX.slice(0, -1))), 20_000);
    await waitUntil('default via enp3s0', async () => (await defaults6(lab.nas)).includes('enp3s0'), 20_000);
  });

  test('by default the shim takes no SLAAC address and no default route; the parent keeps both', async () => {
    writeFileSync(join(dir, 'd', '10-lan.conf'), README_LAN);
    daemon = startDaemon({ netns: lab.nas, configDirs: [join(dir, 'd')], notifySocket: notify.path });
    await notify.waitFor('READY=1');
    await waitUntil('shim', async () => (await exec(['ip', '-n', lab.nas, 'link', 'show', 'docker-link'])).code === 0);
    const ra = await exec(['ip', 'netns', 'exec', lab.nas, 'cat', '/proc/sys/net/ipv6/conf/docker-link/accept_ra']);
    assert.equal(ra.stdout.trim(), '0');
    await sleep(9000); // more than two advertisement intervals, and the shim's router solicitation
    assert.deepEqual(await globals6(lab.nas, 'docker-link'), [], 'no SLAAC address on the shim');
    assert.deepEqual(await defaults6(lab.nas), ['enp3s0'], 'one IPv6 default route, through the parent');
    assert.ok((await globals6(lab.nas, 'enp3s0')).some((a) => a.startsWith(PREFIX.slice(0, -1))), 'the parent keeps its SLAAC address');
    const parentRa = await exec(['ip', 'netns', 'exec', lab.nas, 'cat', '/proc/sys/net/ipv6/conf/enp3s0/accept_ra']);
    assert.equal(parentRa.stdout.trim(), '1', "the parent's setting is untouched");
  });

  test('IPv6AcceptRA=yes: the shim takes the router advertisements', async () => {
    writeFileSync(join(dir, 'd', '10-lan.conf'), `${README_LAN}IPv6AcceptRA=yes\n`);
    daemon?.proc.kill('SIGHUP');
    await waitUntil('shim SLAAC', async () => (await globals6(lab.nas, 'docker-link')).some((a) => a.startsWith(PREFIX.slice(0, -1))), 20_000);
    await waitUntil('default via the shim too', async () => (await defaults6(lab.nas)).includes('docker-link'), 20_000);
  });
});
