// The Debian package, built the way CI builds it (scripts/build-deb.sh:
// dpkg-buildpackage -us -uc -b, then lintian) unless FLATNET_DEB names a
// .deb already built; then what a user installs: the files and where they
// go, the dependencies, the maintainer scripts (enable and start, purge
// leaves /etc/flatnet.d alone), the bundled program starting from the
// extracted tree, and the unit's man pages resolving to the packaged ones.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { ROOT, have, run } from '../support/tools.js';
import { nodeRuntime, SUPPORTED_MAJORS } from '../support/node-runtimes.js';
import { openNotifySocket } from '../support/notify-socket.js';

const TOOLS = ['dpkg-buildpackage', 'dpkg-deb', 'lintian', 'pandoc', 'node', 'npm'];
const missing = TOOLS.filter((x) => !have(x));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work = '';
let deb = '';
let buildError = '';

before(() => {
  if (missing.length > 0) return;
  work = mkdtempSync(join(tmpdir(), 'fnt-deb-'));
  const given = process.env['FLATNET_DEB'];
  if (given !== undefined && given !== '') {
    deb = given;
    return;
  }
  const r = run(join(ROOT, 'scripts/build-deb.sh'), [join(work, 'out')]);
  if (r.code !== 0) {
    buildError = `scripts/build-deb.sh failed (exit ${String(r.code)}):\n${(r.stdout + r.stderr).split('\n').slice(-40).join('\n')}`;
    return;
  }
  deb = (r.stdout.trim().split('\n').pop() ?? '').trim();
});

after(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

/** The .deb, or a skip/failure that says why there is none. */
function theDeb(t: { skip(msg: string): void }): string | null {
  if (missing.length > 0) {
    t.skip(`needs ${missing.join(', ')} (apt packages: dpkg-dev debhelper lintian pandoc; nodejs >= 20 with npm)`);
    return null;
  }
  assert.equal(buildError, '', buildError);
  assert.ok(existsSync(deb), `no .deb at ${deb}`);
  return deb;
}

function field(d: string, name: string): string {
  const r = run('dpkg-deb', ['-f', d, name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Paths in the .deb (`./usr/bin/flatnetd`), with their modes. */
function contents(d: string): Map<string, string> {
  const r = run('dpkg-deb', ['-c', d]);
  assert.equal(r.code, 0, r.stderr);
  const m = new Map<string, string>();
  for (const l of r.stdout.split('\n')) {
    const parts = l.trim().split(/\s+/);
    const mode = parts[0];
    const path = parts[5];
    if (mode !== undefined && path !== undefined) m.set(path.replace(/\/$/, ''), mode);
  }
  return m;
}

function extract(d: string, what: 'data' | 'control'): string {
  const dir = join(work, what);
  if (!existsSync(dir)) {
    const r = run('dpkg-deb', [what === 'data' ? '-x' : '-e', d, dir]);
    assert.equal(r.code, 0, r.stderr);
  }
  return dir;
}

test('the .deb is flatnetd_<version>_<arch>.deb, arch-specific, and depends on node >= 20 and iproute2, not on libsystemd', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const arch = run('dpkg', ['--print-architecture']).stdout.trim();
  assert.ok(d.endsWith(`/flatnetd_${version}_${arch}.deb`), d);
  assert.equal(field(d, 'Architecture'), arch);
  const depends = field(d, 'Depends').split(/,\s*/);
  assert.ok(depends.includes('nodejs (>= 20)'), depends.join(', '));
  assert.ok(depends.includes('iproute2'), depends.join(', '));
  // The notify addon speaks sd_notify's datagram itself: no libsystemd0.
  assert.ok(!depends.some((x) => x.startsWith('libsystemd0')), `libsystemd0 in Depends: ${depends.join(', ')}`);
});

test('cockpit-flatnetd_<version>_all.deb, built beside it, ships the Cockpit page as in the tree and depends on cockpit-bridge and flatnetd', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const page = join(dirname(d), `cockpit-flatnetd_${version}_all.deb`);
  // build-deb.sh builds both; only a .deb given through FLATNET_DEB may come alone.
  if (!existsSync(page) && (process.env['FLATNET_DEB'] ?? '') !== '') return t.skip(`no ${page} beside ${d} (FLATNET_DEB names a .deb built alone)`);
  assert.ok(existsSync(page), `scripts/build-deb.sh built no ${page}`);
  assert.equal(field(page, 'Architecture'), 'all');
  const depends = field(page, 'Depends').split(/,\s*/);
  assert.ok(depends.includes('cockpit-bridge (>= 240)'), depends.join(', '));
  assert.ok(depends.some((x) => x.startsWith('flatnetd (>= ')), depends.join(', '));
  const files = contents(page);
  const tree = join(ROOT, 'cockpit/flatnet');
  const shipped = [...files.keys()].filter((p) => p.startsWith('./usr/share/cockpit/flatnet/')).map((p) => p.slice('./usr/share/cockpit/flatnet/'.length)).sort();
  assert.deepEqual(shipped, readdirSync(tree).sort());
  for (const f of shipped) assert.equal(files.get(`./usr/share/cockpit/flatnet/${f}`), '-rw-r--r--', f);
  const dir = mkdtempSync(join(work, 'cockpit-'));
  assert.equal(run('dpkg-deb', ['-x', page, dir]).code, 0);
  for (const f of shipped) assert.equal(readFileSync(join(dir, 'usr/share/cockpit/flatnet', f), 'utf8'), readFileSync(join(tree, f), 'utf8'), f);
  // The daemon's package does not carry the page.
  assert.ok(![...contents(d).keys()].some((p) => p.includes('/cockpit/')));
});

test('the .deb installs the program, the unit and drop-ins, D-Bus policy, man pages, examples and an empty /etc/flatnet.d', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const c = contents(d);
  const files = [
    './usr/bin/flatnetd', './usr/bin/flatnetctl',
    './usr/lib/flatnetd/package.json', './usr/lib/flatnetd/dist/src/main.js', './usr/lib/flatnetd/dist/bundle/flatnetd.js', './usr/lib/flatnetd/dist/bundle/load-worker.js', './usr/lib/flatnetd/dist/src/cli/flatnetctl.js',
    './usr/lib/flatnetd/native/notify/build/Release/flatnetd_notify.node',
    './usr/lib/flatnetd/node_modules/dbus-next/package.json',
    './usr/lib/flatnetd/node_modules/ipaddr.js/package.json',
    './lib/systemd/system/flatnetd.service',
    './lib/systemd/system/flatnet-wait-online.service', './lib/systemd/system/flatnet-online.target',
    './usr/share/bash-completion/completions/flatnetctl', './usr/share/zsh/vendor-completions/_flatnetctl',
    './lib/systemd/system/docker.service.d/10-flatnetd.conf',
    './lib/systemd/system/podman.service.d/10-flatnetd.conf',
    './lib/systemd/system/podman-restart.service.d/10-flatnetd.conf',
    './lib/systemd/system/containerd.service.d/10-flatnetd.conf',
    './lib/systemd/system/kubelet.service.d/10-flatnetd.conf',
    './usr/share/dbus-1/system.d/org.flatnet.flatnet1.conf',
    './usr/share/dbus-1/interfaces/org.flatnet.flatnet1.Manager.xml', './usr/share/dbus-1/interfaces/org.flatnet.flatnet1.Network.xml',
    './usr/share/polkit-1/actions/org.flatnet.flatnet1.policy',
    './usr/share/man/man8/flatnetd.8.gz', './usr/share/man/man5/flatnet.d.5.gz', './usr/share/man/man1/flatnetctl.1.gz',
    './lib/udev/rules.d/90-flatnetd.rules', './lib/systemd/network/01-flatnetd-unmanaged.network',
    './etc/iproute2/rt_protos.d/flatnet.conf', './usr/lib/tmpfiles.d/flatnetd.conf',
    './usr/share/doc/flatnetd/copyright',
  ];
  for (const f of files) assert.ok(c.has(f), `missing ${f}`);
  for (const b of ['./usr/bin/flatnetd', './usr/bin/flatnetctl']) assert.match(c.get(b) ?? '', /^-rwxr-xr-x$/, b);
  assert.match(c.get('./etc/flatnet.d') ?? '', /^d/, '/etc/flatnet.d is not shipped as a directory');
  assert.deepEqual([...c.keys()].filter((p) => p.startsWith('./etc/flatnet.d/')), [], '/etc/flatnet.d must ship empty');
  const examples = readdirSync(join(ROOT, 'etc/flatnet.d')).filter((f) => f.endsWith('.conf'));
  assert.ok(examples.length > 0);
  for (const e of examples) assert.ok(c.has(`./usr/share/doc/flatnetd/examples/${e}`), `example ${e} not shipped`);
  // Only what runs: no tests, no dev or optional modules, no compiler.
  const bad = [...c.keys()].filter((p) =>
    p.startsWith('./usr/lib/flatnetd/dist/test') ||
    /\/node_modules\/(typescript|@types|usocket|node-gyp|nan|sd-notify)(\/|$)/.test(p) ||
    (p.startsWith('./usr/lib/flatnetd/native/') && !'./usr/lib/flatnetd/native/notify/build/Release/flatnetd_notify.node'.startsWith(p)));
  assert.deepEqual(bad, []);
});

test('the packaged unit is systemd/flatnetd.service as it is in the tree', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const x = extract(d, 'data');
  assert.equal(readFileSync(join(x, 'lib/systemd/system/flatnetd.service'), 'utf8'), readFileSync(join(ROOT, 'systemd/flatnetd.service'), 'utf8'));
});

test('installing enables and starts flatnetd.service; purging leaves /etc/flatnet.d and its drop-ins alone', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const ctl = extract(d, 'control');
  const postinst = readFileSync(join(ctl, 'postinst'), 'utf8');
  assert.match(postinst, /deb-systemd-helper enable 'flatnetd\.service'/);
  assert.match(postinst, /_dh_action=start/);
  assert.match(postinst, /deb-systemd-invoke \$_dh_action 'flatnetd\.service'/);
  assert.match(postinst, /systemd-tmpfiles .*--create flatnetd\.conf/);
  for (const script of ['postrm', 'prerm', 'preinst']) {
    const p = join(ctl, script);
    if (existsSync(p)) assert.doesNotMatch(readFileSync(p, 'utf8'), /flatnet\.d/, `${script} touches /etc/flatnet.d`);
  }
  // dpkg removes a conffile on purge: none may live in /etc/flatnet.d.
  const conffiles = readFileSync(join(ctl, 'conffiles'), 'utf8').trim().split('\n');
  assert.deepEqual(conffiles, ['/etc/iproute2/rt_protos.d/flatnet.conf']);
});

test('the extracted program starts with only its bundled modules: flatnetd --version, flatnetctl --help, every dependency loads', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const x = extract(d, 'data');
  const lib = join(x, 'usr/lib/flatnetd');
  const v = run('node', [join(lib, 'dist/bundle/flatnetd.js'), '--version'], { cwd: x });
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), `flatnetd ${version}`);
  const h = run('node', [join(lib, 'dist/src/cli/flatnetctl.js'), '--help'], { cwd: x });
  assert.equal(h.code, 0, h.stderr);
  // Every runtime dependency resolves and loads from the bundled node_modules.
  const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  assert.ok(deps.length > 0);
  const smoke = join(lib, 'fnt-smoke.mjs');
  writeFileSync(smoke, deps.map((m) => `await import(${JSON.stringify(m)});\n`).join('') + 'console.log("loaded");\n');
  const l = run('node', [smoke], { cwd: x });
  rmSync(smoke);
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.stdout.trim(), 'loaded');
  const wrapper = readFileSync(join(x, 'usr/bin/flatnetd'), 'utf8');
  assert.ok(wrapper.includes(`${['exec', '/usr/bin/node', ...NODE_FLAGS, '/usr/lib/flatnetd/dist/bundle/flatnetd.js'].join(' ')} "$@"`), wrapper);
});

test('the packaged notify addon loads and sends under every supported Node major, not only the one that built it', async (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const x = extract(d, 'data');
  const addon = join(x, 'usr/lib/flatnetd/native/notify/build/Release/flatnetd_notify.node');
  for (const major of SUPPORTED_MAJORS) {
    const rt = await nodeRuntime(major);
    const sock = await openNotifySocket();
    try {
      const r = run(rt.node, ['-e', 'process.exit(-require(process.argv[1]).send(process.argv[2], "READY=1"))', addon, sock.path]);
      assert.equal(r.code, 0, `under ${rt.version}: ${r.stderr}`);
      assert.equal(await sock.waitFor('READY=1', 5_000), 'READY=1');
    } finally {
      sock.close();
    }
  }
});

test('systemd-analyze verify of the packaged unit finds its man pages in the package', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  if (!have('systemd-analyze') || !have('man')) return t.skip('needs systemd-analyze and man (apt packages systemd, man-db)');
  const x = extract(d, 'data');
  const unit = join(work, 'flatnetd.service');
  writeFileSync(unit, readFileSync(join(x, 'lib/systemd/system/flatnetd.service'), 'utf8')
    .replace('ExecStart=/usr/bin/flatnetd', `ExecStart=${join(x, 'usr/bin/flatnetd')}`));
  const r = run('systemd-analyze', ['verify', '--man=yes', unit], { env: { ...process.env, MANPATH: join(x, 'usr/share/man') } });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /flatnet/);
});

test('lintian finds no errors and no warnings that are not overridden', (t) => {
  const d = theDeb(t);
  if (d === null) return;
  const r = run('lintian', ['--fail-on', 'error,warning', d]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});
