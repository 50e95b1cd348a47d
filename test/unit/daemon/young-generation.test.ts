// The daemon caps V8's young generation from inside once it is up
// (src/node-flags.ts YOUNG_GENERATION_CAP, set by main.ts), instead of
// `--max-semi-space-size=1` on node's command line, which cost every built-in
// module its code cache (issue 18). The cap must hold under every supported
// Node major, whose V8s differ: the same allocation that grows the new space
// to tens of MiB without it stays a few MiB with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SUPPORTED_MAJORS, nodeRuntime } from '../../support/node-runtimes.js';

const FLAGS_JS = fileURLToPath(new URL('../../../src/node-flags.js', import.meta.url));

// Reconcile-like garbage with a little kept each round; prints the largest new space seen, in MiB.
const PROBE = `
import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
const { YOUNG_GENERATION_CAP } = await import(process.argv[1]);
if (process.argv[2] === 'cap') setFlagsFromString(YOUNG_GENERATION_CAP);
const keep = [];
let max = 0;
for (let r = 0; r < 200; r++) {
  const junk = [];
  for (let i = 0; i < 20000; i++) junk.push({ a: i, b: 'x' + i, c: [i, i + 1] });
  keep.push(junk[r]);
  const ns = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  max = Math.max(max, ns ? ns.space_size : 0);
}
console.log(max / 1048576);
`;

function newSpaceMiB(node: string, mode: 'cap' | 'none'): number {
  const r = spawnSync(node, ['--input-type=module', '-e', PROBE, FLAGS_JS, mode], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

for (const major of SUPPORTED_MAJORS) {
  test(`Node ${major}: YOUNG_GENERATION_CAP, set at run time, keeps the new space from growing`, async (t) => {
    let node: string;
    try {
      node = (await nodeRuntime(major)).node;
    } catch (e) {
      return t.skip(`no Node ${major}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const free = newSpaceMiB(node, 'none');
    const capped = newSpaceMiB(node, 'cap');
    assert.ok(free >= 16, `without the cap the new space grew only to ${free} MiB: this allocation proves nothing`);
    // Node 20 and 22 hold it at its starting 2 MiB; Node 24's V8 lets it reach a few MiB more, still a fraction.
    assert.ok(capped <= 16 && capped <= free / 4, `with the cap the new space still grew to ${capped} MiB (${free} MiB without)`);
  });
}
