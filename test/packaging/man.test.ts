// The man pages as a user reads them: rendered by scripts/build-man.sh (the
// recipe debian/rules and nix/package.nix run) and formatted by man(1). Every
// option the sources spell `--word` must come out as two ASCII hyphens, so
// it can be copied into a shell: pandoc's smart typography made `--json` an
// en dash (`–json`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, have, run } from '../support/tools.js';

const PAGES = ['flatnetd.8', 'flatnet.d.5', 'flatnetctl.1'];
const missing = ['pandoc', 'man', 'groff'].filter((x) => !have(x));

test('rendered man pages show every --option with ASCII hyphens, and no en or em dash before a word', { skip: missing.length > 0 ? `needs ${missing.join(', ')} (apt: pandoc man-db groff-base)` : false }, (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fnt-man-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const built = run('sh', ['scripts/build-man.sh', out]);
  assert.equal(built.code, 0, built.stderr);
  for (const page of PAGES) {
    const r = run('man', ['-l', join(out, page)], { env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', MANWIDTH: '200', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
    assert.equal(r.code, 0, r.stderr);
    // man(1) to a pipe still overstrikes bold text; take it out.
    const text = r.stdout.replace(/.\x08/g, '');
    const source = readFileSync(join(ROOT, 'docs', `${page}.md`), 'utf8').replace(/\\-/g, '-');
    const options = [...new Set([...source.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]))];
    assert.ok(options.length > 0 || page === 'flatnet.d.5', `${page} names options`);
    for (const o of options) assert.ok(text.includes(o), `${page}: ${o} as typed`);
    assert.doesNotMatch(text, /[\u2013\u2014\u2212]-?[a-z]/, `${page}: a dash a shell would not take`);
  }
});
