// loadConfigWith (PlanFiles' view of the drop-ins): a candidate replaces the
// drop-in of its file name, in whichever config directory it lives, or is
// added; its diagnostics name the candidate's own path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigWith } from '../../../src/config/load.js';
import { LAN_DROPIN } from '../../support/dropins.js';

test('a candidate replaces the drop-in of its name in any directory, or is added; its diagnostics carry its path', async () => {
  const root = mkdtempSync(join(tmpdir(), 'fnt-loadwith-'));
  try {
    const etc = join(root, 'etc');
    const lib = join(root, 'lib');
    mkdirSync(etc);
    mkdirSync(lib);
    writeFileSync(join(lib, '10-lan.conf'), LAN_DROPIN);
    writeFileSync(join(etc, '30-keep.conf'), '[Network]\nName=keep\nParent=eth1\n');
    const set = await loadConfigWith([etc, lib], [
      { path: '/home/me/10-lan.conf', text: LAN_DROPIN.replace('Address=', 'Adress=') },
      { path: '/home/me/20-new.conf', text: '[Network]\nName=new\nParent=enp3s0\nVLAN=5000\n' },
    ]);
    assert.deepEqual(set.networks.map((n) => `${n.name} ${n.file}`), ['lan /home/me/10-lan.conf', `keep ${join(etc, '30-keep.conf')}`]);
    assert.equal(set.networks[0]?.shim?.addresses.length, 0, 'the candidate, not the file it replaces');
    assert.deepEqual(set.invalid, [{ name: 'new', file: '/home/me/20-new.conf' }]);
    assert.deepEqual(set.diagnostics.map((d) => `${d.file ?? ''}:${d.line ?? 0} ${d.code}`),
      ['/home/me/10-lan.conf:9 unknown-key', '/home/me/20-new.conf:4 invalid-value']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
