// The loop acts on the code of a kernel refusal (src/kernel/failure.ts), never
// on iproute2's words: the fake kernel refuses with codes and plain words.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileOnce } from '../../../src/reconcile/run.js';
import { silentLogger } from '../../../src/log.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { MACHINE_ID, readmeLan } from '../../fake/scenarios.js';

function nas(): FakeKernel {
  const k = new FakeKernel();
  k.addNic('enp3s0');
  return k;
}
const input = { networks: [readmeLan()], frozen: [], down: [], machineId: MACHINE_ID };

test('a link gone since the look (code gone, whatever the words): looked at again and made in the same run', async () => {
  const k = nas();
  k.failNext(1, 'gone');
  const r = await reconcileOnce(k, input, silentLogger);
  const lan = r.outcomes.get('lan');
  assert.deepEqual([lan?.failed, lan?.errors], [false, []]);
  assert.ok(k.link('docker-link')?.up, k.dump());
  assert.equal(r.leftover.length, 0);
});

test('a refusal that is not a stale view (code refused): the new network is rolled back and fails with the kernel\'s reason', async () => {
  const k = nas();
  k.failNext(2, 'refused');
  const r = await reconcileOnce(k, input, silentLogger);
  const lan = r.outcomes.get('lan');
  assert.equal(lan?.failed, true);
  assert.deepEqual(lan?.errors.map((e) => [e.code, e.object]), [['kernel', 'docker-link']]);
  assert.match(lan?.errors[0]?.message ?? '', /injected \(refused\)/);
  assert.equal(k.link('docker-link'), undefined, 'nothing half-made is left');
});
