// The namespace tier's tests that skip on the host for want of 802.1Q,
// ipvlan or dummy (test/netns, requireKernel) run here, where the kernel has
// them; each becomes a check. Skipping here is a failure: this kernel has them.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type Reporter } from './lib.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Tests named after the kind they need, as test/netns/iproute2.test.ts names them. */
const PATTERN = '^(vlan|ipvlan|dummy): ';

export function netnsTier(r: Reporter): void {
  const dir = join(repo, 'dist/test/netns');
  // Only the files that can skip for the kernel's sake (they call requireKernel).
  const files = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.test.js') && readFileSync(join(dir, f), 'utf8').includes('requireKernel(')).map((f) => join(dir, f))
    : [];
  if (files.length === 0) {
    r.check('namespace tier (vlan/ipvlan/dummy tests) runs in the VM', false, `no test file in ${dir} calls requireKernel (npm run build?)`);
    return;
  }
  const res = run([process.execPath, '--test', '--test-reporter=tap', `--test-name-pattern=${PATTERN}`, ...files], { timeoutMs: 300_000 });
  const results = parseTap(res.stdout).filter((t) => new RegExp(PATTERN).test(t.name));
  if (results.length === 0) {
    r.check('namespace tier (vlan/ipvlan/dummy tests) runs in the VM', false, `no test matched ${PATTERN}: exit ${res.code}: ${(res.stderr + res.stdout).slice(-800)}`);
    return;
  }
  for (const t of results) {
    const name = `namespace tier in the VM: ${t.name}`;
    if (t.skip !== null) r.check(name, false, `skipped on a kernel that has vlan, ipvlan and dummy: ${t.skip}`);
    else r.check(name, t.ok, t.ok ? 'passed' : t.detail || `failed (exit ${res.code})`);
  }
}

interface TapTest { name: string; ok: boolean; skip: string | null; detail: string }

/** Top-level results of node's TAP reporter, with the YAML block of a failure as its detail. */
export function parseTap(text: string): TapTest[] {
  const out: TapTest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(not ok|ok) \d+ - (.*?)(?: # SKIP(?: (.*))?)?$/.exec(lines[i] ?? '');
    if (m === null) continue;
    const detail: string[] = [];
    for (let j = i + 1; j < lines.length && /^ {2}/.test(lines[j] ?? ''); j++) {
      const l = (lines[j] ?? '').trim();
      if (/^(error|expected|actual|message):/.test(l) || (detail.length > 0 && detail.length < 12 && !/^(duration_ms|type|location|stack|failureType|code|operator|\.\.\.|---)/.test(l))) detail.push(l);
    }
    out.push({ name: m[2] ?? '', ok: m[1] === 'ok', skip: m[3] !== undefined ? m[3] : (lines[i] ?? '').includes(' # SKIP') ? '' : null, detail: detail.join(' ') });
  }
  return out;
}
