import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_DIRS, discoverDropIns, MAX_DROPIN_BYTES } from '../../../src/config/discover.js';
import { loadConfig } from '../../../src/config/load.js';
import { shown } from '../../support/config.js';

/** Three config directories in priority order, like /etc, /run, /usr/lib; removed after the test. */
function tree(t: { after: (fn: () => void) => void }): { root: string; etc: string; run: string; lib: string } {
  const root = mkdtempSync(join(tmpdir(), 'flatnet-discover-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const etc = join(root, 'etc');
  const run = join(root, 'run');
  const lib = join(root, 'lib');
  for (const d of [etc, run, lib]) mkdirSync(d);
  return { root, etc, run, lib };
}

const net = (parent: string): string => `[Network]\nParent=${parent}\n`;

test('the default directories, highest priority first', () => {
  assert.deepEqual(DEFAULT_CONFIG_DIRS, ['/etc/flatnet.d', '/run/flatnet.d', '/usr/lib/flatnet.d']);
});

test('an earlier directory overrides a same-named file; the rest merge, sorted by file name', async (t) => {
  const { etc, run, lib } = tree(t);
  writeFileSync(join(lib, '10-lan.conf'), net('from-lib'));
  writeFileSync(join(etc, '10-lan.conf'), net('from-etc'));
  writeFileSync(join(run, '10-lan.conf'), net('from-run'));
  writeFileSync(join(lib, '05-vendor.conf'), net('eth5'));
  writeFileSync(join(run, '20-runtime.conf'), net('eth6'));
  writeFileSync(join(etc, '30-admin.conf'), net('eth7'));
  const r = await discoverDropIns([etc, run, lib]);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.files.map((f) => f.path), [
    join(lib, '05-vendor.conf'), join(etc, '10-lan.conf'), join(run, '20-runtime.conf'), join(etc, '30-admin.conf'),
  ]);
  assert.equal(r.files[1]?.text, net('from-etc'));
});

test('a symlink to /dev/null masks; an empty file is a (bad) drop-in, not a mask', async (t) => {
  const { etc, lib } = tree(t);
  writeFileSync(join(lib, '10-lan.conf'), net('eth0'));
  writeFileSync(join(lib, '20-wan.conf'), net('eth1'));
  symlinkSync('/dev/null', join(etc, '10-lan.conf'));
  writeFileSync(join(etc, '20-wan.conf'), '');
  const r = await discoverDropIns([etc, lib]);
  assert.deepEqual(r.files, [{ path: join(etc, '20-wan.conf'), text: '' }]);
  assert.deepEqual(r.diagnostics, []);
  const set = await loadConfig([etc, lib]);
  assert.deepEqual(shown(set.diagnostics), [`error: ${join(etc, '20-wan.conf')}: no [Network] section`]);
  assert.deepEqual(set.invalid, [{ name: '20-wan', file: join(etc, '20-wan.conf') }]);
});

test('only *.conf regular files: backups, hidden files and other names are not drop-ins', async (t) => {
  const { etc } = tree(t);
  writeFileSync(join(etc, '10-lan.conf'), net('eth0'));
  for (const n of ['10-lan.conf~', '10-lan.conf.bak', 'README', '.10-lan.conf.swp', '.hidden.conf', '10-lan.CONF']) writeFileSync(join(etc, n), 'junk');
  const r = await discoverDropIns([etc]);
  assert.deepEqual(r.files.map((f) => f.path), [join(etc, '10-lan.conf')]);
  assert.deepEqual(r.diagnostics, []);
});

test('a missing directory is fine', async (t) => {
  const { root, etc } = tree(t);
  writeFileSync(join(etc, '10-lan.conf'), net('eth0'));
  const r = await discoverDropIns([join(root, 'nope'), etc, join(root, 'etc', '10-lan.conf')]);
  assert.deepEqual(r.files.map((f) => f.path), [join(etc, '10-lan.conf')]);
  assert.deepEqual(r.diagnostics, []);
});

const uid = process.getuid?.() ?? 0;

test('a symlink is followed wherever it points, as systemd does, when no one else could have changed what it reaches', async (t) => {
  const { root, etc, lib } = tree(t);
  writeFileSync(join(lib, 'lan.template'), net('eth0'));
  symlinkSync(join(lib, 'lan.template'), join(etc, '10-lan.conf'));
  mkdirSync(join(root, 'srv'));
  writeFileSync(join(root, 'srv', 'office.conf'), net('eth1'));
  symlinkSync('../srv/office.conf', join(etc, '15-office.conf'));
  // A file anyone may write, and a file in a directory its group may write.
  mkdirSync(join(root, 'home'));
  writeFileSync(join(root, 'home', 'evil.conf'), net('eth9'));
  chmodSync(join(root, 'home', 'evil.conf'), 0o666);
  symlinkSync(join(root, 'home', 'evil.conf'), join(etc, '20-evil.conf'));
  mkdirSync(join(root, 'shared'));
  chmodSync(join(root, 'shared'), 0o775);
  writeFileSync(join(root, 'shared', 'lan.conf'), net('eth8'));
  symlinkSync(join(root, 'shared', 'lan.conf'), join(etc, '21-shared.conf'));
  symlinkSync('../home/evil.conf', join(lib, '20-evil.conf'));
  const r = await discoverDropIns([etc, lib], uid);
  assert.deepEqual(r.files, [{ path: join(etc, '10-lan.conf'), text: net('eth0') }, { path: join(etc, '15-office.conf'), text: net('eth1') }]);
  assert.deepEqual(shown(r.diagnostics), [
    `error: ${join(etc, '20-evil.conf')}: symlink to ${join(root, 'home', 'evil.conf')}, not trusted (${join(root, 'home', 'evil.conf')} is writable by others): skipped`,
    `error: ${join(etc, '21-shared.conf')}: symlink to ${join(root, 'shared', 'lan.conf')}, not trusted (${join(root, 'shared')} is writable by its group): skipped`,
  ]);
  // the name stays claimed, and the network is held (invalid), not deleted
  const set = await loadConfig([etc, lib], uid);
  assert.deepEqual(set.invalid.map((i) => i.file), [join(etc, '20-evil.conf'), join(etc, '21-shared.conf')]);
});

test("NixOS's layout: /etc/flatnet.d/x.conf → /etc/static/… → the store, /etc/static itself a link into the store", async (t) => {
  const { root, etc } = tree(t);
  const store = join(root, 'nix', 'store');
  mkdirSync(store, { recursive: true });
  chmodSync(store, 0o1775); // as on NixOS: group nixbld may add, the sticky bit keeps others' paths safe
  const etcTree = join(store, 'aaaa-etc', 'etc');
  mkdirSync(join(etcTree, 'flatnet.d'), { recursive: true });
  writeFileSync(join(store, 'bbbb-lan.conf'), net('eth0'));
  chmodSync(join(store, 'bbbb-lan.conf'), 0o444);
  symlinkSync(join(store, 'bbbb-lan.conf'), join(etcTree, 'flatnet.d', '10-lan.conf'));
  symlinkSync(etcTree, join(root, 'etc', 'static'));
  symlinkSync(join(root, 'etc', 'static', 'flatnet.d', '10-lan.conf'), join(etc, '10-lan.conf'));
  const r = await discoverDropIns([etc], uid);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.files, [{ path: join(etc, '10-lan.conf'), text: net('eth0') }]);
  // The whole directory a link into the store (environment.etc."flatnet.d".source).
  const r2 = await discoverDropIns([join(root, 'etc', 'static', 'flatnet.d')], uid);
  assert.deepEqual(r2.files.map((f) => f.text), [net('eth0')]);
});

test('a broken symlink is an error', async (t) => {
  const { etc } = tree(t);
  symlinkSync(join(etc, 'gone.conf.real'), join(etc, '10-lan.conf'));
  const r = await discoverDropIns([etc]);
  assert.deepEqual(shown(r.diagnostics), [`error: ${join(etc, '10-lan.conf')}: broken symlink: no such file or directory`]);
});

test('binary, invalid UTF-8 and huge files are unreadable errors; one bad file never stops the others', async (t) => {
  const { etc } = tree(t);
  writeFileSync(join(etc, '10-nul.conf'), Buffer.from('[Network]\nParent=eth0\0\n'));
  writeFileSync(join(etc, '20-latin1.conf'), Buffer.from([0x5b, 0x4e, 0x5d, 0x0a, 0x23, 0xe9, 0x0a]));
  writeFileSync(join(etc, '30-huge.conf'), `# ${'x'.repeat(MAX_DROPIN_BYTES)}\n`);
  writeFileSync(join(etc, '40-good.conf'), net('eth0'));
  writeFileSync(join(etc, '50-exactly-1mib.conf'), `${net('eth1')}${'#'.repeat(MAX_DROPIN_BYTES - net('eth1').length - 1)}\n`);
  mkdirSync(join(etc, '60-dir.conf'));
  execFileSync('mkfifo', [join(etc, '70-fifo.conf')]);
  const r = await discoverDropIns([etc]);
  assert.deepEqual(r.files.map((f) => f.path), [join(etc, '40-good.conf'), join(etc, '50-exactly-1mib.conf')]);
  assert.deepEqual(shown(r.diagnostics), [
    `error: ${join(etc, '10-nul.conf')}: binary file (NUL byte at offset 21)`,
    `error: ${join(etc, '20-latin1.conf')}: not valid UTF-8 text`,
    `error: ${join(etc, '30-huge.conf')}: larger than 1 MiB (1048579 bytes)`,
    `warning: ${join(etc, '60-dir.conf')}: not a regular file, skipped`,
    `warning: ${join(etc, '70-fifo.conf')}: not a regular file, skipped`,
  ]);
  assert.ok(r.diagnostics.every((d) => d.code === 'unreadable'));
  const set = await loadConfig([etc]);
  assert.deepEqual(set.networks.map((n) => n.name), ['40-good', '50-exactly-1mib']);
  assert.deepEqual(set.invalid.map((i) => i.name).sort(), ['10-nul', '20-latin1', '30-huge', '60-dir', '70-fifo']);
});

test('a drop-in whose file name is not UTF-8 is named as such, bytes escaped, and the others are read', async (t) => {
  const { etc } = tree(t);
  writeFileSync(Buffer.concat([Buffer.from(`${etc}/33-`), Buffer.from([0xff, 0x5c]), Buffer.from('.conf')]), net('eth0'));
  writeFileSync(Buffer.concat([Buffer.from(`${etc}/README-`), Buffer.from([0xff])]), 'not a drop-in');
  writeFileSync(join(etc, '40-good.conf'), net('eth1'));
  const r = await discoverDropIns([etc]);
  assert.deepEqual(r.files.map((f) => f.path), [join(etc, '40-good.conf')]);
  assert.deepEqual(shown(r.diagnostics), [
    `error: ${etc}/33-\\xff\\x5c.conf: the file name is not valid UTF-8 (shown with \\x escapes): skipped; rename it`,
  ]);
});

test('a config directory that cannot be listed is no drop-in, whatever its name ends with', async (t) => {
  const { root, etc } = tree(t);
  // A symlink to itself: readdir fails with ELOOP (root can list any directory it may open).
  const odd = join(root, 'site.conf');
  symlinkSync(odd, odd);
  writeFileSync(join(etc, '40-good.conf'), net('eth1'));
  const set = await loadConfig([odd, etc]);
  assert.deepEqual(set.dirs?.map((d) => d.state), ['unlistable', 'listed']);
  assert.deepEqual(shown(set.diagnostics), [`error: ${odd}: cannot list the directory: too many levels of symbolic links`]);
  assert.deepEqual([set.networks.map((n) => n.name), set.invalid], [['40-good'], []], 'no network "site" made up from the directory');
});
