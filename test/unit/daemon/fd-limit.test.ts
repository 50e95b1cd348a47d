// The open-file limit check that runs before the daemon is loaded (src/fd-limit.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIN_OPEN_FILES, fdLimitProblem, openFilesLimit } from '../../../src/fd-limit.js';

const limits = (soft: string, hard: string): string => [
  'Limit                     Soft Limit           Hard Limit           Units',
  'Max processes             62874                62874                processes',
  `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files`,
  'Max locked memory         8388608              8388608              bytes',
  '',
].join('\n');

test('the soft limit is read from /proc/self/limits', () => {
  assert.equal(openFilesLimit(limits('20', '20')), 20);
  assert.equal(openFilesLimit(limits('1024', '524288')), 1024);
  assert.equal(openFilesLimit(limits('unlimited', 'unlimited')), null);
  assert.equal(openFilesLimit('garbage'), null);
});

test('below the minimum: one line naming the limit and what it needs; at or above it, or unknown: nothing', () => {
  const p = fdLimitProblem(limits('20', '20'));
  assert.ok(p !== null);
  assert.match(p, new RegExp(`^the open-file limit is 20 \\(ulimit -n, LimitNOFILE=\\); flatnetd needs at least ${MIN_OPEN_FILES}: `));
  assert.doesNotMatch(p, /\n/);
  assert.equal(fdLimitProblem(limits(String(MIN_OPEN_FILES), '4096')), null);
  assert.equal(fdLimitProblem(limits('unlimited', 'unlimited')), null);
  assert.equal(fdLimitProblem(''), null);
});
