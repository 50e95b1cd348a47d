#!/usr/bin/env node
// The daemon as it ships: tsc's output (dist/src) bundled by esbuild into a
// few files (dist/bundle), because Node's ESM loader spends more on finding,
// reading and linking each of the ~80 modules on the way to READY=1 than on
// running them (issue 18; docs/benchmarks.md has the figures). What is loaded
// later (the bus, the watch, the engines, the test hook) stays in chunks of
// its own, imported when it is used, as in dist/src. npm modules stay
// outside (node_modules), as does the notify addon (native/).
//
//   node scripts/bundle.mjs [--from dist/src] [--out dist/bundle]
//
// The bundle sits at the same depth as dist/src, so the paths the code takes
// from import.meta.url (../../package.json, ../../native/…, node_modules)
// mean the same in both; the drop-in worker is an entry of its own, beside
// the chunk that starts it. dist/bundle/meta.json maps every chunk to the
// modules in it (test/netns/start-up-loads.test.ts reads it).
//
// esbuild is the one from package-lock.json (node_modules/.bin); $ESBUILD
// names another binary (the Nix package gives nixpkgs' own). Only the
// command line is used, which esbuild keeps stable across versions.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? resolve(args[i + 1]) : join(root, dflt);
};
const from = opt('--from', 'dist/src');
const out = opt('--out', 'dist/bundle');
const esbuild = process.env.ESBUILD || join(root, 'node_modules/.bin/esbuild');

const entries = ['flatnetd.js', 'config/load-worker.js'].map((e) => join(from, e));
for (const e of entries) {
  if (!existsSync(e)) {
    process.stderr.write(`bundle: ${e} is missing: run tsc first (npm run build does both)\n`);
    process.exit(1);
  }
}
if (!existsSync(esbuild)) {
  process.stderr.write(`bundle: no esbuild at ${esbuild}: run npm ci (it is a dev dependency), or set ESBUILD\n`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const r = spawnSync(esbuild, [
  ...entries,
  '--bundle', '--splitting', '--format=esm', '--platform=node', '--target=node20',
  '--packages=external',
  // No --keep-names: it wraps every function expression in a call that sets
  // its name, on hot paths too, and nothing here reads a function's name.
  '--sourcemap',
  `--outdir=${out}`, '--entry-names=[name]', '--chunk-names=[name]-[hash]',
  `--metafile=${join(out, 'meta.json')}`,
  '--log-level=warning',
], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  process.stderr.write(`bundle: esbuild failed (${r.error?.message ?? `exit ${r.status}`})\n`);
  process.exit(1);
}
chmodSync(join(out, 'flatnetd.js'), 0o755);
