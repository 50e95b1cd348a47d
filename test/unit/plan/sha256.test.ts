// The shim MACs hash the machine id with our own SHA-256 (src/plan/sha256.ts,
// so the start need not load node:crypto): it must be node:crypto's to the
// bit, or every shim's MAC would change with the upgrade that brought it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256 } from '../../../src/plan/sha256.js';

const theirs = (s: string): string => createHash('sha256').update(s).digest('hex');
const ours = (s: string): string => Buffer.from(sha256(s)).toString('hex');

test('sha256: the FIPS 180-4 examples and every length around the block and length-field edges', () => {
  assert.equal(ours(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(ours('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(ours('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  for (let n = 0; n <= 200; n++) assert.equal(ours('x'.repeat(n)), theirs('x'.repeat(n)), `length ${n}`);
});

test('sha256: equal to node:crypto on random texts (UTF-8 included) and on the MAC seed\'s shape', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => ours(s) === theirs(s)), { numRuns: 500 });
  fc.assert(fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[A-Za-z0-9_.-]{1,40}$/),
    (id, net) => ours(`flatnet-shim-mac\0${id}\0${net}`) === theirs(`flatnet-shim-mac\0${id}\0${net}`)), { numRuns: 300 });
});
