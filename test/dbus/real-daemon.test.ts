// The real flatnetd on a private bus that loads our policy file, running in
// the README's namespaces: what `busctl` and `flatnetctl` show must be what the
// kernel has, mutations by anyone but root are refused, heals are signalled.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createLab, exec, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, FLATNETCTL, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;
const EXAMPLE = fileURLToPath(new URL('../../../etc/flatnet.d/10-lan.conf', import.meta.url));
const NET_PATH = '/org/flatnet/flatnet1/network/macvlan1';
const NET_IFACE = 'org.flatnet.flatnet1.Network';
const MGR = ['/org/flatnet/flatnet1', 'org.flatnet.flatnet1.Manager'];
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

describe('the real flatnetd on a bus with our policy', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab, bus: DemoBus, daemon: DaemonProcess, dir: string;
  const busctl = async (args: string[], as: string[] = []): Promise<{ code: number; out: string }> => {
    const r = await exec([...as, 'busctl', `--address=${bus.address}`, ...args]);
    return { code: r.code, out: (r.stdout + r.stderr).trim() };
  };
  const prop = async (name: string): Promise<string> => (await busctl(['get-property', 'org.flatnet.flatnet1', NET_PATH, NET_IFACE, name])).out;
  const shimIndex = async (): Promise<number | undefined> => {
    const r = await exec(['ip', '-n', lab.nas, '-json', 'link', 'show', 'dev', 'docker-link']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { ifindex: number }[])[0]?.ifindex : undefined;
  };

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-b`, 1);
    dir = mkdtempSync(join(tmpdir(), 'fnt-realbus-'));
    chmodSync(dir, 0o755); // nobody must reach the bus socket
    const cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, '10-lan.conf'), readFileSync(EXAMPLE, 'utf8'));
    bus = await startDemoBus(dir);
    daemon = startDaemon({ netns: lab.nas, configDirs: [cfg], extraArgs: [], env: bus.env });
    await daemon.waitForLog(/on the system bus as org\.flatnet\.flatnet1/);
    await waitUntil('macvlan1 configured on the bus', async () => (await prop('State')) === 's "configured"');
  });
  after(async () => {
    await daemon?.stop();
    bus?.stop();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('busctl tree shows the manager and one object per network', async () => {
    const { out } = await busctl(['tree', 'org.flatnet.flatnet1']);
    assert.match(out, /\/org\/flatnet\/flatnet1\b/);
    assert.match(out, /\/org\/flatnet\/flatnet1\/network\/macvlan1/);
  });

  test('properties say what the kernel has', async () => {
    assert.equal(await prop('ShimIfIndex'), `i ${await shimIndex()}`);
    assert.equal(await prop('Shim'), 's "docker-link"');
    assert.equal(await prop('Parent'), 's "enp3s0"');
    assert.equal(await prop('Carrier'), 'b true');
    assert.match(await prop('Addresses'), /^as 1 "192\.168\.88\.192\/32"$/);
    assert.match((await busctl(['get-property', 'org.flatnet.flatnet1', ...MGR, 'State'])).out, /^s "running"$/);
  });

  test('DockerArgs returns the matching docker network create argv', async () => {
    const { out } = await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'DockerArgs', 's', 'macvlan1']);
    assert.match(out, /"--aux-address=host=192\.168\.88\.192"/);
    assert.match(out, /"parent=enp3s0"/);
  });

  // nobody cannot run a Node unpacked under root's home (the Node matrix's,
  // scripts/run-tests.mjs): the system's node runs flatnetctl for it then; the
  // daemon asked is still the one under test.
  const NODE_FOR_NOBODY = process.execPath.startsWith(`${homedir()}/`) && existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;

  test('podman-args, cni-config, router-hints: any user may ask; the answers come from the drop-in in use', async () => {
    const as = async (args: string[]): Promise<{ code: number; out: string }> => {
      const env = Object.entries(bus.env).filter(([k]) => k.startsWith('DBUS_')).map(([k, v]) => `${k}=${v ?? ''}`);
      const r = await exec([...NOBODY, 'env', ...env, 'NO_COLOR=1', NODE_FOR_NOBODY, FLATNETCTL, ...args]);
      return { code: r.code, out: (r.stdout + r.stderr).trim() };
    };
    // The example's shim address lies inside its IPRange=: Podman could hand it out, so no command, the line and a fix.
    const podman = await as(['podman-args', 'macvlan1']);
    assert.equal(podman.code, 1, podman.out);
    assert.match(podman.out, /10-lan\.conf:\d+: Address=192\.168\.88\.192\/32: inside IPRange=192\.168\.88\.192\/27: Podman has no --aux-address.*use Address=192\.168\.88\.224\/32 or IPRange=192\.168\.88\.208\/28$/);
    const cni = await as(['cni-config', 'macvlan1']);
    assert.equal(cni.code, 0, cni.out);
    const conf = JSON.parse(cni.out) as { plugins: { master: string; ipam: { ranges: { rangeStart: string; rangeEnd: string }[][] } }[] };
    assert.equal(conf.plugins[0]?.master, 'enp3s0');
    assert.deepEqual(conf.plugins[0]?.ipam.ranges[0]?.map((r) => `${r.rangeStart}-${r.rangeEnd}`), ['192.168.88.193-192.168.88.223']);
    const nad = await as(['cni-config', 'macvlan1', '--multus']);
    assert.match(nad.out, /^kind: NetworkAttachmentDefinition$/m);
    const hints = await as(['router-hints', 'macvlan1', '--for', 'routeros']);
    assert.equal(hints.code, 0, hints.out);
    assert.match(hints.out, /Addresses it may use: 192\.168\.88\.2-192\.168\.88\.191, 192\.168\.88\.224-192\.168\.88\.254\./);
    assert.equal((await as(['router-hints', 'macvlan1'])).code, 2);
  });

  test('nobody may read but not change: Down is AccessDenied and the shim stays', async () => {
    assert.equal(await prop('State'), 's "configured"');
    assert.equal((await busctl(['get-property', 'org.flatnet.flatnet1', NET_PATH, NET_IFACE, 'State'], NOBODY)).out, 's "configured"');
    const before = await shimIndex();
    const r = await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'Down', 's', 'macvlan1'], NOBODY);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /Access denied|AccessDenied/i);
    assert.equal(await shimIndex(), before);
  });

  test('a heal is signalled with PropertiesChanged and counted in RestoreCount', async () => {
    const before = Number((await prop('RestoreCount')).replace(/^u /, ''));
    const mon = spawn('busctl', [`--address=${bus.address}`, 'monitor', '--json=short', 'org.flatnet.flatnet1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const seen = new Promise<string>((resolve) => {
      createInterface({ input: mon.stdout }).on('line', (l) => {
        if (l.includes('PropertiesChanged') && l.includes('RestoreCount')) resolve(l);
      });
    });
    try {
      await new Promise((r) => setTimeout(r, 300)); // let busctl subscribe before the change
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      let timer: NodeJS.Timeout | undefined;
      const line = await Promise.race([seen, new Promise<string>((_, rej) => { timer = setTimeout(() => rej(new Error('no PropertiesChanged with RestoreCount within 10 s')), 10_000); })]);
      clearTimeout(timer);
      assert.match(line, /macvlan1/);
      assert.equal(await prop('RestoreCount'), `u ${before + 1}`);
    } finally { mon.kill(); }
  });

  test('root takes a network down and up: exactly its links go and come back', async () => {
    const r = await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'Down', 's', 'macvlan1']);
    assert.equal(r.code, 0, r.out);
    assert.equal(await shimIndex(), undefined, 'the shim is removed');
    assert.equal(await prop('State'), 's "down"');
    assert.ok((await exec(['ip', '-n', lab.nas, 'link', 'show', 'enp3s0'])).code === 0, 'the parent is not ours and stays');
    assert.equal((await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'Up', 's', 'macvlan1'])).code, 0);
    assert.ok(await shimIndex());
    assert.equal(await prop('State'), 's "configured"');
  });

  test('after Down, Addresses still lists the configured address and LiveAddresses none', async () => {
    assert.equal(await prop('LiveAddresses'), 'as 1 "192.168.88.192/32"');
    assert.equal((await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'Down', 's', 'macvlan1'])).code, 0);
    try {
      assert.equal(await prop('State'), 's "down"');
      assert.equal(await prop('Addresses'), 'as 1 "192.168.88.192/32"');
      assert.equal(await prop('LiveAddresses'), 'as 0');
    } finally {
      assert.equal((await busctl(['call', 'org.flatnet.flatnet1', ...MGR, 'Up', 's', 'macvlan1'])).code, 0);
    }
    assert.equal(await prop('LiveAddresses'), 'as 1 "192.168.88.192/32"');
  });

  test('the parent loses its carrier: no-carrier, saying which link; configured again when it is back', async () => {
    await lab.setCarrier(false);
    try {
      await waitUntil('macvlan1 no-carrier', async () => (await prop('State')) === 's "no-carrier"');
      assert.match(await prop('LastError'), /^s "enp3s0 has no carrier/);
      assert.equal(await prop('Carrier'), 'b false');
      const plan = await busctl(['--json=short', 'call', 'org.flatnet.flatnet1', ...MGR, 'Plan']);
      assert.match(plan.out, /"Network":\{"type":"s","data":"macvlan1"\},"Path":\{[^}]*\},"State":\{"type":"s","data":"no-carrier"\}/);
    } finally {
      await lab.setCarrier(true);
    }
    await waitUntil('macvlan1 configured', async () => (await prop('State')) === 's "configured"');
    assert.equal(await prop('LastError'), 's ""');
  });

  test('flatnetctl status and list read the real daemon', async () => {
    const status = await flatnetctl(bus, ['status', 'macvlan1']);
    assert.match(status, /configured/);
    assert.match(status, /docker-link/);
    const list = JSON.parse(await flatnetctl(bus, ['list', '--json'])) as unknown;
    assert.ok(JSON.stringify(list).includes('"macvlan1"'));
    const unknown = await exec([process.execPath, fileURLToPath(new URL('../../src/cli/flatnetctl.js', import.meta.url)), 'status', 'nope'], undefined);
    assert.equal(unknown.code, 3, 'no DBUS_SYSTEM_BUS_ADDRESS here points at a bus with flatnetd: exit 3');
  });
});
