// Pure checks of the fixes this tier's namespace tests led to (they run
// without root, so CI sees a regression even where namespaces are missing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAgainstKernel } from '../../src/plan/kernel-checks.js';
import { buildConfigSet } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/errors.js';
import type { ObservedLink } from '../../src/model/observed.js';
import { Daemon } from '../../src/reconcile/daemon.js';
import { silentLogger } from '../../src/log.js';
import { nullNotifier } from '../../src/notify.js';
import { FakeKernel } from '../fake/fake-kernel.js';

const link = (over: Partial<ObservedLink>): ObservedLink => ({
  ifindex: 2, name: 'enp3s0', kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null,
  mtu: 1500, mac: 'a8:a1:59:24:d0:61', up: true, carrier: true, promisc: false, alias: null, maxMtu: 9216, wireless: false,
  ...over,
});
const PATH = '/etc/flatnet.d/30-x.conf';
const net = (text: string): NonNullable<ReturnType<typeof buildConfigSet>['networks'][number]> => {
  const n = buildConfigSet([{ path: PATH, text }]).networks[0];
  assert.ok(n !== undefined, 'valid on its own');
  return n;
};

test('a parent that is itself a macvlan or ipvlan is refused at the Parent= line; a VLAN on one is fine', () => {
  const n = net('[Network]\nParent=mv-hand\nSubnet=10.0.0.0/24\n[Shim]\nName=s\nAddress=10.0.0.2/32\n');
  assert.deepEqual(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'macvlan', mode: 'bridge' })).map(formatDiagnostic),
    [`${PATH}:2: Parent=mv-hand: mv-hand is itself a macvlan link, which cannot be a parent; use the interface it sits on`]);
  assert.equal(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'ipvlan' }))[0]?.code, 'unsupported');
  assert.deepEqual(checkAgainstKernel(n, link({ name: 'mv-hand', kind: 'veth' })), []);
  const tagged = net('[Network]\nParent=mv-hand\nVLAN=7\n');
  assert.deepEqual(checkAgainstKernel(tagged, link({ name: 'mv-hand', kind: 'macvlan' })), []);
});

test('a shim MACAddress= equal to the parent\'s MAC is refused at its line; another MAC, or passthru, is fine', () => {
  const text = (mac: string, mode = 'bridge'): string => `[Network]\nParent=enp3s0\nMode=${mode}\n[Shim]\nName=s\nMACAddress=${mac}\n`;
  assert.deepEqual(checkAgainstKernel(net(text('A8:A1:59:24:D0:61')), link({})).map(formatDiagnostic),
    [`${PATH}:6: MACAddress=A8:A1:59:24:D0:61: the MAC address of enp3s0 itself; a shim needs a MAC of its own (leave MACAddress= out for a stable one)`]);
  assert.deepEqual(checkAgainstKernel(net(text('02:00:00:00:00:01')), link({})), []);
  assert.deepEqual(checkAgainstKernel(net(text('a8:a1:59:24:d0:61', 'passthru')), link({})), []);
});

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
