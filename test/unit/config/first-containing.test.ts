// firstContaining() answers what `ranges.find((r) => containsAddr(r, a))`
// does, without testing every range: checked against it on random prefixes
// and addresses of both families, chosen to nest and repeat.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidr, containsAddr, firstContaining, parseAddr, type ParsedAddr } from '../../../src/config/ip.js';

const v4 = fc.tuple(fc.constantFrom(10, 192), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(8, 16, 24, 25, 30, 32))
  .map(([a, b, c, len]) => `${a}.${b}.${c}.${c % 7}/${len}`);
const v6 = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 65535 }), fc.constantFrom(16, 48, 64, 120, 128))
  .map(([a, b, len]) => `fd00:${a}::${b.toString(16)}/${len}`);
const prefix = fc.oneof(v4, v6);
const address = fc.oneof(v4, v6).map((p) => p.split('/')[0] ?? '');

test('firstContaining finds the same range as trying each in turn', () => {
  let hits = 0;
  fc.assert(fc.property(fc.array(prefix, { maxLength: 40 }), fc.array(address, { minLength: 1, maxLength: 40 }), (prefixes, addrs) => {
    const ranges = prefixes.map((text, i) => ({ i, p: cidr(text) }));
    const lookup = firstContaining(ranges, (r) => r.p);
    for (const text of addrs) {
      const a = parseAddr(text) as ParsedAddr;
      const want = ranges.find((r) => containsAddr(r.p, a));
      if (want !== undefined) hits++;
      assert.equal(lookup(a)?.i, want?.i, `${text} in ${prefixes.join(' ')}`);
    }
  }), { numRuns: 500, seed: 7 });
  assert.ok(hits > 500, `addresses fell inside a range ${hits} times: the check is not idle`);
});
