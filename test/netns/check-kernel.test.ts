// `flatnetctl check --kernel` in a namespace of the test's own: the drop-ins
// against the kernel running there, read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, requireRoot, run } from '../support/netns.js';

const CTL = fileURLToPath(new URL('../../src/cli/flatnetctl.js', import.meta.url));

test('check --kernel: a missing parent named with the NICs here, an MTU above the parent\'s, a foreign link on the shim\'s name', async (t) => {
  if (!requireRoot(t)) return;
  const ns = await createNetns(t, 'check-kernel');
  await ns.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  await ns.ip('link', 'set', 'eth0', 'mtu', '1500');
  await ns.ip('link', 'add', 'docker-link', 'type', 'bridge');
  const dir = mkdtempSync(join(tmpdir(), 'fnt-check-kernel-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, '10-typo.conf'), '[Network]\nParent=eht0\nSubnet=192.168.88.0/24\n');
  writeFileSync(join(dir, '20-jumbo.conf'), '[Network]\nParent=eth0\nMTU=9000\n');
  writeFileSync(join(dir, '30-taken.conf'), '[Network]\nParent=eth0\nSubnet=10.0.0.0/24\n\n[Shim]\nName=docker-link\nAddress=10.0.0.2/32\n');
  // Offline, the three are valid drop-ins.
  const offline = await run(['ip', 'netns', 'exec', ns.name, process.execPath, CTL, 'check', dir]);
  assert.equal(offline.code, 0, offline.stderr);
  const r = await run(['ip', 'netns', 'exec', ns.name, process.execPath, CTL, 'check', '--kernel', dir]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.replace(/\x1b\[[0-9;]*m/g, ''), [
    `error: ${dir}/10-typo.conf:2: Parent=eht0: no interface eht0 here (interfaces here: docker-link, eth0, eth0p; did you mean eth0?); flatnetd would wait for it`,
    `error: ${dir}/20-jumbo.conf:3: MTU=9000: above the MTU of the parent eth0 (1500)`,
    `error: ${dir}/30-taken.conf:6: Name=docker-link: docker-link exists here as a bridge link not made by flatnetd, which leaves it alone; delete it (ip link delete docker-link) or set another Name=`,
    '3 errors; fix the drop-ins above.', '',
  ].join('\n'));
});
