// `flatnetctl check` runs offline: no bus, no daemon, just the drop-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
