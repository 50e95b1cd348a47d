// Op[] → `ip -batch -` lines. What ip then does with these exact lines is
// proven against the kernel in test/netns/iproute2.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIfName, opForLine, quoteAlias, renderBatch, renderOp } from '../../../src/kernel/render.js';
import type { DesiredLink, DesiredRoute } from '../../../src/model/desired.js';
import type { Op } from '../../../src/plan/ops.js';

const base = { networks: ['lan'], reason: 'test' };

// Loose fields (any kind's) make any variant; the kinds read only their own.
function shim(over: Record<string, unknown> = {}): DesiredLink {
  return {
    name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', vlanId: null, mode: 'bridge', ipvlanFlag: null,
    mtu: null, mac: null, promisc: null, alias: 'flatnet:lan', networks: ['lan'], role: 'shim',
    addresses: [], routes: [], ...over,
  } as DesiredLink;
}

const route = (dst: string, metric = 0): DesiredRoute => ({ dst, family: dst.includes(':') ? 6 : 4, dev: 'docker-link', metric });

test('link-add: name, parent, MAC, MTU, the kind words, then the alias as a second line of the same op', () => {
  assert.deepEqual(renderOp({ ...base, op: 'link-add', link: shim({ mac: '02:AA:BB:CC:DD:01', mtu: 1400 }) }), [
    'link add docker-link link enp3s0 address 02:aa:bb:cc:dd:01 mtu 1400 group 233 type macvlan mode bridge',
    'link set dev docker-link alias "flatnet:lan"',
  ]);
  assert.deepEqual(renderOp({ ...base, op: 'link-add', link: shim({ name: 'enp3s0.200', kind: 'vlan', vlanId: 200, mode: null, role: 'parent' }) })[0],
    'link add enp3s0.200 link enp3s0 group 233 type vlan id 200');
  assert.deepEqual(renderOp({ ...base, op: 'link-add', link: shim({ kind: 'ipvlan', mode: 'l3s', ipvlanFlag: 'private' }) })[0],
    'link add docker-link link enp3s0 group 233 type ipvlan mode l3s private');
  assert.deepEqual(renderOp({ ...base, op: 'link-add', link: shim({ name: 'flatnet-int0', kind: 'dummy', parent: null, mode: null }) })[0],
    'link add flatnet-int0 group 233 type dummy');
});

test('link-set: only the attributes given, in one line; nothing to change renders no line', () => {
  assert.deepEqual(renderOp({ ...base, op: 'link-set', name: 'docker-link', changes: { mtu: 1500, mac: '02:00:00:00:00:01', up: true, promisc: false, alias: 'flatnet:a,b' } }),
    ['link set dev docker-link mtu 1500 address 02:00:00:00:00:01 up promisc off alias "flatnet:a,b"']);
  assert.deepEqual(renderOp({ ...base, op: 'link-set', name: 'enp3s0', changes: { promisc: true } }), ['link set dev enp3s0 promisc on']);
  assert.deepEqual(renderOp({ ...base, op: 'link-set', name: 'docker-link', changes: { up: false } }), ['link set dev docker-link down']);
  assert.deepEqual(renderOp({ ...base, op: 'link-set', name: 'docker-link', changes: {} }), []);
});

test('addresses: v4 with brd +, v6 without; routes always with proto 233 and the metric', () => {
  assert.deepEqual(renderOp({ ...base, op: 'addr-add', dev: 'docker-link', cidr: '192.168.88.192/27' }), ['address add 192.168.88.192/27 brd + dev docker-link']);
  assert.deepEqual(renderOp({ ...base, op: 'addr-add', dev: 'docker-link', cidr: 'fd00:88::192/64' }), ['address add fd00:88::192/64 dev docker-link']);
  assert.deepEqual(renderOp({ ...base, op: 'addr-del', dev: 'docker-link', cidr: '192.168.88.192/27' }), ['address del 192.168.88.192/27 dev docker-link']);
  assert.deepEqual(renderOp({ ...base, op: 'route-add', route: route('192.168.88.224/27', 10) }), ['route add 192.168.88.224/27 dev docker-link proto 233 metric 10']);
  assert.deepEqual(renderOp({ ...base, op: 'route-del', route: route('fd00:99::/64') }), ['route del fd00:99::/64 dev docker-link proto 233 metric 0']);
  assert.deepEqual(renderOp({ ...base, op: 'route-add', route: route('0.0.0.0/0', 5) }), ['route add 0.0.0.0/0 dev docker-link proto 233 metric 5']);
  assert.deepEqual(renderOp({ ...base, op: 'link-del', name: 'docker-link' }), ['link del dev docker-link']);
});

test('a batch remembers which op each line came from, so a failed line number names its op', () => {
  const ops: Op[] = [
    { ...base, op: 'link-add', link: shim() },
    { ...base, op: 'link-set', name: 'docker-link', changes: {} },
    { ...base, op: 'link-set', name: 'docker-link', changes: { up: true } },
    { ...base, op: 'addr-add', dev: 'docker-link', cidr: '192.168.88.192/27' },
    { ...base, op: 'route-add', route: route('192.168.88.224/27') },
  ];
  const b = renderBatch(ops);
  assert.equal(b.lines.length, 5);
  assert.deepEqual(b.lineOp, [0, 0, 2, 3, 4]);
  assert.equal(b.rejected, undefined);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => opForLine(b, n)), [0, 0, 2, 3, 4, null]);
});

test('an op ip -batch would misread is refused by name, and the ops before it are kept', () => {
  const bad: [Op, RegExp][] = [
    [{ ...base, op: 'link-set', name: 'docker-link', changes: { alias: 'flatnet:lan # note' } }, /alias .*'#'/],
    [{ ...base, op: 'link-set', name: 'docker-link', changes: { alias: 'say "hi"' } }, /alias .*'"'/],
    [{ ...base, op: 'link-set', name: 'docker-link', changes: { alias: 'x'.repeat(256) } }, /256 bytes/],
    [{ ...base, op: 'link-del', name: 'a-very-long-name0' }, /"a-very-long-name0" is longer than 15 bytes/],
    [{ ...base, op: 'link-del', name: 'two words' }, /"two words" contains a blank/],
    [{ ...base, op: 'link-set', name: 'eth0', changes: { mac: '02:00:00:00:00' } }, /MAC address "02:00:00:00:00"/],
    [{ ...base, op: 'link-set', name: 'eth0', changes: { mtu: 1500.5 } }, /MTU 1500\.5/],
    [{ ...base, op: 'addr-add', dev: 'eth0', cidr: '10.0.0.1/24 brd 10.0.0.255' }, /not an IP prefix/],
    [{ ...base, op: 'link-add', link: shim({ mode: 'bridge extra' }) }, /macvlan argument "bridge extra"/],
  ];
  for (const [op, why] of bad) {
    const b = renderBatch([{ ...base, op: 'link-del', name: 'old0' }, op, { ...base, op: 'link-del', name: 'after0' }]);
    assert.deepEqual(b.lines, ['link del dev old0'], JSON.stringify(op));
    assert.equal(b.rejected?.index, 1);
    assert.match(b.rejected?.message ?? '', why);
  }
});

test('alias quoting: blanks are carried inside double quotes; the empty alias clears it', () => {
  assert.equal(quoteAlias('flatnet:lan'), '"flatnet:lan"');
  assert.equal(quoteAlias('my shim  for lan'), '"my shim  for lan"');
  assert.equal(quoteAlias(''), '""');
  assert.equal(checkIfName('enp3s0.200'), 'enp3s0.200');
  assert.throws(() => checkIfName('a:b'), /contains/);
});
