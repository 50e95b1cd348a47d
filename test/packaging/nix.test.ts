// The NixOS expressions without nixpkgs: every .nix file parses (which also
// catches unbound names); nix/render.nix turns sample networks into exactly
// the drop-ins in test/fixtures/nix/expected/; nix/module.nix, evaluated
// against a stub lib (test/fixtures/nix/eval-module.nix), writes those same
// files to /etc/flatnet.d, wires the unit, D-Bus, udev and networkd, and
// refuses bad values; flatnetd's own parser reads every rendered file as the
// network the Nix attrset described; and every shipped example survives
// example → Nix attrset → module → drop-in → parser unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ROOT, have, run } from '../support/tools.js';

const FIX = join(ROOT, 'test/fixtures/nix');
const NEED_NIX = 'needs nix-instantiate (apt package nix-bin)';

function nixFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return nixFiles(p);
    return e.name.endsWith('.nix') ? [p] : [];
  });
}

/** `nix-instantiate --eval --strict --json --expr EXPR`, parsed; throws with nix's message. */
function nixEval(expr: string): unknown {
  const r = run('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr]);
  if (r.code !== 0) throw new Error(`nix-instantiate failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

function nixEvalError(expr: string): string {
  const r = run('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr]);
  assert.notEqual(r.code, 0, `expected nix to refuse, got ${r.stdout}`);
  return r.stderr;
}

function expectedTexts(): Map<string, string> {
  const dir = join(FIX, 'expected');
  return new Map(readdirSync(dir).filter((f) => f.endsWith('.conf')).map((f) => [basename(f, '.conf'), readFileSync(join(dir, f), 'utf8')]));
}

function asTextMap(v: unknown): Map<string, string> {
  assert.ok(typeof v === 'object' && v !== null);
  return new Map(Object.entries(v).map(([k, x]) => {
    assert.equal(typeof x, 'string', `${k}: not a string`);
    return [k, String(x)];
  }));
}

const EVAL_MODULE = (args: string): string => `import ${FIX}/eval-module.nix ${args}`;

test('every .nix file parses', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const files = [...nixFiles(join(ROOT, 'nix')), ...nixFiles(FIX)];
  assert.ok(files.length >= 5, `found only ${files.join(', ')}`);
  for (const f of files) {
    const r = run('nix-instantiate', ['--parse', f]);
    assert.equal(r.code, 0, `${f}:\n${r.stderr}`);
  }
});

test('nix/render.nix renders the sample networks to the expected drop-ins, byte for byte', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const got = asTextMap(nixEval(`(import ${join(ROOT, 'nix/render.nix')}).all (import ${FIX}/networks.nix)`));
  const want = expectedTexts();
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, text] of want) assert.equal(got.get(name), text, `${name}.conf`);
});

interface ModuleOut {
  package: string;
  etc: Record<string, { text?: string; source?: string }>;
  service: { wantedBy: string[]; reloadTriggers: string[] };
  systemdPackages: string[];
  dbusPackages: string[];
  udevPackages: string[];
  tmpfiles: string[];
  networkdNetworks: Record<string, { matchConfig: Record<string, unknown>; linkConfig: Record<string, unknown> }>;
  systemPackages: (string | { drv: string; script: string })[];
  pathsToLink: string[];
}

test('the module writes /etc/flatnet.d/<name>.conf for each network and wires the service', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const out = nixEval(EVAL_MODULE('{ }')) as ModuleOut;
  const want = expectedTexts();
  const dropIns = Object.keys(out.etc).filter((k) => k.startsWith('flatnet.d/')).sort();
  assert.deepEqual(dropIns, [...want.keys()].map((n) => `flatnet.d/${n}.conf`).sort());
  for (const [name, text] of want) assert.equal(out.etc[`flatnet.d/${name}.conf`]?.text, text, name);
  assert.equal(out.etc['iproute2/rt_protos.d/flatnet.conf']?.source, `${out.package}/share/iproute2/rt_protos.d/flatnet.conf`);
  assert.deepEqual(out.service.wantedBy, ['multi-user.target']);
  // A switch swaps /etc/static under the links; only a reload tells the daemon.
  assert.deepEqual([...out.service.reloadTriggers].sort(), [...want.values()].sort());
  for (const list of [out.systemdPackages, out.dbusPackages, out.udevPackages]) assert.deepEqual(list, [out.package]);
  assert.deepEqual(out.tmpfiles, ['d /run/flatnet.d 0755 root root -']);
  const nd = out.networkdNetworks['01-flatnetd-unmanaged'];
  assert.deepEqual(nd, { matchConfig: { Property: 'ID_NET_MANAGED_BY=org.flatnet.flatnetd' }, linkConfig: { Unmanaged: true } });
  // The same property the udev rule sets, and the same file the Debian package ships.
  assert.ok(readFileSync(join(ROOT, 'packaging/udev/90-flatnetd.rules'), 'utf8').includes('ENV{ID_NET_MANAGED_BY}="org.flatnet.flatnetd"'));
  assert.ok(readFileSync(join(ROOT, 'packaging/systemd-network/01-flatnetd-unmanaged.network'), 'utf8').includes('Property=ID_NET_MANAGED_BY=org.flatnet.flatnetd'));
});

test('without systemd-networkd the module adds no .network file', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const out = nixEval(EVAL_MODULE('{ networkdEnable = false; }')) as ModuleOut;
  assert.deepEqual(out.networkdNetworks, {});
});

test('the Cockpit page joins Cockpit\'s packages when services.cockpit is enabled, or when asked, and not otherwise', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const page = (out: ModuleOut): { drv: string; script: string } | undefined =>
    out.systemPackages.find((p): p is { drv: string; script: string } => typeof p === 'object');
  for (const args of ['{ cockpitEnable = true; }', '{ flatnetdCockpit = true; }']) {
    const out = nixEval(EVAL_MODULE(args)) as ModuleOut;
    const p = page(out);
    assert.ok(p, args);
    assert.match(p.drv, /-flatnetd-cockpit$/);
    // The package's copy (nix/package.nix installs cockpit/flatnet there) lands in share/cockpit/flatnet.
    assert.ok(p.script.includes(`cp -r ${out.package}/share/flatnetd/cockpit/flatnet $out/share/cockpit/flatnet`), p.script);
    assert.deepEqual(out.pathsToLink, ['/share/cockpit']);
  }
  for (const args of ['{ }', '{ cockpitEnable = true; flatnetdCockpit = false; }']) {
    const out = nixEval(EVAL_MODULE(args)) as ModuleOut;
    assert.equal(page(out), undefined, args);
    assert.deepEqual(out.pathsToLink, []);
  }
  assert.match(readFileSync(join(ROOT, 'nix/package.nix'), 'utf8'), /cp -r cockpit\/flatnet \$out\/share\/flatnetd\/cockpit\/flatnet/);
});

test('the module refuses what its option types forbid, naming the option', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const cases: [string, RegExp][] = [
    ['{ x = { parent = "eth0"; vlan = 5000; }; }', /services\.flatnetd\.networks\.x\.vlan' must be an integer between 1 and 4094: 5000/],
    ['{ x = { driver = "bridge"; }; }', /networks\.x\.driver' must be one of/],
    ['{ x = { shim = { adress = "10.0.0.2"; }; }; }', /networks\.x\.shim\.adress' does not exist/],
    ['{ x = { mtu = "1500"; }; }', /networks\.x\.mtu' must be an integer/],
  ];
  for (const [networks, message] of cases) assert.match(nixEvalError(EVAL_MODULE(`{ networks = ${networks}; }`)), message);
});

// ---- against flatnetd's own drop-in parser (src/config/load.ts) ----

interface Shim { name: string; addresses: string[]; routes: string[]; routesExplicit: boolean; mac: string | null }
interface Net {
  name: string; parent: string | null; vlan: number | null; driver: string; mode: string; ipvlanFlag: string | null;
  subnets: string[]; gateways: string[]; ipRanges: string[]; mtu: number | null; promiscuous: boolean | null; shim: Shim | null;
}
interface ConfigSet {
  networks: Net[];
  invalid: { name: string; file: string }[];
  diagnostics: { severity: string; message: string; line?: number }[];
}
type BuildConfigSet = (files: { path: string; text: string }[]) => ConfigSet;

async function parser(): Promise<BuildConfigSet | null> {
  const js = join(ROOT, 'dist/src/config/load.js');
  if (!existsSync(js)) return null;
  const mod: unknown = await import(js);
  if (typeof mod !== 'object' || mod === null || !('buildConfigSet' in mod) || typeof mod.buildConfigSet !== 'function') return null;
  return mod.buildConfigSet as BuildConfigSet;
}

function parseOne(build: BuildConfigSet, path: string, text: string): Net {
  const set = build([{ path, text }]);
  const errors = set.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], `${path} has errors`);
  assert.equal(set.networks.length, 1, `${path}: ${JSON.stringify(set)}`);
  const n = set.networks[0];
  assert.ok(n !== undefined);
  return n;
}

/** What a user would compare: everything but where it came from. */
function essence(n: Net): Omit<Net, 'name'> & { name: string } {
  return {
    name: n.name, parent: n.parent, vlan: n.vlan, driver: n.driver, mode: n.mode, ipvlanFlag: n.ipvlanFlag,
    subnets: n.subnets, gateways: n.gateways, ipRanges: n.ipRanges, mtu: n.mtu, promiscuous: n.promiscuous,
    shim: n.shim === null ? null : {
      name: n.shim.name, addresses: n.shim.addresses, routes: n.shim.routes, routesExplicit: n.shim.routesExplicit, mac: n.shim.mac,
    },
  };
}

test('flatnetd parses each rendered drop-in as the network the Nix attrset described', async (t) => {
  const build = await parser();
  if (build === null) return t.skip('needs the built parser: dist/src/config/load.js with buildConfigSet (npm run build)');
  const want = expectedTexts();
  const got = (name: string): Net => {
    const text = want.get(name);
    assert.ok(text !== undefined, name);
    return parseOne(build, `/etc/flatnet.d/${name}.conf`, text);
  };
  assert.deepEqual(essence(got('lan200')), {
    name: 'lan200', parent: 'enp3s0', vlan: 200, driver: 'macvlan', mode: 'bridge', ipvlanFlag: null,
    subnets: ['192.168.88.0/24'], gateways: ['192.168.88.1'], ipRanges: ['192.168.88.192/27'], mtu: null, promiscuous: null,
    shim: { name: 'docker-link', addresses: ['192.168.88.192/32'], routes: ['192.168.88.192/27'], routesExplicit: false, mac: null },
  });
  assert.deepEqual(essence(got('l3')), {
    name: 'l3', parent: 'enp3s0', vlan: null, driver: 'ipvlan', mode: 'l3', ipvlanFlag: 'private',
    subnets: ['10.20.0.0/24', 'fd00:20::/64'], gateways: ['10.20.0.1', 'fd00:20::1'], ipRanges: ['10.20.0.128/25'],
    mtu: 1400, promiscuous: null, shim: null,
  });
  assert.deepEqual(essence(got('internal')), {
    name: 'internal', parent: null, vlan: null, driver: 'macvlan', mode: 'bridge', ipvlanFlag: null,
    subnets: ['172.30.0.0/24'], gateways: [], ipRanges: [], mtu: null, promiscuous: null,
    shim: { name: 'shim-internal', addresses: ['172.30.0.2/24'], routes: [], routesExplicit: true, mac: '02:42:ac:1e:00:02' },
  });
  assert.deepEqual(essence(got('vepa')), {
    name: 'vepa', parent: 'ens33', vlan: null, driver: 'macvlan', mode: 'vepa', ipvlanFlag: null,
    subnets: [], gateways: [], ipRanges: [], mtu: null, promiscuous: true, shim: null,
  });
});

/** A parsed network as services.flatnetd.networks.<name> would say it. */
function toNix(n: Net): Record<string, unknown> {
  return {
    parent: n.parent, vlan: n.vlan, driver: n.driver, mode: n.mode, ipvlanFlag: n.ipvlanFlag,
    subnet: n.subnets, gateway: n.gateways, ipRange: n.ipRanges, mtu: n.mtu, promiscuous: n.promiscuous,
    shim: n.shim === null ? null : {
      name: n.shim.name, address: n.shim.addresses, route: n.shim.routesExplicit ? n.shim.routes : null, macAddress: n.shim.mac,
    },
  };
}

test('every example in etc/flatnet.d survives example → NixOS option → module → drop-in → parser', async (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const build = await parser();
  if (build === null) return t.skip('needs the built parser: dist/src/config/load.js with buildConfigSet (npm run build)');
  const dir = join(ROOT, 'etc/flatnet.d');
  const examples = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.conf')).sort() : [];
  if (examples.length === 0) return t.skip('no examples yet in etc/flatnet.d/*.conf');
  const originals = examples.map((f) => parseOne(build, join(dir, f), readFileSync(join(dir, f), 'utf8')));
  const tmp = mkdtempSync(join(tmpdir(), 'fnt-nix-'));
  try {
    const json = join(tmp, 'networks.json');
    writeFileSync(json, JSON.stringify(Object.fromEntries(originals.map((n) => [n.name, toNix(n)]))));
    const out = nixEval(EVAL_MODULE(`{ networks = builtins.fromJSON (builtins.readFile ${json}); }`)) as ModuleOut;
    for (const n of originals) {
      const text = out.etc[`flatnet.d/${n.name}.conf`]?.text;
      assert.ok(text !== undefined, `the module wrote no flatnet.d/${n.name}.conf`);
      assert.deepEqual(essence(parseOne(build, `/etc/flatnet.d/${n.name}.conf`, text)), essence(n), n.name);
    }
    t.diagnostic(`round-tripped ${originals.length} example(s): ${examples.join(', ')}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/**
 * What NixOS makes of the module's environment.etc (nixos/modules/system/etc):
 * each text is a store file, /etc/static is a link to a store tree of links
 * to them, and the activation links /etc/<name> → /etc/static/<name>.
 */
function nixosEtc(root: string, etc: Record<string, { text?: string }>): string {
  const store = join(root, 'nix', 'store');
  mkdirSync(store, { recursive: true });
  chmodSync(store, 0o1775);
  const tree = join(store, '0000000000000000000000000000000a-etc', 'etc');
  let i = 0;
  for (const [target, { text }] of Object.entries(etc)) {
    if (text === undefined) continue;
    const file = join(store, `${String(i++).padStart(32, 'b')}-${basename(target)}`);
    writeFileSync(file, text);
    chmodSync(file, 0o444);
    mkdirSync(dirname(join(tree, target)), { recursive: true });
    symlinkSync(file, join(tree, target));
    mkdirSync(dirname(join(root, 'etc', target)), { recursive: true });
    symlinkSync(join(root, 'etc', 'static', target), join(root, 'etc', target));
  }
  symlinkSync(tree, join(root, 'etc', 'static'));
  return join(root, 'etc', 'flatnet.d');
}

test("what the module writes is what flatnetd reads: NixOS's /etc/flatnet.d links through /etc/static into the store", async (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  if (process.getuid?.() !== 0) return t.skip('needs root: the store files must be root\'s, as on NixOS (flatnetd trusts no one else\'s)');
  const ctlJs = join(ROOT, 'dist/src/cli/flatnetctl.js');
  if (!existsSync(ctlJs)) return t.skip('needs the built flatnetctl (npm run build)');
  const out = nixEval(EVAL_MODULE('{ }')) as ModuleOut;
  const root = mkdtempSync(join(tmpdir(), 'fnt-nixos-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = nixosEtc(root, out.etc);
  const names = [...expectedTexts().keys()].sort();
  const r = run(process.execPath, [ctlJs, 'check', '--json', dir]);
  const parsed = JSON.parse(r.stdout) as { OK: boolean; Networks: { Name: string; File: string }[]; Diagnostics: { Text: string }[] };
  assert.deepEqual(parsed.Diagnostics.filter((d) => /symlink|unreadable|nothing to check/.test(d.Text)), [], 'every link followed');
  assert.deepEqual(parsed.Networks.map((n) => n.Name).sort(), names, `every network the module wrote is read: ${r.stdout}`);
  for (const n of parsed.Networks) assert.equal(n.File, join(dir, `${n.Name}.conf`), 'named by the link in /etc/flatnet.d');
});

interface LockModule { version?: string; resolved?: string; integrity?: string; link?: boolean; name?: string }
interface PackageEval {
  hasNpmDepsHash: boolean;
  npmConfigHook: string;
  npmDeps: { importNpmLockArgs: { package: { name: string }; packageLock: { packages: Record<string, LockModule> } } };
  preBuild: string;
  installPhase: string;
  env: { ESBUILD: string };
}

test('nix/package.nix takes the npm modules through importNpmLock: no npmDepsHash, every module fetched by the lock\'s own integrity', (t) => {
  if (!have('nix-instantiate')) return t.skip(NEED_NIX);
  const r = nixEval(`let r = import ${FIX}/eval-package.nix; in { hasNpmDepsHash = r ? npmDepsHash; inherit (r) npmConfigHook npmDeps preBuild installPhase env; }`) as PackageEval;
  assert.equal(r.hasNpmDepsHash, false, 'no npmDepsHash (lib.fakeHash made every first build fail)');
  assert.equal(r.npmConfigHook, 'importNpmLock.npmConfigHook');
  assert.equal(r.npmDeps.importNpmLockArgs.package.name, 'flatnetd');
  const ours = (JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockModule> }).packages;
  const given = r.npmDeps.importNpmLockArgs.packageLock.packages;
  assert.deepEqual(Object.keys(given).sort(), Object.keys(ours).sort());
  for (const [path, m] of Object.entries(ours)) {
    if (path === '' || m.link === true) continue;
    const got = given[path];
    assert.ok(got !== undefined && m.version !== undefined);
    // importNpmLock fetches `resolved` with `integrity` as the hash: both must be there.
    assert.equal(got.integrity, m.integrity, path);
    const name = m.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    assert.equal(got.resolved, m.resolved ?? `https://registry.npmjs.org/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${m.version}.tgz`, path);
  }
  assert.equal(given['node_modules/@types/node']?.resolved, `https://registry.npmjs.org/@types/node/-/node-${ours['node_modules/@types/node']?.version ?? ''}.tgz`);
  // The addon is built in the derivation, against its own nodejs, and installed beside dist/.
  assert.match(r.preBuild, /npm run-script install/);
  assert.match(r.installPhase, /native\/notify\/build\/Release\/flatnetd_notify\.node/);
  // The daemon ships bundled (scripts/bundle.mjs) by nixpkgs' esbuild, not the prebuilt binary npm fetched.
  assert.equal(r.env.ESBUILD, '/nix/store/00000000000000000000000000000000-esbuild/bin/esbuild');
  assert.match(r.installPhase, /cp -r dist\/src dist\/bundle \$lib\/dist\//);
});

test('nix/package.nix installs every file the Debian package installs (units, bus policy and interfaces, polkit action, udev, completions)', () => {
  const install = readFileSync(join(ROOT, 'debian/flatnetd.install'), 'utf8');
  const nix = readFileSync(join(ROOT, 'nix/package.nix'), 'utf8');
  const sources = install.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((s) => s !== '' && !s.startsWith('debian/'));
  assert.ok(sources.length > 10, 'the install list was read');
  // package.nix names a file outright or through a loop over its varying part.
  const named = (src: string): boolean => nix.includes(src)
    || nix.includes(src.replace(/(docker|podman-restart|podman|containerd|kubelet)\.service\.d/, '$d.service.d'))
    || nix.includes(src.replace(/\.(Manager|Network)\.xml$/, '.$i.xml'));
  assert.deepEqual(sources.filter((s) => !named(s)), [], 'installed by the .deb but not by the Nix package');
});
