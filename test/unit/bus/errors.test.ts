import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DBusError } from 'dbus-next';
import { FlatnetError, type ErrorCode } from '../../../src/errors.js';
import { argBytes, checkNetworkName, toDBusError, withoutStack } from '../../../src/bus/errors.js';

test('each FlatnetError code has a bus error name and keeps its place in the message', () => {
  const cases: [ErrorCode, string][] = [
    ['invalid-value', 'InvalidConfig'], ['syntax', 'InvalidConfig'], ['missing-key', 'InvalidConfig'],
    ['unknown-key', 'InvalidConfig'], ['duplicate', 'InvalidConfig'], ['unreadable', 'InvalidConfig'],
    ['conflict', 'Conflict'], ['parent-missing', 'ParentMissing'], ['kernel', 'KernelError'],
    ['unsupported', 'Unsupported'], ['not-found', 'NoSuchNetwork'], ['internal', 'Failed'],
  ];
  for (const [code, name] of cases) {
    const e = toDBusError(new FlatnetError(code, 'must be 1..4094', { file: '/etc/flatnet.d/10-lan.conf', line: 7, key: 'VLAN', value: '5000' }));
    assert.equal(e.type, `org.flatnet.flatnet1.Error.${name}`, code);
    assert.equal(e.text, '/etc/flatnet.d/10-lan.conf:7: VLAN=5000: must be 1..4094');
  }
  assert.equal(toDBusError(new FlatnetError('conflict', 'exists and is not ours', { object: 'shim-lan' })).text,
    'shim-lan: exists and is not ours');
});

test('an unexpected error reaches the caller as Failed with its message and without its stack', () => {
  const plain = new Error('netlink socket closed');
  assert.ok(plain.stack?.includes('    at '));
  const e = toDBusError(plain);
  assert.equal(e.type, 'org.flatnet.flatnet1.Error.Failed');
  assert.equal(e.text, 'netlink socket closed');
  assert.equal(toDBusError(new Error('boom\n    at x (/a.js:1:1)\n    at y')).text, 'boom');
  assert.equal(toDBusError('a string').text, 'a string');
  assert.equal(toDBusError(new Error('')).text, 'internal error (see the flatnetd journal)');
  assert.equal(withoutStack('line one\nline two'), 'line one\nline two');
});

test('DBusErrors pass through with their own name', () => {
  const e = toDBusError(new DBusError('org.freedesktop.DBus.Error.AccessDenied', 'no'));
  assert.deepEqual([e.type, e.text], ['org.freedesktop.DBus.Error.AccessDenied', 'no']);
});

test('network names from callers: empty, over 255 bytes and with "/" are refused with the reason', () => {
  assert.equal(checkNetworkName('lan'), 'lan');
  assert.equal(checkNetworkName('x'.repeat(255)), 'x'.repeat(255));
  const refused = (v: unknown): string => {
    try {
      checkNetworkName(v);
    } catch (e) {
      assert.ok(e instanceof DBusError);
      assert.equal(e.type, 'org.freedesktop.DBus.Error.InvalidArgs');
      return e.text;
    }
    assert.fail(`accepted ${String(v)}`);
  };
  assert.equal(refused(''), 'network name is empty');
  assert.equal(refused('x'.repeat(256)), 'network name is 256 bytes long; names are at most 255 bytes');
  // bytes, not characters: 128 × "é" is 256 bytes
  assert.equal(refused('é'.repeat(128)), 'network name is 256 bytes long; names are at most 255 bytes');
  assert.equal(refused('a/b'), `network name "a/b" contains '/'; names cannot contain '/'`);
  assert.equal(refused(5), 'network name must be a string');
});

test('argument size counts string bytes, nested arrays and dict keys, and stops early past the limit', () => {
  assert.equal(argBytes(['lan']), 4 + 3 + 4);
  assert.ok(argBytes([['a', 'b', 'c']]) > argBytes(['abc']));
  assert.ok(argBytes([{ key: 'v' }]) >= 3 + 1);
  const huge = Array.from({ length: 1_000_000 }, () => 1);
  assert.ok(argBytes([huge], 1000) > 1000);
  assert.ok(argBytes([huge], 1000) < 2000, 'measuring stops soon after the limit');
  assert.ok(argBytes(['x'.repeat(100_000)]) > 100_000);
});
