import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grepFor, journalArgs } from '../../../src/cli/journal.js';

test('a network\'s journal lines: its unit, its NAME: prefix with the name escaped for PCRE', () => {
  assert.equal(grepFor('macvlan1'), '^macvlan1: ');
  assert.equal(grepFor('lan.v2-x'), '^lan\\.v2\\-x: ');
  assert.deepEqual(journalArgs('lan', 5).slice(0, 2), ['--unit', 'flatnetd.service']);
  assert.ok(journalArgs('lan', 5).includes('5'));
});
