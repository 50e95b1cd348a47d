// accept_ra is written when set() is called, not handed to the thread pool
// (a first run writes one file per shim on the way to READY=1), and a missing
// link is still an error for RaPolicy to report. On a directory of our own,
// never the host's /proc/sys.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcSysIpv6Conf } from '../../../src/lan/proc-sys.js';

test('ProcSysIpv6Conf writes accept_ra before set() returns, and rejects for a link that is not there', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-procsys-'));
  try {
    for (let i = 1; i <= 100; i++) {
      mkdirSync(join(dir, `shim${i}`));
      writeFileSync(join(dir, `shim${i}`, 'accept_ra'), '1');
    }
    const conf = new ProcSysIpv6Conf(undefined, dir);
    const pending = Array.from({ length: 100 }, (_, i) => conf.set(`shim${i + 1}`, 'accept_ra', '0'));
    // Not awaited yet: every file already says 0.
    const now = Array.from({ length: 100 }, (_, i) => readFileSync(join(dir, `shim${i + 1}`, 'accept_ra'), 'utf8'));
    assert.deepEqual(new Set(now), new Set(['0']));
    await Promise.all(pending);
    await assert.rejects(conf.set('gone0', 'accept_ra', '0'), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
