// Every way flatnetd is started runs Node with src/node-flags.ts's flags: the
// Debian and Nix launchers, the VM tier's, and the harnesses the tests and the
// bench start it with (so what is measured is what ships).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { ROOT } from '../support/tools.js';

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

test('the launchers start node with NODE_FLAGS before the entry (flatnetd.js: the compile cache, then main.js)', () => {
  const flags = NODE_FLAGS.join(' ');
  assert.ok(flags.length > 0);
  assert.match(read('debian/bin/flatnetd'), new RegExp(`^exec /usr/bin/node ${flags} /usr/lib/flatnetd/dist/src/flatnetd\\.js "\\$@"$`, 'm'));
  assert.ok(read('nix/package.nix').includes(`--add-flags "${flags} $lib/dist/src/flatnetd.js"`), 'nix/package.nix wraps node with the flags');
  const vm = read('test/vm/guest/rootfs/usr/local/lib/flatnet-vm/stage-main.sh');
  const launchers = vm.split('\n').filter((l) => l.includes('dist/src/main.js'));
  assert.equal(launchers.length, 2, 'the VM tier writes two launchers');
  for (const l of launchers) assert.ok(l.includes(`exec /usr/bin/node ${flags} %s/dist/src/main.js`), l);
});

test('the test and bench harnesses spawn the daemon with NODE_FLAGS', () => {
  for (const path of ['test/support/daemon-process.ts', 'bench/lib/daemon.ts', 'test/reliability/sandbox.test.ts']) {
    // The bench may run another build's entry (--node NODE@ENTRY), with the same flags.
    assert.match(read(path), /process\.execPath, \.\.\.NODE_FLAGS, (?:o\.node\?\.entry \?\? )?DAEMON_JS/, path);
  }
});
