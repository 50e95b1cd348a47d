// IPv6 duplicate address detection is the kernel's (RFC 4862): a host on the
// LAN already holding the shim's IPv6 address makes the kernel mark it
// dadfailed; flatnetd reports it like a held IPv4 address, and after the host
// left, flatnetctl reconcile removes and adds it so the kernel asks again.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';
import { foreignHost, README_LAN, type ForeignHost } from '../support/lan-hosts.js';

const isRoot = process.getuid?.() === 0;
const V6 = 'fd00:88::c0';

interface Info { local: string; family: string; dadfailed?: boolean; tentative?: boolean }
const shim6 = async (ns: string): Promise<Info | undefined> => {
  const r = await exec(['ip', '-n', ns, '-json', '-6', 'addr', 'show', 'dev', 'docker-link']);
  if (r.code !== 0 || r.stdout.trim() === '') return undefined;
  return (JSON.parse(r.stdout) as { addr_info: Info[] }[]).flatMap((x) => x.addr_info).find((i) => i.local === V6);
};

describe('IPv6 DAD on a shim address another host holds', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess | undefined, dir: string, foreign: ForeignHost;
  const status = (): Promise<string> => flatnetctl(bus, ['status', '10-lan']);

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-6`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dad-'));
    chmodSync(dir, 0o755);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', '10-lan.conf'), README_LAN.replace('[Network]\n', '[Network]\nSubnet=fd00:88::/64\n').replace(/Address=.*\n/, (m) => `${m}Address=${V6}/64\n`));
    bus = await startDemoBus(dir);
    foreign = await foreignHost(lab, 'foreign6', `${V6}/64`, '02:fe:00:00:00:06');
    await waitUntil('foreign address past its own DAD', async () => {
      const r = await exec(['ip', '-n', foreign.ns, '-6', 'addr', 'show', 'dev', 'eth0']);
      return r.stdout.includes(V6) && !r.stdout.includes('tentative');
    });
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    bus?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the kernel marks it dadfailed; the network is degraded and says so', async () => {
    daemon = startDaemon({ netns: lab.nas, configDirs: [join(dir, 'd')], extraArgs: [], env: bus.env });
    await waitUntil('dadfailed', async () => (await shim6(lab.nas))?.dadfailed === true, 15_000);
    await waitUntil('reported', async () => /failed duplicate address detection/.test(await status()), 15_000);
    assert.match(await status(), /degraded/);
    await daemon.waitForLog(/10-lan: .*fd00:88::c0 failed duplicate address detection on docker-link/);
  });

  test('the host leaves; reconcile adds it again and the kernel takes it', async () => {
    await foreign.leave();
    assert.doesNotMatch(await flatnetctl(bus, ['reconcile']), /rror/);
    await waitUntil('address valid', async () => { const i = await shim6(lab.nas); return i !== undefined && i.dadfailed !== true && i.tentative !== true; }, 15_000);
    await waitUntil('configured', async () => /configured/.test(await status()) && !/failed duplicate/.test(await status()), 15_000);
  });
});
