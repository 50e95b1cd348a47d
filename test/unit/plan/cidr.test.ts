// plan/cidr.ts answers from bytes and one parser run; checked here against
// ipaddr.js's own answers on random prefixes and on the odd texts it accepts.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import type ipaddrModule from 'ipaddr.js';
import { canonical, contains, isLinkLocal6, networkOf, prefixLength } from '../../../src/plan/cidr.js';

const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrModule;
const SEED = 20261207;

const v4 = fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }))
  .map(([b, len]) => `${ipaddr.fromByteArray(b).toString()}/${len}`);
// Few distinct groups, so that prefixes often share their first bits.
const v6 = fc.tuple(fc.array(fc.constantFrom(0, 0xfe, 0x80, 0xff, 1), { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, len]) => `${ipaddr.fromByteArray(b).toString()}/${len}`);
const prefix = fc.oneof(v4, v6);

/** What contains() answers, by ipaddr.js's own match(). */
function reference(outer: string, inner: string): boolean {
  const [o, ol] = ipaddr.parseCIDR(outer);
  const [i, il] = ipaddr.parseCIDR(inner);
  return o.kind() === i.kind() && il >= ol && i.match(o, ol);
}

test('contains() agrees with ipaddr.js on random prefixes of both families', () => {
  fc.assert(fc.property(prefix, prefix, (outer, inner) => {
    assert.equal(contains(outer, inner), reference(outer, inner), `${outer} ⊇ ${inner}`);
  }), { numRuns: 5000, seed: SEED });
  fc.assert(fc.property(v6, (p) => {
    assert.equal(isLinkLocal6(p), reference('fe80::/10', p));
  }), { numRuns: 2000, seed: SEED });
});

/** canonical() as it was with ipaddr.isValid and ipaddr.parse. */
function oldCanonical(cidr: string): string {
  const slash = cidr.indexOf('/');
  const addrText = slash < 0 ? cidr : cidr.slice(0, slash);
  if (!ipaddr.isValid(addrText)) return cidr.toLowerCase();
  const addr = ipaddr.parse(addrText);
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  const len = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return cidr.toLowerCase();
  return `${ipaddr.fromByteArray(addr.toByteArray()).toString()}/${len}`;
}

test('canonical(), networkOf() and prefixLength() read the texts ipaddr.parse read, and refuse the rest alike', () => {
  const texts = ['192.168.88.9/24', '192.168.88.9', '1.2.3', '010.1.1.1/8', '0x0a.0.0.1/8', '4294967295', '1.2.3.4/33', '1.2.3.4/x',
    'FD00:0::1/64', 'fd00::1', '::ffff:1.2.3.4/96', 'fe80::1%eth0/64', '1:2:3:4:5:6:7:8:9/64', 'garbage', '', '::/0', '/24', 'fe80::/10'];
  for (const t of texts) assert.equal(canonical(t), oldCanonical(t), t);
  assert.deepEqual(['10.0.0.1', '10.0.0.0/8', 'fd00::1', 'fd00::/48', 'garbage'].map(prefixLength), [32, 8, 128, 48, 32]);
  assert.equal(networkOf('192.168.88.9/24'), '192.168.88.0/24');
  assert.equal(networkOf('FD00::1:2/112'), 'fd00::1:0/112');
});

test('dotted quads read directly give what ipaddr.js gives: canonical text and network', () => {
  fc.assert(fc.property(v4, fc.boolean(), (p, bare) => {
    const t = bare ? (p.split('/')[0] ?? p) : p;
    assert.equal(canonical(t), oldCanonical(t), t);
    const [a, len] = ipaddr.parseCIDR(canonical(t));
    const mask = ipaddr.IPv4.networkAddressFromCIDR(`${a.toString()}/${len}`).toString();
    assert.equal(networkOf(t), `${mask}/${len}`, t);
  }), { numRuns: 3000, seed: SEED });
});
