// The drop-in watch starts after the first reconcile; an edit made between
// reading the drop-ins and the watch being up must still be reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedSince, watchConfigDirs } from '../../../src/watch/config-watch.js';
import { CLOCK_SLACK_MS } from '../../../src/watch/watch-plan.js';
import { silentLogger as nullLogger } from '../../../src/log.js';

function dropInDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Well past the check's clock slack: what was written before this is older than the read. */
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

test('changedSince: a drop-in written shortly before the read (past the clock slack) is no change; one written at it is', async (t) => {
  const dir = dropInDir(t);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\n');
  // A start that reads the drop-ins 50 ms after the file was written (node alone takes longer to start).
  assert.ok(CLOCK_SLACK_MS * 2 <= 50);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(changedSince([dir], Date.now()), null, 'written before the start: not an edit during it (no reload right after READY=1)');
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=eth0\n');
  assert.equal(changedSince([dir], Date.now()), join(dir, '10-lan.conf'), 'written at the read: the coarse file clock may put it a tick before');
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
  // The watch is up when watchConfigDirs returns; the gap check answers on the next turn.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen.length, 0, `nothing to report at start: ${JSON.stringify(seen)}`);
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\nParent=eth1\n');
  const deadline = Date.now() + 5000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(seen.includes(join(dir, '10-lan.conf')), `a later edit is seen: ${JSON.stringify(seen)}`);
});

/** Collects what the watch reports; `next(what)` waits for a report, then clears the list. */
function recorder(): { seen: string[]; next(what: string, timeoutMs?: number): Promise<string[]>; none(ms: number): Promise<string[]> } {
  const seen: string[] = [];
  return {
    seen,
    async next(what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.length > 0, `${what}: the watch reported nothing`);
      // Let the rest of the burst (and the plan's redo) arrive.
      await new Promise((r) => setTimeout(r, 100));
      return seen.splice(0);
    },
    async none(ms) {
      await new Promise((r) => setTimeout(r, ms));
      return seen.splice(0);
    },
  };
}

/** ln -sfn: a new link renamed over the old one, as NixOS's activation re-points /etc/static. */
function repoint(link: string, to: string): void {
  symlinkSync(to, `${link}.tmp`);
  renameSync(`${link}.tmp`, link);
}

test('a config directory that is a symlink: edits in its target are seen, and after re-pointing only the new target is watched', async (t) => {
  const root = dropInDir(t);
  const a = join(root, 'a');
  const b = join(root, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const dir = join(root, 'flatnet.d');
  symlinkSync(a, dir);
  const r = recorder();
  const w = watchConfigDirs([dir], (p) => r.seen.push(p), nullLogger);
  t.after(() => w.close());
  writeFileSync(join(a, '10-lan.conf'), '[Network]\n');
  assert.ok((await r.next('an edit in the target')).includes(join(a, '10-lan.conf')));
  repoint(dir, b);
  assert.ok((await r.next('the link re-pointed')).includes(dir));
  writeFileSync(join(b, '10-lan.conf'), '[Network]\n');
  assert.ok((await r.next('an edit in the new target')).includes(join(b, '10-lan.conf')));
  writeFileSync(join(a, '20-old.conf'), '[Network]\n');
  assert.deepEqual(await r.none(300), [], 'the old target is no longer read, nor watched');
});

test("NixOS's layout: a drop-in reached through /etc/static; re-pointing /etc/static to a new generation is seen, and so are edits there", async (t) => {
  const root = dropInDir(t);
  const store = join(root, 'nix', 'store');
  const gen = (n: string): string => {
    const etcTree = join(store, `${n}-etc`, 'etc');
    mkdirSync(join(etcTree, 'flatnet.d'), { recursive: true });
    writeFileSync(join(store, `${n}-lan.conf`), `[Network]\nParent=${n}\n`);
    symlinkSync(join(store, `${n}-lan.conf`), join(etcTree, 'flatnet.d', '10-lan.conf'));
    return etcTree;
  };
  const etc = join(root, 'etc');
  mkdirSync(join(etc, 'flatnet.d'), { recursive: true });
  symlinkSync(gen('aaaa'), join(etc, 'static'));
  symlinkSync(join(etc, 'static', 'flatnet.d', '10-lan.conf'), join(etc, 'flatnet.d', '10-lan.conf'));
  const r = recorder();
  const w = watchConfigDirs([join(etc, 'flatnet.d')], (p) => r.seen.push(p), nullLogger);
  t.after(() => w.close());
  repoint(join(etc, 'static'), gen('bbbb'));
  assert.ok((await r.next('/etc/static re-pointed')).includes(join(etc, 'static')));
  // The new generation's file is watched now (a store path never changes, but
  // the same layout elsewhere may).
  writeFileSync(join(store, 'bbbb-lan.conf'), '[Network]\nParent=eth9\n');
  assert.ok((await r.next('the new target edited')).includes(join(store, 'bbbb-lan.conf')));
  writeFileSync(join(store, 'aaaa-lan.conf'), '[Network]\nParent=eth8\n');
  assert.deepEqual(await r.none(300), [], 'the old generation is not watched');
});

test('refresh() (SIGHUP, a reload) re-resolves a link whose target was missing, and watches where it leads now', async (t) => {
  const root = dropInDir(t);
  const dir = join(root, 'flatnet.d');
  mkdirSync(dir);
  const away = join(root, 'srv', 'net');
  symlinkSync(join(away, 'lan.conf'), join(dir, '10-lan.conf')); // dangling: nothing on the way to watch yet
  const r = recorder();
  const w = watchConfigDirs([dir], (p) => r.seen.push(p), nullLogger);
  t.after(() => w.close());
  mkdirSync(away, { recursive: true });
  writeFileSync(join(away, 'lan.conf'), '[Network]\n');
  await r.none(200);
  w.refresh();
  writeFileSync(join(away, 'lan.conf'), '[Network]\nParent=eth1\n');
  assert.ok((await r.next('an edit of the target')).includes(join(away, 'lan.conf')));
});

test('a config directory deleted and made again is watched again', async (t) => {
  const root = dropInDir(t);
  const dir = join(root, 'flatnet.d');
  mkdirSync(dir);
  const r = recorder();
  const w = watchConfigDirs([dir], (p) => r.seen.push(p), nullLogger);
  t.after(() => w.close());
  rmSync(dir, { recursive: true });
  await r.next('deleted');
  mkdirSync(dir);
  await r.next('made again');
  writeFileSync(join(dir, '10-lan.conf'), '[Network]\n');
  assert.ok((await r.next('an edit in it')).includes(join(dir, '10-lan.conf')));
});
