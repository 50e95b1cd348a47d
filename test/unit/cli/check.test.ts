// `flatnetctl check` runs offline: no bus, no daemon, just the drop-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

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
  // One key style in all flatnetctl JSON: PascalCase, as the bus properties and networkctl's JSON.
  const parsed = JSON.parse(j.stdout) as { OK: boolean; Networks: { Name: string; VLAN: number }[] };
  assert.equal(parsed.OK, true);
  assert.deepEqual(parsed.Networks.map((n) => [n.Name, n.VLAN]), [['iot', 20]]);
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
  const parsed = JSON.parse(j.stdout) as { OK: boolean; Diagnostics: { Line: number; Key: string; Text: string }[] };
  assert.equal(parsed.OK, false);
  assert.deepEqual(parsed.Diagnostics.map((d) => [d.Line, d.Key]), [[3, 'VLAN']]);
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

test('check: an unknown key or section fails check and names the likely fix', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, '10-lan.conf');
  writeFileSync(f, '[Network]\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shims]\nName=docker-link\n[Shim]\nAdress=192.168.88.192/32\n');
  const r = ctl(['check', f]);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, [
    `warning: ${f}:4: unknown section [Shims], ignored; did you mean [Shim]?`,
    `warning: ${f}:7: Adress=192.168.88.192/32: unknown key in [Shim], ignored; did you mean Address=?`,
    '2 lines ignored (unknown key or section); fix the drop-ins above.', '',
  ].join('\n'));
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(ctl(['check', '--json', f]).stdout) as { OK: boolean }).OK, false);
});

test('check: the README\'s drop-in with inline comments says they are not supported', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flatnetctl-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, '10-lan.conf');
  writeFileSync(f, '[Network]\nName=macvlan1                 # the docker network\'s name\nParent=enp3s0\n');
  const r = ctl(['check', f]);
  assert.match(r.stderr, /:2: Name=macvlan1 {17}# the docker network's name: inline comments are not supported: put the comment on a line of its own, starting with # or ;\n/);
  assert.equal(r.code, 1);
});

test('check: advice about a valid drop-in is a note, not a warning, and --no-legend drops the verdict', () => {
  const lan = join(REPO, 'etc/flatnet.d/10-lan.conf');
  const r = ctl(['check', lan]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^note: .*10-lan\.conf:\d+: Address=192\.168\.88\.192\/32: inside IPRange=192\.168\.88\.192\/27: Docker must reserve it with --aux-address/);
  assert.match(r.stdout, /\n1 network OK: macvlan1\.\n$/);
  const quiet = ctl(['check', '--no-legend', lan]);
  assert.equal(quiet.stdout.split('\n').filter((l) => l !== '').length, 1);
});
