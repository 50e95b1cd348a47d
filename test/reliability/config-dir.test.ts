// A drop-in directory of everything that can be in one: valid, invalid,
// unreadable (a FIFO, a directory, mode 000 — root reads that anyway), empty,
// binary, not UTF-8, 10 MB, symlinks inside and to a file anyone may write, dangling, looping,
// masked, and names with spaces, Unicode, a leading dash, a newline and
// bytes that are not UTF-8. The real flatnetd, at boot and again on a live
// change: the valid networks are applied, every other file is reported by
// path, nothing outside the directory is read as a drop-in, the daemon stays
// up and answers on the bus.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { DaemonProcess } from '../support/daemon-process.js';
import {
  MANAGER_PATH, client, converge, createLab, daemon, isRoot, prefix, startBus, type Client, type Lab, type PrivateBus, type WantShim, teardown,
} from '../support/reliability-rig.js';

const shim = (name: string, shimName: string, host: number): string =>
  `[Network]\nName=${name}\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shim]\nName=${shimName}\nAddress=192.168.88.${host}/32\n`;
const want = (network: string, name: string, host: number): WantShim =>
  ({ network, name, parent: 'enp3s0', addrs: [`192.168.88.${host}/32`], routes: [] });

const GOOD: [string, string, WantShim][] & { 0: [string, string, WantShim] } = [
  ['10-good.conf', shim('good', 'good-link', 200), want('good', 'good-link', 200)],
  ['my net.conf', shim('spaced', 'sp-link', 201), want('spaced', 'sp-link', 201)],
  ['ünïcödé.conf', shim('unicode', 'uni-link', 202), want('unicode', 'uni-link', 202)],
  ['-dash.conf', shim('dash', 'dash-link', 203), want('dash', 'dash-link', 203)],
  ['new\nline.conf', `${shim('newline', 'nl-link', 204)}X-Note=a warning, so this path is shown too\n`, want('newline', 'nl-link', 204)],
  ['23-mode000.conf', shim('mode000', 'm0-link', 205), want('mode000', 'm0-link', 205)],
];
const INSIDE = want('inside', 'in-link', 206);

/** Every file that is not a valid drop-in, and what the log must say about it. */
const BAD: [string, RegExp][] = [
  ['20-invalid.conf', /20-invalid\.conf:3: VLAN=5000: must be 1\.\.4094/],
  ['21-fifo.conf', /21-fifo\.conf: not a regular file, skipped/],
  ['22-dir.conf', /22-dir\.conf: not a regular file, skipped/],
  ['24-empty.conf', /24-empty\.conf: no \[Network\] section/],
  ['25-binary.conf', /25-binary\.conf: binary file \(NUL byte at offset \d+\)/],
  ['26-huge.conf', /26-huge\.conf: larger than 1 MiB \(10485760 bytes\)/],
  ['27-outside.conf', /27-outside\.conf: symlink to \/.+\/evil\.conf, not trusted \(\/.+\/evil\.conf is writable by others\): skipped/],
  ['28-dangling.conf', /28-dangling\.conf: broken symlink: no such file or directory/],
  ['30-loop.conf', /30-loop\.conf: broken symlink: too many levels of symbolic links/],
  ['31-latin1.conf', /31-latin1\.conf: not valid UTF-8 text/],
  ['32-xml.conf', /32-xml\.conf:11: … and \d+ more lines with syntax errors/],
];

describe('a drop-in directory of everything', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let outside: string;
  let bus: PrivateBus;
  let c: Client;
  let d: DaemonProcess;

  const fill = (): void => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    for (const [f, text] of GOOD) writeFileSync(join(dir, f), text);
    chmodSync(join(dir, '23-mode000.conf'), 0o000);
    writeFileSync(join(dir, '20-invalid.conf'), '[Network]\nParent=enp3s0\nVLAN=5000\n');
    execFileSync('mkfifo', [join(dir, '21-fifo.conf')]);
    mkdirSync(join(dir, '22-dir.conf'));
    writeFileSync(join(dir, '24-empty.conf'), '');
    writeFileSync(join(dir, '25-binary.conf'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe, 0x5b, 0x4e, 0x65, 0x74]));
    writeFileSync(join(dir, '26-huge.conf'), Buffer.alloc(10 * 1024 * 1024, 0x23));
    // Symlinks are followed anywhere (as systemd does), but not to a file anyone may write.
    writeFileSync(join(outside, 'evil.conf'), shim('evil', 'evil-link', 250));
    chmodSync(join(outside, 'evil.conf'), 0o666);
    symlinkSync(join(outside, 'evil.conf'), join(dir, '27-outside.conf'));
    symlinkSync(join(dir, 'nowhere.conf.txt'), join(dir, '28-dangling.conf'));
    symlinkSync('/dev/null', join(dir, '29-masked.conf'));
    symlinkSync(join(dir, '30-loop.conf'), join(dir, '30-loop.conf'));
    writeFileSync(join(dir, '31-latin1.conf'), Buffer.from('[Network]\nName=caf\xe9\n', 'latin1'));
    writeFileSync(join(dir, '32-xml.conf'), `<?xml version="1.0"?>\n<busconfig>\n${'  <policy user="root"/>\n'.repeat(18)}</busconfig>\n`);
    writeFileSync(join(dir, 'sub', 'inside.txt'), shim('inside', 'in-link', 206));
    symlinkSync(join(dir, 'sub', 'inside.txt'), join(dir, '15-inside.conf'));
    writeFileSync(join(dir, '.hidden.conf'), shim('hidden', 'hid-link', 240));
    writeFileSync(join(dir, '40-good.conf.swp'), shim('swap', 'swp-link', 241));
    writeFileSync(join(dir, 'README'), 'not a drop-in\n');
    // A name that is not UTF-8 is named as such, with its bytes escaped.
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/33-`), Buffer.from([0xff, 0xfe]), Buffer.from('.conf')]), shim('bytes', 'by-link', 242));
  };

  const checkAll = async (what: string): Promise<void> => {
    await converge(lab.nas, [...GOOD.map((g) => g[2]), INSIDE], 5000, what);
    for (const [f, re] of BAD) assert.ok(d.log.some((l) => re.test(l) && l.includes(dir)), `${what}: ${f} reported: ${re}\n${d.log.join('\n')}`);
    assert.ok(d.log.some((l) => l.includes(`${dir}/33-\\xff\\xfe.conf: the file name is not valid UTF-8 (shown with \\x escapes): skipped; rename it`)), `${what}: the non-UTF-8 name is reported`);
    assert.equal(d.proc.exitCode, null, `${what}: still running`);
    // The kernel can be right before the status of the run that made it is published.
    const t0 = Date.now();
    let desc = await c.describe();
    while (Date.now() - t0 < 5000 && ![...GOOD.map((g) => g[2].network), 'inside'].every((n) => desc.networks.some((x) => x.name === n && x.state === 'configured'))) {
      await new Promise((r) => setTimeout(r, 50));
      desc = await c.describe();
    }
    const states = Object.fromEntries(desc.networks.map((n) => [n.name, n.state]));
    for (const [, , w] of GOOD) assert.equal(states[w.network], 'configured', `${what}: ${w.network}: ${JSON.stringify(desc.networks)}`);
    assert.equal(states['inside'], 'configured');
    for (const n of ['evil', 'hidden', 'swap', 'bytes']) assert.ok(!(n in states) || states[n] !== 'configured', `${what}: ${n} is not applied`);
    assert.ok(desc.diagnostics.some((x) => x.file === `${dir}/new\nline.conf` && x.line === 8), `a path with a newline goes over the bus intact: ${JSON.stringify(desc.diagnostics.map((x) => [x.file, x.line]))}`);
    const objects = await c.call(MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects');
    assert.ok(Object.keys(objects.body[0] as object).length >= GOOD.length + 1, 'every network is on the bus');
  };

  before(async () => {
    lab = await createLab(prefix('c'), 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    outside = mkdtempSync(join(tmpdir(), 'fnt-outside-'));
    bus = await startBus('permissive');
    c = client(bus.address);
  });
  after(async () => {
    await teardown({ client: c, daemon: d, lab, bus, dirs: [dir, outside] });
  });

  test('at boot: the valid networks applied, every other file reported, the daemon up', async () => {
    fill();
    d = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: [], env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await c.waitForName();
    await checkAll('boot');
    assert.ok(!d.log.some((l) => l.includes('evil-link') || l.includes('hid-link') || l.includes('swp-link')), 'nothing from outside, hidden or swap files');
  });

  test('the same mess arriving live, on top of a running daemon', async () => {
    await d.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, '10-good.conf'), shim('good', 'good-link', 200));
    d = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: [], env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address } });
    await c.waitForName();
    await d.waitForLog(/ready \(/);
    await converge(lab.nas, [GOOD[0][2]], 5000, 'only the good network left');
    rmSync(join(dir, '10-good.conf'));
    fill();
    await checkAll('live');
  });
});
