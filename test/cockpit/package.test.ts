// The Cockpit package as files, without Cockpit: what Cockpit's content
// security policy allows (no inline script, style or handler), every file the
// page names is shipped, the manifest is what Cockpit reads, and what it
// ships stays small (measured, raw and gzipped, as Cockpit serves it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';

const DIR = fileURLToPath(new URL('../../../cockpit/flatnet', import.meta.url));
/** What the page may weigh, all files together (it was 31 KiB raw, 9 KiB gzipped when written). */
const BUDGET_BYTES = 40 * 1024;

test('the manifest puts one page in Cockpit\'s menu and keeps Cockpit\'s strict CSP', () => {
  const m = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8')) as {
    menu?: Record<string, { label?: string }>; 'content-security-policy'?: string;
  };
  assert.equal(m.menu?.['index']?.label, 'Flat networks');
  const csp = m['content-security-policy'] ?? '';
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), csp);
});

test('index.html has no inline script, style or handler, and every file it names is shipped', () => {
  const html = readFileSync(join(DIR, 'index.html'), 'utf8');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(m[1] ?? '', /\ssrc="/, `inline script: ${m[0]}`);
    assert.equal((m[2] ?? '').trim(), '', `inline script: ${m[0]}`);
  }
  assert.doesNotMatch(html, /<style\b|\sstyle="|\son[a-z]+="/);
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const ref = m[1] ?? '';
    if (ref === '../base1/cockpit.js') continue; // Cockpit's own
    assert.ok(existsSync(join(DIR, ref)), `${ref} is not in cockpit/flatnet`);
  }
  // Every id the script looks up is in the page.
  const js = readFileSync(join(DIR, 'flatnet.js'), 'utf8');
  for (const m of js.matchAll(/\$\("([\w-]+)"\)/g)) assert.match(html, new RegExp(`id="${m[1] ?? ''}"`), `#${m[1] ?? ''}`);
});

test('flatnet.js is valid JavaScript as shipped (no build step), and never polls', () => {
  const r = spawnSync(process.execPath, ['--check', join(DIR, 'flatnet.js')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // Live updates come from the bus's signals (proxies); a timer may only debounce the editor's check.
  const js = readFileSync(join(DIR, 'flatnet.js'), 'utf8');
  assert.doesNotMatch(js, /setInterval|requestAnimationFrame/);
  assert.deepEqual([...js.matchAll(/setTimeout\(([\w.]+)/g)].map((m) => m[1]), ['check']);
});

test('the package is small: measured raw and gzipped', () => {
  let raw = 0;
  let gz = 0;
  const rows: string[] = [];
  for (const f of readdirSync(DIR).sort()) {
    const p = join(DIR, f);
    const size = statSync(p).size;
    const z = gzipSync(readFileSync(p), { level: 9 }).length;
    raw += size;
    gz += z;
    rows.push(`${f} ${size} B (${z} B gzipped)`);
  }
  process.stdout.write(`# cockpit/flatnet: ${rows.join(', ')}; total ${raw} B, ${gz} B gzipped\n`);
  assert.ok(raw <= BUDGET_BYTES, `${raw} B > ${BUDGET_BYTES} B`);
});
