// The one-per-namespace lock (src/instance-lock.ts): a second taker is
// refused with the holder's own words, and the name is free again once
// released. A temporary file stands in for the namespace (its inode keys the
// lock), so parallel runs of this test never meet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeHolder, lockName, takeInstanceLock, unitFromCgroup, type Holder } from '../../../src/instance-lock.js';

const me: Holder = { pid: 4242, args: ['--config-dir', '/etc/x'], since: '2026-12-06 20:00:00 UTC', unit: null };

test('a second taker is refused, naming the first; the name is free once released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-lock-'));
  const ns = join(dir, 'netns');
  writeFileSync(ns, '');
  try {
    const a = await takeInstanceLock(ns, me);
    assert.ok(a.ok);
    const b = await takeInstanceLock(ns, { ...me, pid: 1 });
    assert.ok(!b.ok);
    assert.match(b.message, /^another flatnetd \(pid 4242, started 2026-12-06 20:00:00 UTC by hand as "flatnetd --config-dir \/etc\/x"\) already keeps the links of this network namespace; .*kill 4242/);
    a.release();
    const c = await takeInstanceLock(ns, me);
    assert.ok(c.ok);
    c.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the lock name carries the inode of the namespace managed', () => {
  assert.match(lockName(undefined), /^\0flatnetd\/netns:\d+$/);
  assert.equal(lockName('no-such-ns-fnt'), '\0flatnetd/netns:no-such-ns-fnt');
});

test('the unit comes from the cgroup path; a holder under systemd is named by its unit', () => {
  assert.equal(unitFromCgroup('0::/system.slice/flatnetd.service\n'), 'flatnetd.service');
  assert.equal(unitFromCgroup('0::/user.slice/user-0.slice/session-3.scope\n'), 'session-3.scope');
  assert.equal(unitFromCgroup('0::/\n'), null);
  assert.equal(describeHolder({ ...me, unit: 'flatnetd.service' }), 'another flatnetd (pid 4242, started 2026-12-06 20:00:00 UTC by systemd as flatnetd.service)');
  assert.equal(describeHolder(null), 'another flatnetd (it did not say which)');
});
