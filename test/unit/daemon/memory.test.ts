// Memory across 10,000 heals: the whole Daemon (config holder, reconcile loop,
// status, change listeners) on the fake kernel, heap measured after a forced
// collection. Real heals take ~100 ms each, so the real daemon does 300 of
// them in load.test.ts; this one does 10,000 in seconds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { nullNotifier } from '../../../src/notify.js';
import type { DaemonChange } from '../../../src/model/status.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { LAN_DROPIN } from '../../support/dropins.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const LAN = LAN_DROPIN;

const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

test('10,000 heals on the fake kernel: every one counted, the heap flat', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log: silentLogger, notifier: nullNotifier, version: 'test',
    loadConfig: async () => buildConfigSet([{ path: '/etc/flatnet.d/10-lan.conf', text: LAN }]),
    parentWaitMs: 10, kernelDebounceMs: 0, nowUsec: () => BigInt(Date.now()) * 1000n,
  });
  // A D-Bus exporter's worth of listener work: every change is looked at.
  let changes = 0;
  daemon.onChange((c: DaemonChange) => { changes++; if (c.what === 'network') daemon.network(c.name); });
  await daemon.start();
  const samples: [number, number][] = [];
  const t0 = Date.now();
  try {
    for (let i = 1; i <= 10_000; i++) {
      const harm = i % 3;
      if (harm === 0) kernel.deleteLink('docker-link');
      else if (harm === 1) kernel.flushAddresses('docker-link');
      else kernel.setUp('docker-link', false);
      await daemon.reconcile();
      // The fake kernel's own op log is the test's memory, not the daemon's.
      kernel.applied.length = 0;
      if (i % 1000 === 0) samples.push([i, heapMiB()]);
    }
  } finally {
    await daemon.stop();
  }
  const secs = (Date.now() - t0) / 1000;
  const restored = daemon.network('lan')?.restoreCount ?? 0;
  const line = `10,000 fake-kernel heals in ${secs.toFixed(1)} s: RestoreCount ${restored}, ${daemon.counters.runs} runs, ${changes} change events; heap after GC ${samples.map(([i, m]) => `${i}: ${m.toFixed(1)}`).join(', ')} MiB`;
  process.stdout.write(`# ${line}\n`);
  assert.equal(restored, 10_000, 'every heal counted');
  assert.equal(daemon.network('lan')?.state, 'configured');
  const first = samples[0]?.[1] ?? 0;
  const last = samples.at(-1)?.[1] ?? 0;
  assert.ok(last - first < 2, `heap grew ${(last - first).toFixed(2)} MiB from heal 1,000 to 10,000`);
});
