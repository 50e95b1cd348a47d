// Changes reach clients as signals, as they happen, seen with `busctl monitor`:
// PropertiesChanged with exactly what changed, InterfacesAdded/Removed as
// networks come and go; and the daemon learns at once when the bus goes away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUS_NAME, busctl, MANAGER, startBus, startDaemon, startMonitor, type BusMessage, type Daemon, type TestBus } from '../support/dbus-harness.js';

let bus: TestBus;
let daemon: Daemon;
let monitor: Awaited<ReturnType<typeof startMonitor>>;

before(async () => {
  bus = await startBus('system');
  daemon = await startDaemon(bus);
  monitor = await startMonitor(bus);
});
after(async () => {
  await monitor?.stop();
  await daemon?.stop();
  await bus?.stop();
});

const NET = '/org/flatnet/flatnet1/network';
const isChange = (path: string, iface: string) => (m: BusMessage): boolean =>
  m.type === 'signal' && m.member === 'PropertiesChanged' && m.path === path && m.payload?.data[0] === iface;
const changed = (m: BusMessage): Record<string, { type: string; data: unknown }> =>
  (m.payload?.data[1] ?? {}) as Record<string, { type: string; data: unknown }>;

test('a call that changes a network: PropertiesChanged with what changed, before the reply', async () => {
  const from = monitor.out.all.length;
  const r = await busctl(bus, ['call', BUS_NAME, ...MANAGER, 'Down', 's', 'lan']);
  assert.equal(r.code, 0, r.stderr);
  const call = await monitor.next((m) => m.type === 'method_call' && m.member === 'Down', from);
  const signal = await monitor.next(isChange(`${NET}/lan`, 'org.flatnet.flatnet1.Network'), from);
  const reply = await monitor.next((m) => m.type === 'method_return' && m.reply_cookie === call.cookie && m.sender === signal.sender, from);
  assert.ok(signal.index < reply.index, 'the change is signalled before the call returns');
  const props = changed(signal);
  assert.deepEqual(props['State'], { type: 's', data: 'down' });
  assert.equal(props['Name'], undefined, 'unchanged properties are not sent');
  assert.equal(props['Parent'], undefined);
  assert.deepEqual(signal.payload?.data[2], []);
});

test('a change inside the daemon (not a call) is signalled too, with only that property', async (t) => {
  if (!daemon.isStub) return t.skip('drives the stub daemon');
  const from = monitor.out.all.length;
  await daemon.send({ set: { name: 'iot', carrier: true } });
  const signal = await monitor.next(isChange(`${NET}/iot`, 'org.flatnet.flatnet1.Network'), from);
  assert.deepEqual(Object.keys(changed(signal)).sort(), ['Carrier', 'LastChangeUSec']);
  assert.deepEqual(changed(signal)['Carrier'], { type: 'b', data: true });
});

test('onChange with nothing changed sends nothing', async (t) => {
  if (!daemon.isStub) return t.skip('drives the stub daemon');
  const from = monitor.out.all.length;
  await daemon.send({ poke: 'lan' });
  await daemon.send({ manager: 'degraded' });
  // Signals from one sender arrive in order: the first change after the poke is the manager's.
  const first = await monitor.next((m) => m.type === 'signal', from);
  assert.equal(first.path, MANAGER[0]);
  assert.deepEqual(changed(first), { State: { type: 's', data: 'degraded' } });
  await daemon.send({ manager: 'running' });
});

test('a network that appears: InterfacesAdded with its properties, then the Manager\'s Networks', async (t) => {
  if (!daemon.isStub) return t.skip('drives the stub daemon');
  const from = monitor.out.all.length;
  await daemon.send({ add: { name: 'guest-2', state: 'pending' } });
  const added = await monitor.next((m) => m.member === 'InterfacesAdded', from);
  assert.equal(added.path, MANAGER[0]);
  assert.equal(added.interface, 'org.freedesktop.DBus.ObjectManager');
  const [path, ifaces] = added.payload?.data ?? [];
  assert.equal(path, `${NET}/guest_2d2`);
  const props = (ifaces as Record<string, Record<string, { data: unknown }>>)['org.flatnet.flatnet1.Network'] ?? {};
  assert.equal(props['Name']?.data, 'guest-2');
  assert.equal(props['State']?.data, 'pending');
  const networks = await monitor.next(isChange(MANAGER[0], 'org.flatnet.flatnet1.Manager'), added.index);
  assert.ok((changed(networks)['Networks']?.data as string[]).includes(`${NET}/guest_2d2`));
  const tree = await busctl(bus, ['tree', '--list', BUS_NAME]);
  assert.match(tree.stdout, /network\/guest_2d2$/m);
});

test('a network that goes: InterfacesRemoved, the object is gone, Networks shrinks', async (t) => {
  if (!daemon.isStub) return t.skip('drives the stub daemon');
  const from = monitor.out.all.length;
  await daemon.send({ remove: 'guest-2' });
  const removed = await monitor.next((m) => m.member === 'InterfacesRemoved', from);
  assert.deepEqual(removed.payload?.data, [`${NET}/guest_2d2`, ['org.flatnet.flatnet1.Network']]);
  const networks = await monitor.next(isChange(MANAGER[0], 'org.flatnet.flatnet1.Manager'), removed.index);
  assert.ok(!(changed(networks)['Networks']?.data as string[]).includes(`${NET}/guest_2d2`));
  const gone = await busctl(bus, ['get-property', BUS_NAME, `${NET}/guest_2d2`, 'org.flatnet.flatnet1.Network', 'State']);
  assert.equal(gone.code, 1);
});

test('Reload: the Manager State goes reloading, then back to running', async (t) => {
  if (!daemon.isStub) return t.skip('the stub\'s reload passes through reloading');
  const from = monitor.out.all.length;
  await busctl(bus, ['call', BUS_NAME, ...MANAGER, 'Reload']);
  const a = await monitor.next(isChange(MANAGER[0], 'org.flatnet.flatnet1.Manager'), from);
  const b = await monitor.next(isChange(MANAGER[0], 'org.flatnet.flatnet1.Manager'), a.index + 1);
  assert.deepEqual([changed(a)['State']?.data, changed(b)['State']?.data], ['reloading', 'running']);
});

test('when the bus goes away the daemon hears of it at once and exits', async (t) => {
  if (!daemon.isStub) return t.skip('the exit message is the stub\'s');
  await bus.proc.stop();
  const code = await daemon.proc.exited;
  assert.equal(code, 1);
  assert.match(daemon.proc.out.text(), /^BUS LOST: the system bus closed the connection$/m);
});
