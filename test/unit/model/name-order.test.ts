// The order networks are listed in: compareNames() must give exactly the
// collator's order for every Name= (so no user sees a list reordered), and
// the config holder must sort with it, never starting ICU's collator on the
// way to READY=1.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compareNames } from '../../../src/model/name-order.js';
import { ConfigHolder } from '../../../src/reconcile/config-holder.js';
import { buildConfigSet } from '../../../src/config/load.js';

const SEED = Number(process.env['FLATNET_FUZZ_SEED'] ?? 18_3);
const sign = (x: number): number => Math.sign(x);
const collator = new Intl.Collator('en');

// Few letters, both cases, every punctuation a name may hold: ties and near-ties are common.
const nameChar = fc.constantFrom(...'aAbBzZ09_-.'.split(''));
const name = fc.array(nameChar, { minLength: 0, maxLength: 6 }).map((cs) => cs.join(''));

test('compareNames orders names as the root collation does', () => {
  fc.assert(fc.property(name, name, (a, b) => {
    assert.equal(sign(compareNames(a, b)), sign(collator.compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }), { numRuns: 20_000, seed: SEED });
});

test('compareNames: hand-picked names, and other characters left to the collator', () => {
  const names = ['lan', 'LAN', 'Lan', 'lan2', 'lan-2', 'lan_2', 'lan.2', 'lan10', 'lan9', 'l-an', 'la-n', '_x', 'x', 'X', 'aA', 'Aa', 'aa', 'AA'];
  assert.deepEqual([...names].sort(compareNames), [...names].sort((a, b) => collator.compare(a, b)));
  for (const [a, b] of [['lan ', 'lan'], ['läne', 'lane'], ['lan\u0000x', 'lanx'], ['Ölan', 'olan'], ['a b', 'a-b']] as const) {
    assert.equal(sign(compareNames(a, b)), sign(a.localeCompare(b)), `${a} vs ${b}`);
    assert.equal(sign(compareNames(b, a)), sign(b.localeCompare(a)), `${b} vs ${a}`);
  }
});

test('the config holder lists networks in that order without asking the collator', () => {
  const names = ['Lan', 'lan', 'guest', 'IoT', 'iot-2', 'iot_1', 'dmz.9', 'dmz10'];
  const set = buildConfigSet(names.map((n, i) => ({
    path: `/etc/flatnet.d/${String(i).padStart(2, '0')}.conf`,
    text: `[Network]\nName=${n}\nParent=eth0\n\n[Shim]\nName=s${i}\nAddress=10.0.${i}.1/32\n`,
  })));
  assert.equal(set.networks.length, names.length, JSON.stringify(set.diagnostics));
  const holder = new ConfigHolder();
  holder.update(set);
  const original = String.prototype.localeCompare;
  let calls = 0;
  String.prototype.localeCompare = function (this: string, ...args: Parameters<typeof original>): number {
    calls++;
    return original.apply(this, args);
  };
  let listed: string[];
  try {
    listed = holder.entries().map((e) => e.name);
  } finally {
    String.prototype.localeCompare = original;
  }
  assert.deepEqual(listed, [...names].sort((a, b) => collator.compare(a, b)));
  assert.equal(calls, 0, 'localeCompare called while listing networks');
});
