// The one-per-namespace lock (src/instance-lock.ts): a second taker is
// refused with the holder's own words, and the name is free again once
// released. A temporary file stands in for the namespace (its inode keys the
// lock), so parallel runs of this test never meet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { describeHolder, abstractSockets, lockName, takeInstanceLock, unitFromCgroup, type Holder } from '../../../src/instance-lock.js';

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

test('/proc/net/unix: abstract sockets with the lock name or a suffixed one, listening or not, NUL padding stripped', () => {
  const pad = (n: string): string => `@${n}${'@'.repeat(108 - 1 - n.length)}`;
  const text = [
    'Num       RefCount Protocol Flags    Type St Inode Path',
    `0000000096a297af: 00000002 00000000 00010000 0001 01 2770705 ${pad('flatnetd/netns:123')}`,
    // a socket of the same name not listening (accepted, or bound only), a longer inode, the suffixed name, a path socket
    `00000000c0ffee00: 00000003 00000000 00000000 0001 03 2770710 ${pad('flatnetd/netns:123')}`,
    `00000000c0ffee01: 00000002 00000000 00010000 0001 01 2770711 ${pad('flatnetd/netns:1234')}`,
    `00000000c0ffee02: 00000002 00000000 00010000 0001 01 2770712 ${pad('flatnetd/netns:123/00ff00ff00ff00ff')}`,
    '00000000c0ffee03: 00000002 00000000 00010000 0001 01 2770713 /run/flatnetd/netns:123',
    '00000000c0ffee04: 00000002 00000000 00010000 0001 01 2770714 @flatnetd/netns:123',
    '',
  ].join('\n');
  assert.deepEqual(abstractSockets(text, '\0flatnetd/netns:123'), [
    { name: '\0flatnetd/netns:123', inode: 2770705, listening: true },
    { name: '\0flatnetd/netns:123', inode: 2770710, listening: false },
    { name: '\0flatnetd/netns:123/00ff00ff00ff00ff', inode: 2770712, listening: true },
    { name: '\0flatnetd/netns:123', inode: 2770714, listening: true },
  ]);
});

test('a daemon holding the lock under a suffixed name (past a squatter since gone) still refuses one that finds the plain name free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-lock-'));
  const ns = join(dir, 'netns');
  writeFileSync(ns, '');
  const held = createServer((sock) => { sock.end(`${JSON.stringify(me)}\n`); });
  try {
    await new Promise<void>((res) => held.listen(`${lockName(ns)}/0123456789abcdef`, res));
    const b = await takeInstanceLock(ns, { ...me, pid: 1 });
    assert.ok(!b.ok);
    assert.match(b.message, /^another flatnetd \(pid 4242, .*kill 4242/);
    held.close();
    const c = await takeInstanceLock(ns, me);
    assert.ok(c.ok);
    assert.equal(c.warning, null);
    c.release();
  } finally {
    held.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
