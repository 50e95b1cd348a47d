// A frozen network's links are left exactly as they are, also when they hang
// below a link another network wants re-made: the kernel deletes a parent's
// children with it, so re-making the parent would delete the frozen shim.
// Found by the convergence property (seed 1975995488 on an older planner:
// "frozen link 11 deleted"); built here by hand.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '../../../src/errors.js';
import { describeOp } from '../../../src/plan/ops.js';
import { converge, planNow } from '../../fake/drive.js';
import { host, shared30a, shared30b } from '../../fake/scenarios.js';

test("a VLAN parent holding a frozen network's shim is not re-made for another network; that one waits, with a warning", async () => {
  const k = host();
  await converge(k, { networks: [shared30a(), shared30b()] }, 1);
  // Someone made enp3s0.30 again with the wrong VLAN id and marked it for
  // s30b only, and put both shims back as they were (same MACs, same marks).
  const vlan = k.link('enp3s0.30');
  assert.ok(vlan !== undefined);
  const kids = ['shim30a', 'shim30b'].map((n) => {
    const l = k.link(n);
    assert.ok(l !== undefined);
    return { name: l.name, kind: l.kind, mode: l.mode, mac: l.mac, alias: l.alias };
  });
  k.deleteLink('enp3s0.30');
  k.addForeignLink({ name: 'enp3s0.30', kind: 'vlan', parent: 'enp3s0', vlanId: 1030, alias: 'flatnet:s30b' });
  for (const c of kids) k.addForeignLink({ ...c, parent: 'enp3s0.30' });
  const frozenShim = k.ifindex('shim30a');

  const input = { networks: [shared30a(), shared30b()], frozen: ['s30a'] };
  const { plan } = await planNow(k, input);
  assert.deepEqual(plan.ops.map(describeOp).filter((l) => /enp3s0\.30|shim30a/.test(l)), [],
    'nothing may touch the parent of a frozen shim, nor the shim');
  assert.deepEqual(plan.conflicts.map((d) => d.network), ['s30b']);
  assert.deepEqual(plan.conflicts.map(formatDiagnostic), [
    "enp3s0.30: VLAN id 1030, want 30; not re-made while shim30a (of frozen network s30a) hangs below it (the kernel would delete it too)",
  ]);
  await converge(k, input, 1);
  assert.equal(k.ifindex('shim30a'), frozenShim, 'the frozen shim is still there, the same link');
  assert.equal(k.link('enp3s0.30')?.vlanId, 1030);

  // Thawed, s30a's shim may go with its parent: both are made right.
  const thawed = await converge(k, { networks: [shared30a(), shared30b()] }, 1);
  assert.equal(k.link('enp3s0.30')?.vlanId, 30);
  assert.deepEqual(thawed.plan.conflicts, []);
});
