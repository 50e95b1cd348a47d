// Every way flatnetd is started runs the same thing: Node with src/node-flags.ts's
// flags (none today) and the bundle the packages ship (dist/bundle/flatnetd.js,
// scripts/bundle.mjs): the Debian and Nix launchers, the VM tier's, and the
// harnesses the tests and the bench start it with (so what is measured and
// tested is what ships).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { ROOT } from '../support/tools.js';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const command = (entry: string): string => ['exec', '/usr/bin/node', ...NODE_FLAGS, entry].join(' ');

test('the launchers start node with NODE_FLAGS and the bundled entry (dist/bundle/flatnetd.js)', () => {
  assert.match(read('debian/bin/flatnetd'), new RegExp(`^${esc(command('/usr/lib/flatnetd/dist/bundle/flatnetd.js'))} "\\$@"$`, 'm'));
  assert.ok(read('nix/package.nix').includes(`--add-flags ${NODE_FLAGS.length === 0 ? '' : `"${NODE_FLAGS.join(' ')} `}$lib/dist/bundle/flatnetd.js`), 'nix/package.nix wraps node with the flags and the bundle');
  const vm = read('test/vm/guest/rootfs/usr/local/lib/flatnet-vm/stage-main.sh');
  const launchers = vm.split('\n').filter((l) => l.includes('/flatnetd.js'));
  assert.equal(launchers.length, 2, 'the VM tier writes two launchers');
  for (const l of launchers) assert.ok(l.includes(`${command('%s/dist/bundle/flatnetd.js')} "$@"`), l);
  assert.match(read('package.json'), /"flatnetd": "dist\/bundle\/flatnetd\.js"/);
});

test('the test and bench harnesses spawn the bundled daemon with NODE_FLAGS', () => {
  for (const path of ['test/support/daemon-process.ts', 'bench/lib/daemon.ts']) {
    // The bench may run another build's entry (--node NODE@ENTRY), with that build's own flags.
    assert.match(read(path), /process\.execPath, \.\.\.(?:NODE_FLAGS|\(o\.node\?\.flags \?\? NODE_FLAGS\)), (?:o\.node\?\.entry \?\? )?DAEMON_JS/, path);
    assert.match(read(path), /DAEMON_JS = fileURLToPath\(new URL\('\.\.\/\.\.\/bundle\/flatnetd\.js', import\.meta\.url\)\)/, path);
  }
  assert.match(read('test/reliability/sandbox.test.ts'), /\.\.\.NODE_FLAGS, DAEMON_JS/);
});
