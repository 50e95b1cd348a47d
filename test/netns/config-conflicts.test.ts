// What `check` cannot see and the daemon must say (issue 12.8), with the real
// daemon and kernel: a shim address that is the host's own address on the
// parent, and two drop-ins routing one prefix, each reported with path:line,
// and neither given to the kernel.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';

const isRoot = process.getuid?.() === 0;

describe('drop-ins the kernel would take but should not', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  const dirs: string[] = [];
  let daemon: DaemonProcess | undefined;

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-k`, 0);
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    await lab?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const addressesOf = async (dev: string): Promise<string> => (await exec(['ip', '-n', lab.nas, '-o', 'addr', 'show', 'dev', dev])).stdout;

  test('a shim Address= equal to the host\'s own address on the parent: failed, with the drop-in\'s path:line; the address is not given to a shim', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    dirs.push(dir);
    const file = join(dir, '10-lan.conf');
    const hostIp = LAN.host.split('/')[0] ?? '';
    writeFileSync(file, `[Network]\nName=lan\nParent=enp3s0\nSubnet=${LAN.subnet}\nIPRange=${LAN.range}\n[Shim]\nName=docker-link\nAddress=${hostIp}/32\n`);
    const d = startDaemon({ netns: lab.nas, configDirs: [dir] });
    try {
      const line = await d.waitForLog(/lan: new → /);
      assert.match(line, new RegExp(`lan: new → failed \\(${file}:8: Address=${hostIp}/32: ${hostIp} is enp3s0's own address \\(${LAN.host}\\)`), d.log.join('\n'));
      assert.doesNotMatch(await addressesOf('docker-link'), new RegExp(hostIp.replace(/\./g, '\\.')), 'no shim holds the host\'s address');
    } finally {
      await d.stop('SIGKILL');
    }
  });

  test('two drop-ins routing one prefix: the later is rejected with path:line on both sides; the earlier is configured', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    dirs.push(dir);
    const [a, b] = [join(dir, '10-a.conf'), join(dir, '20-b.conf')];
    const body = (shim: string, addr: string): string =>
      `[Network]\nParent=enp3s0\nSubnet=${LAN.subnet}\nIPRange=${LAN.range}\n[Shim]\nName=${shim}\nAddress=${addr}/32\n`;
    writeFileSync(a, body('shim-a', '192.168.88.190'));
    writeFileSync(b, body('shim-b', '192.168.88.191'));
    daemon = startDaemon({ netns: lab.nas, configDirs: [dir] });
    await daemon.waitForLog(/ready \(/);
    // 10-a's address follows READY=1 by the ARP probe's answer.
    await daemon.waitForLog(/10-a: (new|probing) → configured/);
    const log = daemon.log.join('\n');
    assert.match(log, new RegExp(`${b}:4: IPRange=${LAN.range}: ${LAN.range} is already routed through shim "shim-a" \\(IPRange= at ${a}:4\\)`), log);
    assert.match(log, /10-a: (new|probing) → configured/, log);
    assert.doesNotMatch(log, /10-b: new → (configured|failed)/, log);
    const b2 = await exec(['ip', '-n', lab.nas, 'link', 'show', 'shim-b']);
    assert.notEqual(b2.code, 0, 'no shim-b was made');
  });
});
