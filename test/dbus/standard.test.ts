// What any D-Bus client expects of any service, tried with clients none of
// us wrote: Peer answers on every path (it belongs to the connection),
// GetAll on an interface that is not there is UnknownInterface (as Get is),
// an unprivileged caller may read the machine id, and an error text never
// repeats a caller's string raw (a newline or an escape sequence would reach
// the caller's terminal, or a journal, as it came).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUS_NAME, busctl, dbusSend, MANAGER, daemonOnBus, run, type TestBus } from '../support/dbus-harness.js';

let bus: TestBus;
daemonOnBus((b) => { bus = b; });

const NET = '/org/flatnet/flatnet1/network';
const PEER = 'org.freedesktop.DBus.Peer';

test('Peer.Ping answers on every path, for root and for nobody', async () => {
  for (const path of ['/', '/org', MANAGER[0], `${NET}/lan`, `${NET}/no_such_network`, '/somewhere/else']) {
    for (const asNobody of [false, true]) {
      const r = await busctl(bus, ['call', BUS_NAME, path, PEER, 'Ping'], { asNobody });
      assert.equal(r.code, 0, `${path} (${asNobody ? 'nobody' : 'root'}): ${r.stderr}`);
    }
  }
});

test('Peer.GetMachineId answers nobody too, on any path', async () => {
  const want = (await run('cat', ['/etc/machine-id'])).stdout.trim();
  for (const path of [MANAGER[0], '/']) {
    const r = await busctl(bus, ['call', BUS_NAME, path, PEER, 'GetMachineId'], { asNobody: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `s "${want}"`);
  }
});

test('GetAll on an interface the object does not have is UnknownInterface, as Get is', async () => {
  for (const [path, iface] of [[`${NET}/lan`, 'org.flatnet.flatnet1.Manager'], [MANAGER[0], 'org.example.Nothing']] as const) {
    const all = await dbusSend(bus, path, 'org.freedesktop.DBus.Properties.GetAll', [`string:${iface}`]);
    assert.equal(all.error, 'org.freedesktop.DBus.Error.UnknownInterface', `${path} ${iface}: ${all.stderr}`);
    const one = await dbusSend(bus, path, 'org.freedesktop.DBus.Properties.Get', [`string:${iface}`, 'string:State']);
    assert.equal(one.error, 'org.freedesktop.DBus.Error.UnknownInterface');
  }
  const peer = await dbusSend(bus, MANAGER[0], 'org.freedesktop.DBus.Properties.GetAll', [`string:${PEER}`]);
  assert.equal(peer.error, null, 'an interface the object has, without properties: an empty dict');
});

test('error texts quote a caller\'s string with its control characters escaped', async () => {
  const evil = 'lan\n\u001b[31mroot# rm -rf ~\u001b[0m\u202e';
  const r = await dbusSend(bus, MANAGER[0], 'org.flatnet.flatnet1.Manager.GetNetwork', [`string:${evil}`]);
  assert.equal(r.error, 'org.flatnet.flatnet1.Error.NoSuchNetwork');
  assert.equal(r.text, 'no network named "lan\\n\\u001b[31mroot# rm -rf ~\\u001b[0m\\u202e" (flatnetctl list shows the configured ones)');
  assert.doesNotMatch(r.stderr, /\u001b/);
  const slash = await dbusSend(bus, MANAGER[0], 'org.flatnet.flatnet1.Manager.Up', ['string:a/\u001b[2J']);
  assert.equal(slash.text, 'network name "a/\\u001b[2J" contains \'/\'; names cannot contain \'/\'');
  const prop = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Get', ['string:org.flatnet.flatnet1.Network', 'string:X\n\u0007Y']);
  assert.equal(prop.error, 'org.freedesktop.DBus.Error.UnknownProperty');
  assert.equal(prop.text, 'org.flatnet.flatnet1.Network has no property "X\\n\\u0007Y"');
  const long = await dbusSend(bus, MANAGER[0], 'org.flatnet.flatnet1.Manager.GetNetwork', [`string:${'n'.repeat(200)}`]);
  assert.ok(long.text.length < 140, `a long name is cut: ${long.text}`);
});
