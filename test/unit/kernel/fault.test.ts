// The kill-after-k-ops hook itself (src/kernel/fault.ts), on the fake kernel:
// exactly k ops reach the kernel, counted across batches, then the kill.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_ENV, KillAfterOpsKernel, faultKillAfterOps } from '../../../src/kernel/fault.js';
import { reconcileOnce } from '../../../src/reconcile/run.js';
import { silentLogger } from '../../../src/log.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { network, flatLan, shim } from '../../fake/scenarios.js';

test('the environment variable: unset means off, a count means on, anything else is refused', () => {
  assert.equal(faultKillAfterOps({}), null);
  assert.equal(faultKillAfterOps({ [FAULT_ENV]: '' }), null);
  assert.equal(faultKillAfterOps({ [FAULT_ENV]: '0' }), 0);
  assert.equal(faultKillAfterOps({ [FAULT_ENV]: '17' }), 17);
  for (const bad of ['-1', '1.5', 'x', ' 3']) assert.throws(() => faultKillAfterOps({ [FAULT_ENV]: bad }), /must be a non-negative integer/);
});

test('exactly k ops are applied, across batches and rounds, then the kill; before it nothing is held back', async () => {
  const nets = [flatLan(), network('iot', { parent: 'enp4s0', subnets: ['10.20.0.0/24'], ipRanges: ['10.20.0.128/25'], shim: shim('iot-link', { addresses: ['10.20.0.2/32'] }) })];
  const full = new FakeKernel();
  full.addNic('enp3s0');
  full.addNic('enp4s0');
  const all = await reconcileOnce(full, { networks: nets, frozen: [], down: [], machineId: '0'.repeat(32) }, silentLogger);
  const n = all.applied.length;
  assert.ok(n >= 6, `${n} ops`);
  for (let k = 0; k <= n + 1; k++) {
    const inner = new FakeKernel();
    inner.addNic('enp3s0');
    inner.addNic('enp4s0');
    let killed = 0;
    const k2 = new KillAfterOpsKernel(inner, { ops: k, kill: () => { killed++; } });
    await reconcileOnce(k2, { networks: nets, frozen: [], down: [], machineId: '0'.repeat(32) }, silentLogger).catch(() => undefined);
    if (k >= n) {
      assert.equal(killed, 0, `k=${k}: a run of ${n} ops never reaches the kill`);
      assert.equal(inner.applied.length, n);
    } else {
      assert.ok(killed >= 1, `k=${k}: killed`);
      assert.deepEqual(inner.applied.map((o) => o.op), all.applied.slice(0, k).map((o) => o.op), `k=${k}: the first k ops, in order, and no more before the kill`);
    }
  }
});
