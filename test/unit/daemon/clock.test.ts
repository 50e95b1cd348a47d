// The daemon's first run must not load perf_hooks: the first touch of the
// `performance` global loads it and seven internal modules (about 2 ms of
// CPU before READY=1). A process of its own, since the test runner has them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../../', import.meta.url));

test('a start of the daemon (config, first run, status) loads no perf_hooks', () => {
  const script = `
    const { Daemon } = await import(${JSON.stringify(`${dist}src/reconcile/daemon.js`)});
    const { buildConfigSet } = await import(${JSON.stringify(`${dist}src/config/load.js`)});
    const { silentLogger } = await import(${JSON.stringify(`${dist}src/log.js`)});
    const { nullNotifier } = await import(${JSON.stringify(`${dist}src/notify.js`)});
    const { FakeKernel } = await import(${JSON.stringify(`${dist}test/fake/fake-kernel.js`)});
    const kernel = new FakeKernel();
    kernel.addNic('vp1');
    const daemon = new Daemon({ kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log: silentLogger, notifier: nullNotifier, version: 'test',
      loadConfig: async () => buildConfigSet([{ path: '/etc/flatnet.d/n1.conf', text: '[Network]\\nParent=vp1\\n[Shim]\\nName=shim1\\nAddress=10.1.1.192/32\\n' }]),
      parentWaitMs: 10, kernelDebounceMs: 0, nowUsec: () => BigInt(Date.now()) * 1000n });
    await daemon.start();
    kernel.deleteLink('shim1');
    await daemon.reconcile();
    await daemon.stop();
    console.log(JSON.stringify({ links: kernel.net.links.size, perf: process.moduleLoadList.filter((m) => m.endsWith(' perf_hooks') || m.endsWith('internal/perf/performance')) }));
  `;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { links: number; perf: string[] };
  assert.ok(out.links >= 2, 'the shim was made');
  assert.deepEqual(out.perf, []);
});
