// Node's compile cache in the unit's CacheDirectory=: on Node >= 22.1 the
// entry (dist/bundle/flatnetd.js, as the launchers start it) turns it on
// before the daemon's modules load, so main's chunk and every file it imports
// land in $CACHE_DIRECTORY; on Node 20, and
// without the directory, nothing happens and nothing fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableCompileCache, NODE_FLAGS } from '../../../src/node-flags.js';
import { nodeRuntime, type NodeRuntime } from '../../support/node-runtimes.js';
import { bundleMap } from '../../support/bundle-map.js';

const ENTRY = fileURLToPath(new URL('../../../bundle/flatnetd.js', import.meta.url));
const version = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
}

async function runtime(major: number): Promise<NodeRuntime | string> {
  try {
    return await nodeRuntime(major);
  } catch (e) {
    return `no Node ${major}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Starts `flatnetd --version`; its stderr (Node's compile-cache debug lines when asked for). */
function startVersion(rt: NodeRuntime, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(rt.node, [...NODE_FLAGS, ENTRY, '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `flatnetd ${version}`);
  return r.stderr;
}

/** Node's verdict on each of our modules' cache entries (NODE_DEBUG_NATIVE=COMPILE_CACHE; 22: `cache for file:…`, 24: `V8 code cache for ESM file:…`): `main-ABC123.js` → `accepted`. */
function verdicts(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/cache for (?:ESM |CommonJS )?file:\/\/\S*?\/dist\/bundle\/(\S+) was (\w+)/g)) {
    if (m[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

test('enableCompileCache: only with a directory and a Node that has the API; a failure is no failure', () => {
  const calls: string[] = [];
  const mod = { enableCompileCache: (d: string) => { calls.push(d); return { status: 1, directory: d }; } };
  assert.equal(enableCompileCache({ CACHE_DIRECTORY: '/var/cache/flatnetd' }, mod), true);
  assert.equal(enableCompileCache({ CACHE_DIRECTORY: '/var/cache/a:/var/cache/b' }, mod), true);
  assert.deepEqual(calls, ['/var/cache/flatnetd', '/var/cache/a']);
  assert.equal(enableCompileCache({}, mod), false);
  assert.equal(enableCompileCache({ CACHE_DIRECTORY: '' }, mod), false);
  assert.equal(enableCompileCache({ CACHE_DIRECTORY: '/x' }, {}), false, 'Node 20: no such API');
  assert.equal(enableCompileCache({ CACHE_DIRECTORY: '/x' }, { enableCompileCache: () => { throw new Error('EACCES'); } }), false);
  assert.equal(calls.length, 2);
});

for (const major of [22, 24]) {
  test(`Node ${major}: the daemon's modules are cached in $CACHE_DIRECTORY and the next start uses them`, async (t) => {
    const rt = await runtime(major);
    if (typeof rt === 'string') return t.skip(rt);
    const dir = mkdtempSync(join(tmpdir(), 'fnt-cache-'));
    try {
      startVersion(rt, { CACHE_DIRECTORY: dir });
      const cached = files(dir);
      // The entry, main's chunk and every chunk they import statically (the start before READY=1).
      const map = bundleMap();
      const boot = map.boot().filter((f) => !map.entry().includes(f));
      assert.ok(boot.length >= 2 && cached.length >= boot.length, `only ${cached.length} files cached for ${boot.length} loaded: ${cached.join(', ')}`);
      assert.ok(readdirSync(dir).some((d) => d.startsWith(rt.version)), `${readdirSync(dir).join(', ')}: not keyed by ${rt.version}`);
      const second = verdicts(startVersion(rt, { CACHE_DIRECTORY: dir, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }));
      assert.equal(files(dir).length, cached.length, 'the second start wrote nothing new: it read the cache');
      // Hit, not merely present: Node checked each entry against the file and its own flags (NODE_FLAGS) and used it.
      for (const m of boot) assert.equal(second.get(m), 'accepted', `${m}: ${second.get(m) ?? 'not looked up'}`);
      const missed = [...second].filter(([, v]) => v !== 'accepted');
      assert.deepEqual(missed, [], 'every module of the start was served from the cache');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('Node 20: nothing is cached and the daemon starts as before', async (t) => {
  const rt = await runtime(20);
  if (typeof rt === 'string') return t.skip(rt);
  const dir = mkdtempSync(join(tmpdir(), 'fnt-cache-'));
  try {
    startVersion(rt, { CACHE_DIRECTORY: dir });
    assert.deepEqual(files(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache directory that cannot be used does not stop the start', async (t) => {
  const rt = await runtime(22);
  if (typeof rt === 'string') return t.skip(rt);
  const dir = mkdtempSync(join(tmpdir(), 'fnt-cache-'));
  try {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, '');
    startVersion(rt, { CACHE_DIRECTORY: notADir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
