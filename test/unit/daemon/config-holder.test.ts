import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigHolder } from '../../../src/reconcile/config-holder.js';
import type { Diagnostic } from '../../../src/errors.js';
import { readmeLan } from '../../fake/scenarios.js';

const err = (file: string, message: string, code: Diagnostic['code'] = 'invalid-value'): Diagnostic => ({ severity: 'error', code, file, line: 3, message });

test('a drop-in broken by an edit keeps its last good config; a new broken one is frozen', () => {
  const h = new ConfigHolder();
  const lan = readmeLan();
  h.update({ networks: [lan], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [{ name: 'lan', file: lan.file }, { name: 'new', file: '/etc/flatnet.d/20-new.conf' }], diagnostics: [err(lan.file, 'bad')] });
  const input = h.runInput([], 'm');
  assert.deepEqual(input.networks.map((n) => n.name), ['lan'], 'lan runs on its last good version');
  assert.deepEqual(input.frozen, ['new'], 'a never-valid network is left exactly as it is');
  assert.equal(h.entry('lan')?.errors.length, 1);
});

test('a deleted drop-in forgets its network (so its links go)', () => {
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan()], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [], diagnostics: [] });
  assert.deepEqual(h.runInput([], 'm').networks, []);
  assert.equal(h.entry('lan'), undefined);
});

test('a config directory that cannot be listed holds its networks instead of deleting them', () => {
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan()], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [], diagnostics: [err('/etc/flatnet.d', 'cannot list the directory: permission denied', 'unreadable')],
    dirs: [{ dir: '/etc/flatnet.d', state: 'unlistable', dropIns: 0 }] });
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['lan']);
});

test('a heal is only a heal with the config last seen configured', () => {
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan()], invalid: [], diagnostics: [] });
  assert.equal(h.unchangedSinceConfigured('lan'), false);
  h.markConfigured('lan');
  assert.equal(h.unchangedSinceConfigured('lan'), true);
  h.update({ networks: [readmeLan({ mtu: 1400 })], invalid: [], diagnostics: [] });
  assert.equal(h.unchangedSinceConfigured('lan'), false, 'an edit is not a heal');
});

// The README's own example: 10-lan.conf says Name=macvlan1. Whatever the broken
// file now says (nothing, when truncated; another name), it is the same drop-in.
test('a broken drop-in keeps its last good version by file, whatever Name= it says now', () => {
  const file = '/etc/flatnet.d/10-lan.conf';
  for (const brokenName of ['10-lan', 'other', 'macvlan1']) {
    const h = new ConfigHolder();
    h.update({ networks: [readmeLan({ name: 'macvlan1', file })], invalid: [], diagnostics: [] });
    h.update({ networks: [], invalid: [{ name: brokenName, file }], diagnostics: [err(file, 'bad')] });
    const input = h.runInput([], 'm');
    assert.deepEqual(input.networks.map((n) => n.name), ['macvlan1'], `broken as ${brokenName}: held`);
    assert.deepEqual(input.frozen, [], 'nothing frozen under the broken name');
    assert.equal(h.entry('macvlan1')?.errors.length, 1, 'the error is shown on the held network');
    // Still held on the next reload, and back to the file's version once it is fixed.
    h.update({ networks: [], invalid: [{ name: brokenName, file }], diagnostics: [err(file, 'bad')] });
    assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['macvlan1']);
  }
});

test('the vendor file and an override of the same name are one drop-in', () => {
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan({ name: 'macvlan1', file: '/usr/lib/flatnet.d/10-lan.conf' })], invalid: [], diagnostics: [] });
  h.update({ networks: [], invalid: [{ name: '10-lan', file: '/etc/flatnet.d/10-lan.conf' }], diagnostics: [err('/etc/flatnet.d/10-lan.conf', 'empty')] });
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['macvlan1'], 'a broken override holds the vendor version');
});

test('a drop-in that changes its Name= to another valid name is an edit: the old network goes', () => {
  const file = '/etc/flatnet.d/10-lan.conf';
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan({ name: 'macvlan1', file })], invalid: [], diagnostics: [] });
  h.update({ networks: [readmeLan({ name: 'macvlan2', file })], invalid: [], diagnostics: [] });
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['macvlan2']);
  assert.equal(h.entry('macvlan1'), undefined);
  // And a later break holds the new name, not the old one.
  h.update({ networks: [], invalid: [{ name: '10-lan', file }], diagnostics: [err(file, 'bad')] });
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['macvlan2']);
});

test('a config directory listed before and now gone (or a file) holds its networks, with one warning', () => {
  for (const state of ['missing', 'not-a-directory'] as const) {
    const h = new ConfigHolder();
    const lan = readmeLan({ name: 'macvlan1', file: '/etc/flatnet.d/10-lan.conf' });
    h.update({ networks: [lan], invalid: [], diagnostics: [], dirs: [{ dir: '/etc/flatnet.d', state: 'listed', dropIns: 1 }] });
    h.update({ networks: [], invalid: [], diagnostics: [], dirs: [{ dir: '/etc/flatnet.d', state, dropIns: 0 }] });
    assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['macvlan1'], `${state}: held`);
    const notes = h.diagnostics().filter((d) => d.file === '/etc/flatnet.d');
    assert.equal(notes.length, 1, JSON.stringify(h.diagnostics()));
    assert.equal(notes[0]?.severity, 'warning');
    assert.match(notes[0]?.message ?? '', /config directory (is gone|is no longer a directory); keeping macvlan1 as it was/);
    assert.equal(h.entry('macvlan1')?.errors.length, 1, 'its status says why');
    // Back, and empty: now that is a wish.
    h.update({ networks: [], invalid: [], diagnostics: [], dirs: [{ dir: '/etc/flatnet.d', state: 'listed', dropIns: 0 }] });
    assert.deepEqual(h.runInput([], 'm').networks, []);
  }
});

test('a directory missing since the start is just empty', () => {
  const h = new ConfigHolder();
  h.update({ networks: [readmeLan()], invalid: [], diagnostics: [], dirs: [{ dir: '/etc/flatnet.d', state: 'listed', dropIns: 1 }, { dir: '/run/flatnet.d', state: 'missing', dropIns: 0 }] });
  assert.deepEqual(h.diagnostics(), []);
  assert.deepEqual(h.runInput([], 'm').networks.map((n) => n.name), ['lan']);
});
