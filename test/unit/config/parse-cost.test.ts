// Reading drop-ins, counted (never timed): an IPv4 text that the strict
// grammar accepts is its own canonical form, so ipaddr.js's parser (a string
// of regexes, run once per address per check) is not asked at all.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import fc from 'fast-check';
import type ipaddrModule from 'ipaddr.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { parseAddr } from '../../../src/config/ip.js';
import { byteLength } from '../../../src/config/key-spec.js';

const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrModule;

test('parseAddr reads a dotted quad as ipaddr.js does, and refuses what the strict grammar refuses', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (octets) => {
    const text = octets.join('.');
    const a = parseAddr(text);
    assert.ok(a !== null);
    assert.deepEqual({ family: a.family, text: a.text, bytes: a.addr.toByteArray(), kind: a.addr.kind() },
      { family: 4, text: ipaddr.parse(text).toString(), bytes: ipaddr.parse(text).toByteArray(), kind: 'ipv4' });
  }), { numRuns: 2000, seed: 20261207 });
  for (const t of ['010.1.1.1', '1.2.3', '256.1.1.1', '1.2.3.4.5', '0x1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '']) assert.equal(parseAddr(t), null, t);
  assert.equal(parseAddr('FD00:0::1')?.text, 'fd00::1');
});

test('byteLength counts UTF-8 bytes, with or without anything to encode', () => {
  for (const s of ['', 'eth0', 'a'.repeat(15), 'ä', 'e\u0301', '😀x', '\u{10ffff}', '\ud800']) {
    assert.equal(byteLength(s), new TextEncoder().encode(s).length, JSON.stringify(s));
  }
});

test('the bench\'s 100 IPv4 drop-ins are read without running ipaddr.js\'s parser', () => {
  const files = Array.from({ length: 100 }, (_, k) => {
    const i = k + 1;
    const net = `10.${(i >> 8) + 1}.${i % 256}`;
    return { path: `/etc/flatnet.d/n${String(i).padStart(4, '0')}.conf`, text: `[Network]\nParent=vp1\nSubnet=${net}.0/24\nGateway=${net}.1\nIPRange=${net}.192/27\n\n[Shim]\nName=shim${i}\nAddress=${net}.192/32\nRoute=${net}.128/26\n` };
  });
  type HasParser = { parser(s: string): unknown };
  const v4 = ipaddr.IPv4 as unknown as HasParser;
  const original = v4.parser;
  let calls = 0;
  v4.parser = (s: string) => { calls++; return original.call(v4, s); };
  let valid = -1;
  try {
    valid = buildConfigSet(files).networks.length;
  } finally {
    v4.parser = original;
  }
  assert.equal(valid, 100);
  assert.equal(calls, 0);
});
