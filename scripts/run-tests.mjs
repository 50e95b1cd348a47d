#!/usr/bin/env node
// Runs every test tier in one node:test invocation so the run ends with one
// summary: unit (everywhere), namespace, bus and packaging (root; they skip
// with the reason printed when they cannot run), and the VM tier when asked
// (FLATNET_TEST_VM=1, as .ci/run does; `npm run test:vm` runs it alone).
import { readdirSync, statSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const tiers = ['unit', 'netns', 'dbus', 'packaging', 'reliability'];
if (process.env.FLATNET_TEST_VM === '1') tiers.push('vm');
const only = process.argv.slice(2);
const chosen = only.length ? only : tiers;

function collect(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return e === 'lib' || e === 'guest' ? [] : collect(p);
    return e.endsWith('.test.js') ? [p] : [];
  });
}

const files = chosen.flatMap((t) => collect(join('dist', 'test', t))).sort();
if (files.length === 0) {
  console.error(`no test files under dist/test/{${chosen.join(',')}}: did the build run?`);
  process.exit(1);
}
// spec for people; TAP to a file for the totals, printed last as one plain
// line (the spec reporter ends with its list of failing and todo tests).
const tapDir = mkdtempSync(join(tmpdir(), 'flatnet-tap-'));
const tap = join(tapDir, 'run.tap');
const r = spawnSync(process.execPath, ['--test', '--test-timeout=600000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files], { stdio: 'inherit' });
const count = (name) => {
  const m = existsSync(tap) ? new RegExp(`^# ${name} (\\d+)$`, 'm').exec(readFileSync(tap, 'utf8')) : null;
  return m ? Number(m[1]) : 0;
};
console.log(`${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped') + count('todo')} skipped`);
rmSync(tapDir, { recursive: true, force: true });
process.exit(r.status ?? 1);
