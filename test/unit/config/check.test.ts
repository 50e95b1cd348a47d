import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPaths } from '../../../src/config/check.js';
import { REPO, shown } from '../../support/config.js';

test('the shipped examples in etc/flatnet.d pass check together, with no errors', async () => {
  const dir = join(REPO, 'etc', 'flatnet.d');
  const r = await checkPaths([dir]);
  assert.deepEqual(shown(r.diagnostics.filter((d) => d.severity === 'error')), []);
  assert.deepEqual(r.networks.map((n) => n.name), ['macvlan1', 'macvlan2', 'mac_net10', 'mac_net20', 'ipvlan120', 'dualstack', 'macnet222']);
  // no warnings: the daemon's status shows none for the shipped examples; the README's shim address
  // inside the containers' range earns a note, which only check shows
  assert.deepEqual(shown(r.diagnostics), []);
  assert.deepEqual(shown(r.notes), [
    `note: ${dir}/10-lan.conf:34: Address=192.168.88.192/32: inside IPRange=192.168.88.192/27: Docker must reserve it with --aux-address (flatnetctl docker-args always adds it)`,
  ]);
});

test('check takes files and directories together, and names a path that is not there', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'flatnet-check-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'a.conf'), '[Network]\nName=lan\nParent=eth0\n');
  const single = join(root, 'b.txt');
  writeFileSync(single, '[Network]\nName=lan\nParent=eth1\nVLAN=5000\n');
  const r = await checkPaths([root, single, join(root, 'missing.conf')]);
  assert.deepEqual(shown(r.diagnostics), [
    `error: ${single}:4: VLAN=5000: must be 1..4094`,
    `error: ${join(root, 'missing.conf')}: no such file or directory`,
  ]);
  assert.deepEqual(r.networks.map((n) => n.file), [join(root, 'a.conf')]);
});
