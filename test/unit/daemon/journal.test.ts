// What the journal says, as a person reads it: one line per heal that says
// what was put back (the steps at debug), a retry line that says what will
// be tried, a drop-in problem logged when it is new and not on every reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon } from '../../../src/reconcile/daemon.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import type { Notifier } from '../../../src/notify.js';
import { summarizeOps } from '../../../src/plan/ops-summary.js';
import type { Op } from '../../../src/plan/ops.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { LAN_DROPIN } from '../../support/dropins.js';

const notifier: Notifier = {
  ready: () => undefined, reloading: () => undefined, stopping: () => undefined,
  status: () => undefined, watchdog: () => undefined, watchdogIntervalMs: () => 0,
};

async function boot(files: Map<string, string>): Promise<{ kernel: FakeKernel; daemon: Daemon; lines: string[] }> {
  const kernel = new FakeKernel();
  kernel.addNic('enp3s0');
  const lines: string[] = [];
  // As under systemd: the priority prefix shows each line's level; info and up, as the unit runs it.
  const log = createLogger({ journal: true, level: 'info', write: (l) => lines.push(l) });
  const daemon = new Daemon({
    kernel, machineId: 'f00dfeedf00dfeedf00dfeedf00dfeed', log, notifier, version: 'test',
    loadConfig: async () => buildConfigSet([...files].map(([path, text]) => ({ path, text }))),
    parentWaitMs: 50, kernelDebounceMs: 1, nowUsec: () => BigInt(Date.now()) * 1000n,
  });
  await daemon.start();
  return { kernel, daemon, lines };
}

test('a heal is one notice line that says what was restored; the single steps are not at info', async () => {
  const { kernel, daemon, lines } = await boot(new Map([['/etc/flatnet.d/10-lan.conf', LAN_DROPIN]]));
  try {
    assert.ok(lines.includes('<6>lan: applied docker-link made (macvlan bridge on enp3s0), address 192.168.88.192/32, route 192.168.88.192/27'), lines.join('\n'));
    const from = lines.length;
    kernel.deleteLink('docker-link');
    await new Promise((r) => setTimeout(r, 30));
    await daemon.reconcile();
    assert.deepEqual(lines.slice(from), [
      '<5>lan: restored docker-link made (macvlan bridge on enp3s0), address 192.168.88.192/32, route 192.168.88.192/27 (first restore)',
    ]);
  } finally { await daemon.stop(); }
});

test('a retry line says what will be tried', async () => {
  const files = new Map<string, string>();
  const { kernel, daemon, lines } = await boot(files);
  try {
    files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN);
    kernel.failNext(3);
    await daemon.reload();
    const retry = lines.find((l) => l.includes('will try again'));
    assert.match(retry ?? '', /^<6>will try again in 1 s: lan again \(last time: .*injected.*\)$/);
  } finally { await daemon.stop(); }
});

test('a drop-in warning is logged when it is new, not again on every reload, and its end is said', async () => {
  const files = new Map([['/etc/flatnet.d/10-lan.conf', `${LAN_DROPIN}Colour=blue\n`]]);
  const { daemon, lines } = await boot(files);
  try {
    const warning = '<4>/etc/flatnet.d/10-lan.conf:';
    assert.equal(lines.filter((l) => l.startsWith(warning)).length, 1, lines.join('\n'));
    await daemon.reload();
    await daemon.reload();
    assert.equal(lines.filter((l) => l.startsWith(warning)).length, 1, 'not again on reload');
    files.set('/etc/flatnet.d/10-lan.conf', LAN_DROPIN);
    await daemon.reload();
    assert.ok(lines.some((l) => /^<6>no longer: \/etc\/flatnet\.d\/10-lan\.conf:\d+: Colour=blue/.test(l)), lines.join('\n'));
  } finally { await daemon.stop(); }
});

test('summarizeOps: re-made links, changes in place, removals', () => {
  const base = { networks: ['lan'], reason: 'missing' };
  const link = { name: 'docker-link', kind: 'macvlan', parent: 'enp3s0', mode: 'bridge', vlanId: null } as unknown as Extract<Op, { op: 'link-add' }>['link'];
  const ops: Op[] = [
    { ...base, op: 'link-del', name: 'docker-link' },
    { ...base, op: 'link-add', link },
    { ...base, op: 'link-set', name: 'docker-link', changes: { up: true } },
    { ...base, op: 'link-set', name: 'enp3s0', changes: { promisc: true } },
    { ...base, op: 'addr-del', dev: 'docker-link', cidr: '192.168.88.193/32' },
  ];
  assert.equal(summarizeOps(ops), 'docker-link made again (macvlan bridge on enp3s0), enp3s0 promiscuous on, address 192.168.88.193/32 removed');
  assert.equal(summarizeOps([{ ...base, op: 'link-set', name: 'docker-link', changes: { alias: 'flatnet:lan' } }]), 'docker-link marked as flatnetd\'s');
});
