// Big answers on the bus: a Describe, Diagnostics or GetManagedObjects larger
// than a socket's send buffer (~208 KiB). dbus-next's optional native socket
// (usocket) lost the tail of such a message, the bus dropped flatnetd's
// connection and flatnetd exited, on a read any user may make. Fixed in
// src/bus/connect.ts (viaNodeSocket); this is the regression test.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { DaemonProcess } from '../support/daemon-process.js';
import { viaNodeSocket } from '../../src/bus/connect.js';
import {
  MANAGER_IFACE, MANAGER_PATH, REPO, client, createLab, daemon, isRoot, prefix, startBus, type Client, type Lab, type PrivateBus, teardown,
} from '../support/reliability-rig.js';

const WARNINGS = 3000;

test('viaNodeSocket: unix:path= becomes unix:socket=, everything else is kept', () => {
  assert.equal(viaNodeSocket('unix:path=/run/dbus/system_bus_socket'), 'unix:socket=/run/dbus/system_bus_socket');
  assert.equal(viaNodeSocket('unix:path=/a,guid=0f;unix:abstract=/tmp/x;tcp:host=h,port=1'), 'unix:socket=/a,guid=0f;unix:abstract=/tmp/x;tcp:host=h,port=1');
});

describe('answers larger than a socket buffer', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  let bus: PrivateBus;
  let c: Client;
  let d: DaemonProcess;

  before(async () => {
    lab = await createLab(prefix('b'), 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    writeFileSync(join(dir, '10-lan.conf'), `[Network]\nName=lan\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shim]\nName=docker-link\nAddress=192.168.88.192/32\n${
      Array.from({ length: WARNINGS }, (_, i) => `Unknown${i}=a key nobody knows, so every line is a warning ${i}\n`).join('')}`);
    bus = await startBus('system');
    c = client(bus.address);
    d = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: [], env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address }, logLevel: 'info' });
    await c.waitForName();
    await d.waitForLog(/ready \(/);
  });
  after(async () => {
    await teardown({ client: c, daemon: d, lab, bus, dirs: [dir] });
  });

  test(`Describe, Diagnostics and flatnetctl status --json with ${WARNINGS} warnings: answered, flatnetd stays on the bus`, async () => {
    const desc = await c.call(MANAGER_PATH, MANAGER_IFACE, 'Describe', '', [], 10_000);
    const size = String(desc.body[0]).length;
    assert.ok(size > 400_000, `Describe is ${size} bytes: larger than a socket buffer`);
    const diags = await c.call(MANAGER_PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss', [MANAGER_IFACE, 'Diagnostics'], 10_000);
    assert.ok(JSON.stringify(diags.body, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).length > 300_000);
    await c.call(MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', '', [], 10_000);
    const ctl = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, `${REPO}dist/src/cli/flatnetctl.js`, 'status', '--json'],
      { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address }, encoding: 'utf8', timeout: 30_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(ctl.status, 0, ctl.stderr);
    assert.equal(d.proc.exitCode, null, `flatnetd still running:\n${d.log.slice(-5).join('\n')}`);
    assert.ok(!d.log.some((l) => /system bus connection failed|exiting so systemd restarts/.test(l)), d.log.slice(-5).join('\n'));
    process.stdout.write(`# large answers: Describe ${size} bytes answered; flatnetctl status --json as nobody: ${ctl.stdout.length} bytes\n`);
  });
});
