// What busctl sees on a bus with our policy: the live introspection is
// dbus/*.xml, the tree has every network, every property reads with its type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalInterface, childNodes, interfacesOf, parseXml, publishedInterface } from '../fixtures/bus/introspection.js';
import { BUS_NAME, busctl, busctlJson, daemonOnBus, MANAGER, type Daemon, type TestBus } from '../support/dbus-harness.js';

let bus: TestBus;
let daemon: Daemon;
/** The network objects: the stub's four, or whatever the real daemon has. */
let NETWORK_PATHS: string[];

daemonOnBus(async (b, d) => {
  bus = b;
  daemon = d;
  NETWORK_PATHS = daemon.isStub ? STUB_PATHS
    : ((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Networks'])).data as string[]).sort();
});

const NET = '/org/flatnet/flatnet1/network';
const STUB_PATHS = [`${NET}/_310_2dguest`, `${NET}/fragile`, `${NET}/iot`, `${NET}/lan`];

async function introspect(path: string): Promise<ReturnType<typeof parseXml>> {
  const r = await busctl(bus, ['introspect', '--xml-interface', BUS_NAME, path]);
  assert.equal(r.code, 0, r.stderr);
  return parseXml(r.stdout);
}

function propertyTypes(file: string): Map<string, string> {
  return new Map(publishedInterface(file).children.filter((c) => c.tag === 'property')
    .map((c) => [c.attrs['name'] ?? '', c.attrs['type'] ?? '']));
}

test('the Manager object introspects exactly as dbus/org.flatnet.flatnet1.Manager.xml, with the ObjectManager', async () => {
  const node = await introspect(MANAGER[0]);
  const ifaces = interfacesOf(node);
  const live = ifaces.get('org.flatnet.flatnet1.Manager');
  assert.ok(live, 'Manager interface present');
  assert.deepEqual(canonicalInterface(live, { argNames: true }),
    canonicalInterface(publishedInterface('org.flatnet.flatnet1.Manager.xml'), { argNames: true }));
  assert.deepEqual([...ifaces.keys()].sort(), ['org.flatnet.flatnet1.Manager', 'org.freedesktop.DBus.Introspectable',
    'org.freedesktop.DBus.ObjectManager', 'org.freedesktop.DBus.Peer', 'org.freedesktop.DBus.Properties']);
  assert.deepEqual(childNodes(node), ['network']);
});

test('every network object introspects exactly as dbus/org.flatnet.flatnet1.Network.xml', async () => {
  const published = canonicalInterface(publishedInterface('org.flatnet.flatnet1.Network.xml'), { argNames: true });
  for (const path of NETWORK_PATHS) {
    const live = interfacesOf(await introspect(path)).get('org.flatnet.flatnet1.Network');
    assert.ok(live, path);
    assert.deepEqual(canonicalInterface(live, { argNames: true }), published, path);
  }
  assert.deepEqual(childNodes(await introspect(NET)), NETWORK_PATHS.map((p) => p.slice(NET.length + 1)));
});

test('busctl (a parser none of us wrote) reads every member with its signature', async () => {
  const r = await busctl(bus, ['introspect', BUS_NAME, MANAGER[0], 'org.flatnet.flatnet1.Manager']);
  assert.equal(r.code, 0, r.stderr);
  const rows = new Map(r.stdout.split('\n').filter((l) => l.startsWith('.')).map((l) => {
    const [name = '', type = '', sig = '', result = ''] = l.split(/\s+/);
    return [name.slice(1), `${type} ${sig} ${type === 'method' ? result : ''}`.trim()];
  }));
  assert.equal(rows.get('GetNetwork'), 'method s o');
  assert.equal(rows.get('DockerArgs'), 'method s as');
  assert.equal(rows.get('PodmanArgs'), 'method s as');
  assert.equal(rows.get('CniConfig'), 'method s s');
  assert.equal(rows.get('RouterHints'), 'method ss s');
  assert.equal(rows.get('Check'), 'method ss saa{sv}');
  assert.equal(rows.get('ListNetworks'), 'method - a(sso)');
  assert.equal(rows.get('Reload'), 'method - -');
  assert.equal(rows.get('Diagnostics'), 'property aa{sv}');
  assert.equal(rows.get('Plan'), 'method - aa{sv}aa{sv}');
  assert.equal(rows.get('PlanFiles'), 'method a{ss} aa{sv}aa{sv}aa{sv}');
  assert.equal(rows.get('Runs'), 'property t');
  assert.equal(rows.get('Engines'), 'property aa{sv}');
  assert.equal(rows.get('Probe'), 'method sb uaa{sv}as');
  assert.equal(rows.size, 24);
  const flags = r.stdout.split('\n').filter((l) => l.startsWith('.Version') || l.startsWith('.State'));
  assert.match(flags.find((l) => l.startsWith('.Version')) ?? '', /\bconst$/);
  assert.match(flags.find((l) => l.startsWith('.State')) ?? '', /\bemits-change$/);
});

test('busctl tree shows the manager and every network', async () => {
  const r = await busctl(bus, ['tree', '--list', BUS_NAME]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['/', '/org', '/org/flatnet', MANAGER[0], NET, ...NETWORK_PATHS].sort());
});

test('every Manager property reads with its published type', async () => {
  const types = propertyTypes('org.flatnet.flatnet1.Manager.xml');
  for (const [name, type] of types) {
    const v = await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, name]);
    assert.equal(v.type, type, name);
  }
  assert.equal((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'State'])).data, 'running');
  if (daemon.isStub) {
    assert.deepEqual((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Networks'])).data,
      [`${NET}/lan`, `${NET}/iot`, `${NET}/_310_2dguest`, `${NET}/fragile`]);
    const s = (data: string): { type: string; data: string } => ({ type: 's', data });
    assert.deepEqual((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Diagnostics'])).data, [{
      Severity: s('warning'), Code: s('unknown-key'), File: s('/etc/flatnet.d/lan.conf'), Line: { type: 'u', data: 9 },
      Key: s('Colour'), Value: s('blue'), Network: s('lan'), Message: s('unknown key, ignoring'),
      Text: s('/etc/flatnet.d/lan.conf:9: Colour=blue: unknown key, ignoring'),
    }]);
    assert.equal((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'KernelEvents'])).data, 2 ** 40);
    assert.equal((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Runs'])).data, 7);
  }
});

test('every Network property of every network reads with its published type', async (t) => {
  const types = propertyTypes('org.flatnet.flatnet1.Network.xml');
  for (const path of NETWORK_PATHS) {
    for (const [name, type] of types) {
      const v = await busctlJson(bus, ['get-property', BUS_NAME, path, 'org.flatnet.flatnet1.Network', name]);
      assert.equal(v.type, type, `${path} ${name}`);
    }
  }
  if (!daemon.isStub) return t.skip('values are the stub daemon\'s');
  const get = async (name: string): Promise<unknown> =>
    (await busctlJson(bus, ['get-property', BUS_NAME, `${NET}/_310_2dguest`, 'org.flatnet.flatnet1.Network', name])).data;
  assert.equal(await get('Name'), '10-guest');
  assert.equal(await get('State'), 'degraded');
  assert.equal(await get('LastError'), 'shim-10-guest: address 192.168.88.193/32: File exists');
  assert.equal(await get('LastChangeUSec'), 1700000000123456);
  assert.deepEqual(await get('Addresses'), ['192.168.88.192/32']);
  assert.equal(await get('Carrier'), true);
});

test('GetAll and GetManagedObjects give every published property of every network', async () => {
  const names = [...propertyTypes('org.flatnet.flatnet1.Network.xml').keys()].sort();
  const all = await busctlJson(bus, ['call', BUS_NAME, `${NET}/lan`, 'org.freedesktop.DBus.Properties', 'GetAll', 's', 'org.flatnet.flatnet1.Network']);
  assert.deepEqual(Object.keys((all.data as Record<string, unknown>[])[0] ?? {}).sort(), names);
  const managed = await busctlJson(bus, ['call', BUS_NAME, MANAGER[0], 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects']);
  assert.equal(managed.type, 'a{oa{sa{sv}}}');
  const objects = (managed.data as Record<string, Record<string, Record<string, { type: string; data: unknown }>>>[])[0] ?? {};
  assert.deepEqual(Object.keys(objects).sort(), NETWORK_PATHS);
  for (const path of NETWORK_PATHS) {
    const props = objects[path]?.['org.flatnet.flatnet1.Network'] ?? {};
    assert.deepEqual(Object.keys(props).sort(), names, path);
  }
  if (daemon.isStub) assert.equal(objects[`${NET}/iot`]?.['org.flatnet.flatnet1.Network']?.['State']?.data, 'waiting-for-parent');
  const managerAll = await busctlJson(bus, ['call', BUS_NAME, MANAGER[0], 'org.freedesktop.DBus.Properties', 'GetAll', 's', MANAGER[1]]);
  assert.deepEqual(Object.keys((managerAll.data as Record<string, unknown>[])[0] ?? {}).sort(),
    [...propertyTypes('org.flatnet.flatnet1.Manager.xml').keys()].sort());
});

test('the state lists are the same in the code, the introspection XML and flatnetd(8)', async () => {
  const { NETWORK_STATES, MANAGER_STATES } = await import('../../src/model/status.js');
  const { readFileSync } = await import('node:fs');
  const { REPO } = await import('../support/dbus-harness.js');
  const xml = (file: string): string[] => {
    const text = readFileSync(`${REPO}dbus/${file}`, 'utf8');
    const m = /<!--\s*([a-z-]+(?:\s*\|\s*[a-z-]+)+)/.exec(text.slice(0, text.indexOf('<property name="State"')).split('<property').pop() ?? '');
    return (m?.[1] ?? '').split('|').map((x) => x.trim());
  };
  assert.deepEqual(xml('org.flatnet.flatnet1.Network.xml'), [...NETWORK_STATES]);
  assert.deepEqual(xml('org.flatnet.flatnet1.Manager.xml'), [...MANAGER_STATES]);
  const man = readFileSync(`${REPO}docs/flatnetd.8.md`, 'utf8');
  const section = man.slice(man.indexOf('# NETWORK STATES'), man.indexOf('\n# ', man.indexOf('# NETWORK STATES') + 1));
  assert.deepEqual([...section.matchAll(/^\*([a-z-]+)\*$/gm)].map((m) => m[1]), [...NETWORK_STATES]);
});
