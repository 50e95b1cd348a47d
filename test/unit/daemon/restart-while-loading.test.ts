// A restarted daemon reads its drop-ins before it may judge any link: what
// happens meanwhile (kernel events, a Reconcile call) must delete nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfigSet } from '../../../src/config/load.js';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { silentLogger } from '../../../src/log.js';
import { nullNotifier } from '../../../src/notify.js';
import { FakeKernel } from '../../fake/fake-kernel.js';

const PATH = '/etc/flatnet.d/30-x.conf';

test('a kernel event or a Reconcile while the drop-ins are still loading deletes nothing (a restart used to re-make every shim)', async () => {
  const LAN = '[Network]\nName=lan\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shim]\nName=docker-link\nAddress=192.168.88.192/32\n';
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const deps = (loadConfig: () => Promise<ReturnType<typeof buildConfigSet>>): ConstructorParameters<typeof Daemon>[0] => ({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log: silentLogger, notifier: nullNotifier, version: 'test',
    loadConfig, parentWaitMs: 10, kernelDebounceMs: 0, nowUsec: () => 0n,
  });
  const first = new Daemon(deps(async () => buildConfigSet([{ path: PATH, text: LAN }])));
  await first.start();
  await first.stop();
  const ifindex = kernel.ifindex('docker-link');
  assert.ok(ifindex !== undefined);
  kernel.applied.length = 0;
  // The restart: reading the drop-ins takes a while, and the kernel is busy meanwhile.
  let release: () => void = () => undefined;
  const slow = new Promise<void>((res) => { release = res; });
  const second = new Daemon(deps(async () => { await slow; return buildConfigSet([{ path: PATH, text: LAN }]); }));
  const started = second.start();
  kernel.addForeignLink({ name: 'veth-docker0', kind: 'veth' });
  kernel.setCarrier('enp3s0', false);
  kernel.setCarrier('enp3s0', true);
  await new Promise((r) => setTimeout(r, 30));
  await second.reconcile();
  release();
  await started;
  await second.stop();
  assert.deepEqual(kernel.applied.map((o) => o.op), [], 'nothing deleted, nothing re-made');
  assert.equal(kernel.ifindex('docker-link'), ifindex);
});
