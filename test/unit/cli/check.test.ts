// `flatnetctl check` runs offline: no bus, no daemon, just the drop-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CTL = fileURLToPath(new URL('../../../src/cli/flatnetctl.js', import.meta.url));

function ctl(args: string[]): { code: number | null; stdout: string; stderr: string } {
  // A bus address that cannot work proves check never needs one.
  const r = spawnSync(process.execPath, [CTL, ...args], {
    encoding: 'utf8', env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus', NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('check: valid drop-ins pass offline and are named', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=enp3s0\nSubnet=192.168.88.0/24\nGateway=192.168.88.1\nIPRange=192.168.88.192/27\n');
  writeFileSync(join(dir, 'iot.conf'), '[Network]\nParent=enp4s0\nVLAN=20\nDriver=ipvlan\n');
  const r = ctl(['check', dir]);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '2 networks OK: 10-lan, iot.\n');
  assert.equal(r.code, 0);
  const j = ctl(['check', '--json', join(dir, 'iot.conf')]);
  assert.equal(j.code, 0);
  const parsed = JSON.parse(j.stdout) as { ok: boolean; networks: { name: string; vlan: number }[] };
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.networks.map((n) => [n.name, n.vlan]), [['iot', 20]]);
});

test('check: errors print as path:line and exit 1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, '20-bad.conf');
  writeFileSync(bad, '[Network]\nParent=enp3s0\nVLAN=5000\n');
  const r = ctl(['check', bad]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0] ?? '', new RegExp(`^error: ${bad}:3: VLAN=5000: `));
  assert.equal(lines[lines.length - 1], '1 error; fix the drop-ins above.');
  const j = ctl(['check', '--json', bad]);
  assert.equal(j.code, 1);
  const parsed = JSON.parse(j.stdout) as { ok: boolean; diagnostics: { line: number; key: string; text: string }[] };
  assert.equal(parsed.ok, false);
  assert.deepEqual(parsed.diagnostics.map((d) => [d.line, d.key]), [[3, 'VLAN']]);
});

test('check: a path that does not exist is an error, not a crash', () => {
  const r = ctl(['check', '/nonexistent/flatnet.d/x.conf']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: \/nonexistent\/flatnet\.d\/x\.conf: no such file or directory$/m);
});

test('check: a directory with no drop-ins is never "OK": it says so and exits 1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'README'), 'not a drop-in\n');
  const r = ctl(['check', dir]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, new RegExp(`^error: ${dir}: no drop-ins \\(\\*\\.conf\\) in this directory: nothing to check$`, 'm'));
  assert.doesNotMatch(r.stdout, /OK/);
});

test("check: NixOS's drop-ins, links into the store, are read and checked", (t) => {
  const root = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const store = join(root, 'nix', 'store');
  mkdirSync(join(store, 'aaaa-etc', 'etc', 'flatnet.d'), { recursive: true });
  writeFileSync(join(store, 'bbbb-10-lan.conf'), '[Network]\nName=macvlan1\nParent=enp3s0\n');
  symlinkSync(join(store, 'bbbb-10-lan.conf'), join(store, 'aaaa-etc', 'etc', 'flatnet.d', '10-lan.conf'));
  mkdirSync(join(root, 'etc', 'flatnet.d'), { recursive: true });
  symlinkSync(join(store, 'aaaa-etc', 'etc'), join(root, 'etc', 'static'));
  symlinkSync(join(root, 'etc', 'static', 'flatnet.d', '10-lan.conf'), join(root, 'etc', 'flatnet.d', '10-lan.conf'));
  const r = ctl(['check', join(root, 'etc', 'flatnet.d')]);
  if (process.getuid?.() !== 0) {
    // flatnetd runs as root: a link to another user's file is not trusted, and check says so.
    assert.equal(r.code, 1);
    return;
  }
  assert.equal(r.stdout, '1 network OK: macvlan1.\n', r.stderr);
  assert.equal(r.code, 0);
});
