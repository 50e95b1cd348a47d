import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busLabelEscape, busLabelUnescape, networkNameFromPath, networkPath } from '../../../src/bus/path.js';

// Measured with libsystemd 252 (sd_bus_path_encode / sd_bus_path_decode via ctypes) on this machine.
const SYSTEMD: [string, string][] = [
  ['lan', 'lan'],
  ['my-net', 'my_2dnet'],
  ['10-lan', '_310_2dlan'],
  ['', '_'],
  ['a b', 'a_20b'],
  ['Ä', '_c3_84'],
  ['_', '_5f'],
  ['a_b', 'a_5fb'],
  ['9', '_39'],
  ['x9', 'x9'],
  ['vlan.200', 'vlan_2e200'],
  ['ü-net/x', '_c3_bc_2dnet_2fx'],
];

test('network names escape exactly as systemd escapes bus path labels', () => {
  for (const [name, label] of SYSTEMD) {
    assert.equal(busLabelEscape(name), label, `escape ${JSON.stringify(name)}`);
    assert.equal(busLabelUnescape(label), name, `unescape ${label}`);
    assert.equal(networkPath(name), `/org/flatnet/flatnet1/network/${label}`);
    assert.equal(networkNameFromPath(networkPath(name)), name);
  }
});

test('every escaped name is a valid object path element and decodes back', () => {
  const names = ['lan', 'LAN.v2', '0', '00', 'a-b_c.d', 'ß', '日本', 'tab\there', 'x'.repeat(255), '\u{1F600}'];
  for (let b = 1; b < 128; b++) names.push(`n${String.fromCharCode(b)}`, String.fromCharCode(b));
  for (const name of names) {
    const label = busLabelEscape(name);
    assert.match(label, /^[A-Za-z0-9_]+$/, name);
    assert.equal(busLabelUnescape(label), name, JSON.stringify(name));
  }
});

test('only the canonical spelling maps back to a name (one path per network)', () => {
  // systemd's decoder would accept all of these; two paths for one network would be confusing.
  for (const bad of ['a_2D', '1', 'a_z1', 'a_', '_2', 'a_ff', '_c3']) {
    assert.equal(busLabelUnescape(bad), null, bad);
  }
});

test('paths outside the network prefix are not networks', () => {
  assert.equal(networkNameFromPath('/org/flatnet/flatnet1'), null);
  assert.equal(networkNameFromPath('/org/flatnet/flatnet1/network'), null);
  assert.equal(networkNameFromPath('/org/flatnet/flatnet1/network/a/b'), null);
  assert.equal(networkNameFromPath('/org/flatnet/flatnet1/networks/lan'), null);
});
