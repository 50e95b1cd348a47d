// The drop-in watch starts after the first reconcile; an edit made between
// reading the drop-ins and the watch being up must still be reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedSince, watchConfigDirs } from '../../../src/watch/config-watch.js';
import { silentLogger as nullLogger } from '../../../src/log.js';

function dropInDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Past the check's clock slack (100 ms): what was written before this is older than the read. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 250));

test('changedSince: nothing newer than the read, an edited file, a new file (the directory changes)', async (t) => {
  const dir = dropInDir(t);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\n');
  writeFileSync(join(dir, 'notes.txt'), 'not a drop-in\n');
  await settle();
  const readAt = Date.now();
  writeFileSync(join(dir, 'notes.txt'), 'still not a drop-in\n');
  assert.equal(changedSince([dir, join(dir, 'missing')], readAt), null, 'a non-.conf file is not looked at; a missing directory is fine');
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=eth0\n');
  assert.equal(changedSince([dir], readAt), join(dir, '10-lan.conf'));
  await settle();
  const readAgain = Date.now();
  writeFileSync(join(dir, '20-new.conf'), '[Network]\n');
  assert.equal(changedSince([dir], readAgain), dir, 'an entry added changes the directory');
});

test('an edit after the drop-ins were read but before the watch was up is reported once the watch is up', async (t) => {
  const dir = dropInDir(t);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\n');
  await settle();
  const readSince = Date.now();
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=eth0\n'); // the edit in the gap
  const seen: string[] = [];
  const w = watchConfigDirs([dir], (p) => seen.push(p), nullLogger, readSince);
  t.after(() => w.close());
  const deadline = Date.now() + 5000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, [join(dir, '10-lan.conf')]);
});

test('no edit in the gap: the watch reports nothing at start, then reports a later edit', async (t) => {
  const dir = dropInDir(t);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\n');
  await settle();
  const seen: string[] = [];
  const w = watchConfigDirs([dir], (p) => seen.push(p), nullLogger, Date.now());
  t.after(() => w.close());
  // chokidar's ready is not exposed; a short wait covers its start here.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen.length, 0, `nothing to report at start: ${JSON.stringify(seen)}`);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=eth1\n');
  const deadline = Date.now() + 5000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(seen.includes(join(dir, '10-lan.conf')), `a later edit is seen: ${JSON.stringify(seen)}`);
});
