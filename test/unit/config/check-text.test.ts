// Manager.Check's validator (the Cockpit page's editor): a drop-in's text as
// it would be if saved, checked beside the drop-ins already there, by the
// same code as `flatnetctl check`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDropInText, checkPaths, DROPIN_NAME } from '../../../src/config/check.js';
import { formatDiagnostic } from '../../../src/errors.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../../../etc/flatnet.d/10-lan.conf', import.meta.url)), 'utf8');

test('an invalid text: every error at its line, in the path it would be saved at, as flatnetctl check says it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-checktext-'));
  try {
    const text = EXAMPLE.replace('Subnet=192.168.88.0/24', 'Subnet=192.168.88.0/99');
    const r = await checkDropInText([dir], '10-lan.conf', text);
    assert.equal(r.path, join(dir, '10-lan.conf'));
    const line = text.split('\n').indexOf('Subnet=192.168.88.0/99') + 1;
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    assert.ok(errors.length > 0);
    assert.equal(errors[0]?.line, line);
    // One validator: the same words `flatnetctl check FILE` prints for that file.
    writeFileSync(join(dir, '10-lan.conf'), text);
    const cli = await checkPaths([dir]);
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), cli.diagnostics.map(formatDiagnostic));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a valid text has no error; a clash with a drop-in already there is found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-checktext-'));
  try {
    assert.deepEqual((await checkDropInText([dir], '10-lan.conf', EXAMPLE)).diagnostics.filter((d) => d.severity === 'error'), []);
    writeFileSync(join(dir, '10-lan.conf'), EXAMPLE);
    // The same network under a second file name: a duplicate Name=, as the daemon would refuse it.
    const r = await checkDropInText([dir], '20-copy.conf', EXAMPLE);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error' && d.file === join(dir, '20-copy.conf')),
      JSON.stringify(r.diagnostics));
    // Editing the file itself does not clash with its saved copy.
    assert.deepEqual((await checkDropInText([dir], '10-lan.conf', EXAMPLE)).diagnostics.filter((d) => d.severity === 'error'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a drop-in name is one file name ending in .conf', () => {
  for (const ok of ['10-lan.conf', 'a.conf', 'lan@1.conf']) assert.ok(DROPIN_NAME.test(ok), ok);
  for (const bad of ['../x.conf', 'a/b.conf', '.conf', '.hidden.conf', 'x.txt', '', 'x.conf\n']) assert.ok(!DROPIN_NAME.test(bad), bad);
});
