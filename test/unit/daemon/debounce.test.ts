import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounce } from '../../../src/watch/debounce.js';
import { parseDaemonArgs, UsageError, DEFAULT_CONFIG_DIRS } from '../../../src/args.js';

test('a burst of triggers becomes one call (100 edits → 1 reload)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let calls = 0;
  const d = debounce(() => calls++, 200, 2000);
  for (let i = 0; i < 100; i++) { d.trigger(); t.mock.timers.tick(10); }
  assert.equal(calls, 0);
  t.mock.timers.tick(200);
  assert.equal(calls, 1);
});

test('a trigger storm still fires by maxMs', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  let calls = 0;
  const d = debounce(() => calls++, 100, 500);
  for (let i = 0; i < 60; i++) { d.trigger(); t.mock.timers.tick(50); }
  assert.ok(calls >= 5 && calls <= 7, `fired ${calls} times in 3 s of constant triggers`);
});

test('daemon options: defaults, repeated --config-dir, and usage errors that say what is wrong', () => {
  const o = parseDaemonArgs([]);
  assert.deepEqual(o.configDirs, DEFAULT_CONFIG_DIRS);
  assert.equal(o.parentWaitMs, 5000);
  assert.deepEqual(parseDaemonArgs(['--config-dir', '/a', '--config-dir', '/b']).configDirs, ['/a', '/b']);
  assert.throws(() => parseDaemonArgs(['--parent-wait', 'soon']), (e: unknown) => e instanceof UsageError && /--parent-wait=soon: must be a number/.test(e.message));
  assert.throws(() => parseDaemonArgs(['--log-level', 'loud']), /--log-level=loud: must be one of/);
  assert.throws(() => parseDaemonArgs(['--bogus']), UsageError);
});
