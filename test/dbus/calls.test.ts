// Calls and their errors, as root on a bus with our policy: error names (seen
// with dbus-send) and messages a person can act on, never a stack trace; bad
// input changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUS_NAME, busctl, busctlJson, dbusSend, MANAGER, daemonOnBus, type Daemon, type TestBus } from '../support/dbus-harness.js';

let bus: TestBus;
let daemon: Daemon;

daemonOnBus((b, d) => { bus = b; daemon = d; });

const NET = '/org/flatnet/flatnet1/network';
const M = 'org.flatnet.flatnet1.Manager';
const call = (member: string, ...args: string[]): ReturnType<typeof busctlJson> =>
  busctlJson(bus, ['call', BUS_NAME, ...MANAGER, member, ...args]);

async function state(path: string): Promise<unknown> {
  return (await busctlJson(bus, ['get-property', BUS_NAME, path, 'org.flatnet.flatnet1.Network', 'State'])).data;
}

test('ListNetworks and GetNetwork: every network\'s name, state and object path agree', async () => {
  const list = await call('ListNetworks');
  assert.equal(list.type, 'a(sso)');
  const rows = (list.data as [string, string, string][][])[0] ?? [];
  const paths = (await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Networks'])).data as string[];
  assert.deepEqual(rows.map((r) => r[2]).sort(), [...paths].sort(), 'ListNetworks and Networks agree');
  for (const [name, st, path] of rows) {
    assert.deepEqual((await call('GetNetwork', 's', name)).data, [path], name);
    assert.equal(await state(path), st, name);
  }
});

test('ListNetworks: the names, states and escaped object paths of the stub daemon\'s networks', async (t) => {
  if (!daemon.isStub) return t.skip('the networks are the stub daemon\'s');
  const rows = ((await call('ListNetworks')).data as [string, string, string][][])[0] ?? [];
  assert.deepEqual(rows.map((r) => r[0]).sort(), ['10-guest', 'fragile', 'iot', 'lan']);
  assert.deepEqual(rows.find((r) => r[0] === '10-guest'), ['10-guest', 'degraded', `${NET}/_310_2dguest`]);
});

test('Plan answers typed dicts a client reads without JSON: the operations, and the networks blocked and why', async (t) => {
  const r = await call('Plan');
  assert.equal(r.type, 'aa{sv}aa{sv}');
  if (!daemon.isStub) return t.skip('the planned ops are the stub daemon\'s');
  const [ops, blocked] = r.data as Record<string, { type: string; data: unknown }>[][];
  const flat = (d: Record<string, { type: string; data: unknown }> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(d ?? {}).map(([k, v]) => [k, `${v.type} ${JSON.stringify(v.data)}`]));
  assert.deepEqual(ops?.map(flat), [{
    Action: 's "addr-add"', Link: 's "shim-lan"', Networks: 'as ["lan"]', Reason: 's "missing"', Address: 's "192.168.88.192/32"',
    Description: 's "add address 192.168.88.192/32 to shim-lan for lan: missing"',
  }]);
  assert.deepEqual(blocked?.map(flat), [
    { Network: 's "iot"', Path: `o "${NET}/iot"`, State: 's "waiting-for-parent"', Reason: 's "waiting for enp4s0 to appear"' },
    { Network: 's "10-guest"', Path: `o "${NET}/_310_2dguest"`, State: 's "degraded"', Reason: 's "shim-10-guest: address 192.168.88.193/32: File exists"' },
    { Network: 's "fragile"', Path: `o "${NET}/fragile"`, State: 's "failed"', Reason: 's "failed"' },
  ]);
});

test('Describe answers JSON; a 64-bit value that a double cannot hold comes as a string', async () => {
  const d = JSON.parse(String(((await call('Describe')).data as unknown[])[0])) as Record<string, unknown>;
  assert.equal(typeof d, 'object');
  if (daemon.isStub) {
    assert.equal(d['big'], '18446744073709551615');
    assert.equal((d['networks'] as { lastChangeUSec: unknown }[])[0]?.lastChangeUSec, 1700000000123456);
  }
});

test('DockerArgs: the argv for docker network create', async () => {
  const argv = ((await call('DockerArgs', 's', 'lan')).data as string[][])[0] ?? [];
  assert.deepEqual(argv.slice(0, 3), ['docker', 'network', 'create']);
  assert.ok(argv.some((a) => a.startsWith('parent=')), argv.join(' '));
  if (daemon.isStub) assert.ok(argv.includes('parent=enp3s0.200'), argv.join(' '));
  assert.equal(argv[argv.length - 1], 'lan');
});

test('an unknown network: NoSuchNetwork, with what to do', async () => {
  for (const member of ['GetNetwork', 'DockerArgs', 'Up', 'Down']) {
    const r = await dbusSend(bus, MANAGER[0], `${M}.${member}`, ['string:nope']);
    assert.equal(r.error, 'org.flatnet.flatnet1.Error.NoSuchNetwork', member);
    assert.equal(r.text, 'no network named "nope" (flatnetctl list shows the configured ones)');
  }
});

test('bad names and wrong signatures: InvalidArgs, with the reason', async () => {
  const long = await dbusSend(bus, MANAGER[0], `${M}.GetNetwork`, [`string:${'x'.repeat(256)}`]);
  assert.deepEqual([long.error, long.text], ['org.freedesktop.DBus.Error.InvalidArgs', 'network name is 256 bytes long; names are at most 255 bytes']);
  const slash = await dbusSend(bus, MANAGER[0], `${M}.Up`, ['string:a/b']);
  assert.deepEqual([slash.error, slash.text], ['org.freedesktop.DBus.Error.InvalidArgs', `network name "a/b" contains '/'; names cannot contain '/'`]);
  const wrong = await dbusSend(bus, MANAGER[0], `${M}.Up`, ['int32:5']);
  assert.deepEqual([wrong.error, wrong.text], ['org.freedesktop.DBus.Error.InvalidArgs', 'org.flatnet.flatnet1.Manager.Up takes (name s), signature "s", not "i"']);
  const none = await dbusSend(bus, MANAGER[0], `${M}.GetNetwork`);
  assert.equal(none.error, 'org.freedesktop.DBus.Error.InvalidArgs');
  const extra = await dbusSend(bus, `${NET}/lan`, 'org.flatnet.flatnet1.Network.Up', ['string:lan']);
  assert.deepEqual([extra.error, extra.text], ['org.freedesktop.DBus.Error.InvalidArgs', 'org.flatnet.flatnet1.Network.Up takes (no arguments), signature "", not "s"']);
  const getWrong = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Get', ['string:org.flatnet.flatnet1.Network']);
  assert.equal(getWrong.error, 'org.freedesktop.DBus.Error.InvalidArgs');
  assert.equal(await state(`${NET}/lan`), 'configured');
});

test('huge arguments are refused at the size cap, strings and arrays alike, and change nothing', async () => {
  const callsBefore = daemon.calls().length;
  const huge = await busctl(bus, ['call', BUS_NAME, ...MANAGER, 'Up', 's', 'x'.repeat(100_000)]);
  assert.equal(huge.code, 1);
  assert.match(huge.stderr, /arguments too large: flatnetd accepts at most 16384 bytes of arguments per call/);
  const items = Array.from({ length: 20_000 }, (_, i) => `n${i}`);
  const array = await busctl(bus, ['call', BUS_NAME, ...MANAGER, 'Up', 'as', String(items.length), ...items]);
  assert.equal(array.code, 1);
  assert.match(array.stderr, /arguments too large/);
  const sizedWrong = await dbusSend(bus, MANAGER[0], `${M}.Up`, [`array:string:${items.slice(0, 10).join(',')}`]);
  assert.equal(sizedWrong.error, 'org.freedesktop.DBus.Error.InvalidArgs', 'a small wrong-typed array is a signature error');
  assert.equal(daemon.calls().length, callsBefore);
  assert.equal(await state(`${NET}/lan`), 'configured');
});

test('an unexpected failure in the daemon reaches the caller as Failed, without a stack', async (t) => {
  if (!daemon.isStub) return t.skip('needs the stub daemon\'s failing network');
  const r = await dbusSend(bus, MANAGER[0], `${M}.Up`, ['string:fragile']);
  assert.equal(r.error, 'org.flatnet.flatnet1.Error.Failed');
  assert.equal(r.text, 'fragile exploded');
  assert.doesNotMatch(r.stderr, /\bat \S+ \(|\.js:\d+/);
  const c = await dbusSend(bus, MANAGER[0], `${M}.Down`, ['string:fragile']);
  assert.equal(c.error, 'org.flatnet.flatnet1.Error.Conflict');
  assert.equal(c.text, 'shim-fragile: exists and is not ours (no flatnet: alias); rename it or delete it');
});

test('read-only properties: Set fails with PropertyReadOnly and the value stays', async () => {
  const r = await busctl(bus, ['set-property', BUS_NAME, `${NET}/lan`, 'org.flatnet.flatnet1.Network', 'State', 's', 'down']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /org\.flatnet\.flatnet1\.Network\.State is read-only; change the drop-in in \/etc\/flatnet\.d and run flatnetctl reload/);
  const s = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Set',
    ['string:org.flatnet.flatnet1.Network', 'string:State', 'variant:string:down']);
  assert.equal(s.error, 'org.freedesktop.DBus.Error.PropertyReadOnly');
  const v = await busctl(bus, ['set-property', BUS_NAME, ...MANAGER, 'Version', 's', 'evil']);
  assert.equal(v.code, 1);
  assert.equal(await state(`${NET}/lan`), 'configured');
  assert.notEqual((await busctlJson(bus, ['get-property', BUS_NAME, ...MANAGER, 'Version'])).data, 'evil');
  const unknown = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Get', ['string:org.flatnet.flatnet1.Network', 'string:Colour']);
  assert.equal(unknown.error, 'org.freedesktop.DBus.Error.UnknownProperty');
});

test('unknown objects, interfaces and methods get the standard errors', async () => {
  const obj = await dbusSend(bus, `${NET}/nope`, 'org.flatnet.flatnet1.Network.Up');
  assert.equal(obj.error, 'org.freedesktop.DBus.Error.UnknownObject');
  const iface = await dbusSend(bus, MANAGER[0], 'org.flatnet.flatnet1.Network.Up');
  assert.equal(iface.error, 'org.freedesktop.DBus.Error.UnknownInterface');
  const method = await dbusSend(bus, MANAGER[0], `${M}.Explode`);
  assert.equal(method.error, 'org.freedesktop.DBus.Error.UnknownMethod');
  const ping = await busctl(bus, ['call', BUS_NAME, MANAGER[0], 'org.freedesktop.DBus.Peer', 'Ping']);
  assert.equal(ping.code, 0, ping.stderr);
});

test('root may change things: Down then Up through the Manager and through the network object', async (t) => {
  await call('Down', 's', 'lan');
  assert.equal(await state(`${NET}/lan`), 'down');
  await busctlJson(bus, ['call', BUS_NAME, `${NET}/lan`, 'org.flatnet.flatnet1.Network', 'Up']);
  assert.equal(await state(`${NET}/lan`), 'configured');
  await call('Reload');
  await call('Reconcile');
  if (!daemon.isStub) return t.skip('the call log is the stub daemon\'s');
  assert.deepEqual(daemon.calls().filter((c) => !c.startsWith('CALL plan')).slice(-4),
    ['CALL down lan', 'CALL up lan', 'CALL reload', 'CALL reconcile']);
});
