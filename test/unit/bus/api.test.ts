import { test } from 'node:test';
import assert from 'node:assert/strict';
import { introspectionXml, MANAGER, NETWORK, OBJECT_MANAGER } from '../../../src/bus/api.js';
import { toJson } from '../../../src/bus/json.js';
import { diagnosticDict } from '../../../src/bus/dicts.js';
import { canonicalInterface, childNodes, interfacesOf, parseXml, publishedInterface } from '../../fixtures/bus/introspection.js';
import { fakeNetwork } from '../../fixtures/bus/stub-daemon.js';

test('the Manager table is dbus/org.flatnet.flatnet1.Manager.xml, member for member', () => {
  const served = interfacesOf(parseXml(introspectionXml([MANAGER], [])));
  const mine = served.get('org.flatnet.flatnet1.Manager');
  assert.ok(mine);
  assert.deepEqual(canonicalInterface(mine, { argNames: true }),
    canonicalInterface(publishedInterface('org.flatnet.flatnet1.Manager.xml'), { argNames: true }));
});

test('the Network table is dbus/org.flatnet.flatnet1.Network.xml, member for member', () => {
  const served = interfacesOf(parseXml(introspectionXml([NETWORK], [])));
  const mine = served.get('org.flatnet.flatnet1.Network');
  assert.ok(mine);
  assert.deepEqual(canonicalInterface(mine, { argNames: true }),
    canonicalInterface(publishedInterface('org.flatnet.flatnet1.Network.xml'), { argNames: true }));
});

test('the published XML has what issue 3 asks for', () => {
  const manager = canonicalInterface(publishedInterface('org.flatnet.flatnet1.Manager.xml'));
  for (const m of ['ListNetworks(out a(sso))', 'GetNetwork(in s, out o)', 'Describe(out s)', 'Plan(out aa{sv}, out aa{sv})',
    'DockerArgs(in s, out as)', 'PodmanArgs(in s, out as)', 'CniConfig(in s, out s)', 'RouterHints(in s, in s, out s)', 'Check(in s, in s, out s, out aa{sv})', 'Reload()', 'Reconcile()', 'Up(in s)', 'Down(in s)']) {
    assert.ok(manager.includes(`method ${m}`), m);
  }
  const names = (lines: string[]): string[] => lines.filter((l) => l.startsWith('property ')).map((l) => l.split(' ')[1] ?? '');
  assert.deepEqual(names(manager), ['Diagnostics', 'Engines', 'KernelEvents', 'Networks', 'Resyncs', 'Runs', 'State', 'Version', 'Writes']);
  assert.ok(manager.includes('property Engines aa{sv} read emits=true'), 'issue 15: the engines, typed');
  const network = canonicalInterface(publishedInterface('org.flatnet.flatnet1.Network.xml'));
  for (const p of ['Name', 'State', 'ConfigFile', 'Parent', 'ParentIfIndex', 'VLAN', 'Driver', 'Mode', 'Shim', 'ShimIfIndex',
    'Carrier', 'Addresses', 'LiveAddresses', 'Routes', 'IPRanges', 'LastError', 'LastChangeUSec', 'RestoreCount',
    'ReattachCount', 'LastReattachUSec', 'ReattachPending', 'ReattachError', 'EngineDiagnostics']) {
    assert.ok(names(network).includes(p), p);
  }
  assert.ok(network.includes('property LastChangeUSec t read emits=true'));
  assert.ok(network.includes('property Name s read emits=const'));
  for (const line of [...manager, ...network].filter((l) => l.startsWith('property '))) {
    assert.match(line, / read emits=(true|const|false)$/, 'every property is read-only and says whether it signals');
  }
  for (const m of ['Up()', 'Down()', 'Reconcile()']) assert.ok(network.includes(`method ${m}`), m);
});

test('introspection lists children and standard interfaces and escapes attribute text', () => {
  const node = parseXml(introspectionXml([OBJECT_MANAGER], ['lan', '_310_2dguest']));
  assert.deepEqual(childNodes(node), ['_310_2dguest', 'lan']);
  assert.deepEqual(canonicalInterface(interfacesOf(node).get('org.freedesktop.DBus.ObjectManager') ?? assert.fail()), [
    'method GetManagedObjects(out a{oa{sa{sv}}})', 'signal InterfacesAdded(o, a{sa{sv}})', 'signal InterfacesRemoved(o, as)',
  ]);
});

test('network properties carry bus-typed values, clamped where the kernel could hand us nonsense', () => {
  const v = (name: string, over = {}): unknown => NETWORK.properties.find((p) => p.name === name)?.get(fakeNetwork('lan', over));
  assert.equal(v('VLAN'), 200);
  assert.equal(v('VLAN', { vlan: 5000 }), 0);
  assert.equal(v('ParentIfIndex', { parentIfIndex: -1 }), 0);
  assert.equal(v('LastChangeUSec'), 1700000000123456n);
  assert.equal(v('RestoreCount', { restoreCount: 2 ** 40 }), 0xffffffff);
  assert.deepEqual(v('Addresses'), ['192.168.88.192/32']);
});

test('diagnostics travel as a{sv} with documented keys; a key that does not apply is left out', () => {
  const plain = (d: Record<string, { signature: string; value: unknown }>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(d).map(([k, v]) => [k, `${v.signature}:${String(v.value)}`]));
  assert.deepEqual(plain(diagnosticDict({ severity: 'error', code: 'invalid-value', file: '/etc/flatnet.d/10-lan.conf', line: 7,
    key: 'VLAN', value: '5000', message: 'must be 1..4094', network: '10-lan' })), {
    Severity: 's:error', Code: 's:invalid-value', Message: 's:must be 1..4094',
    Text: 's:/etc/flatnet.d/10-lan.conf:7: VLAN=5000: must be 1..4094', File: 's:/etc/flatnet.d/10-lan.conf', Line: 'u:7',
    Key: 's:VLAN', Value: 's:5000', Network: 's:10-lan',
  });
  assert.deepEqual(plain(diagnosticDict({ severity: 'warning', code: 'conflict', object: 'shim-lan', message: 'x' })),
    { Severity: 's:warning', Code: 's:conflict', Message: 's:x', Text: 's:shim-lan: x', Object: 's:shim-lan' });
});

test('JSON: bigint as a number when exact, else as a string', () => {
  assert.equal(toJson({ a: 1700000000123456n, b: 2n ** 64n - 1n, c: -5n }), '{"a":1700000000123456,"b":"18446744073709551615","c":-5}');
  assert.equal(toJson(undefined), 'null');
});
