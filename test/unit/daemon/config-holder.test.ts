import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigHolder } from '../../../src/reconcile/config-holder.js';
import type { Diagnostic } from '../../../src/errors.js';
import { seed000 } from './fixtures.js';

const err = (file: string, message: string, code: Diagnostic['code'] = 'invalid-value'): Diagnostic => ({ severity: 'error', code, file, line: 3, message });

test('a drop-in broken by an edit keeps its last good config; a new broken one is frozen', () => {
  const h = new ConfigHolder();
  const lan = seed000();
  h.update({ networks: [lan], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [{ name: 'lan', file: lan.file }, { name: 'new', file: '/etc/flatnet.d/20-new.conf' }], diagnostics: [err(lan.file, 'bad')] });
  const input = h.runInput([], 'm');
  assert.deepEqual(input.networks.map((n) => n.name), ['lan'], 'lan runs on its last good version');
  assert.deepEqual(input.frozen, ['new'], 'a never-valid network is left exactly as it is');
  assert.equal(h.entry('lan')?.errors.length, 1);
});

test('a deleted drop-in forgets its network (so its links go)', () => {
  const h = new ConfigHolder();
  h.update({ networks: [seed000()], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [], diagnostics: [] });
  assert.deepEqual(h.runInput([], 'm').networks, []);
  assert.equal(h.entry('lan'), undefined);
});

test('a config directory that cannot be listed holds its networks instead of deleting them', () => {
  const h = new ConfigHolder();
  h.update({ networks: [seed000()], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [], diagnostics: [err('/etc/flatnet.d', 'cannot list the directory: permission denied', 'unreadable')] });
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['lan']);
});

test('a heal is only a heal with the config last seen configured', () => {
  const h = new ConfigHolder();
  h.update({ networks: [seed000()], invalid: [], diagnostics: [] });
  assert.equal(h.unchangedSinceConfigured('lan'), false);
  h.markConfigured('lan');
  assert.equal(h.unchangedSinceConfigured('lan'), true);
  h.update({ networks: [seed000({ mtu: 1400 })], invalid: [], diagnostics: [] });
  assert.equal(h.unchangedSinceConfigured('lan'), false, 'an edit is not a heal');
});
