// What a planning round costs, counted, never timed (timings live in bench/):
// a hundred networks on one NIC, as the bench lays them out. Each count here
// was once a per-network cost on the way to READY=1.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type ipaddrModule from 'ipaddr.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import { planRound } from '../../../src/plan/round.js';
import { indexesBuilt } from '../../../src/model/observed-index.js';
import { AddressGuard } from '../../../src/lan/guard.js';
import { RaPolicy } from '../../../src/lan/ra.js';
import { FakeArp } from '../../fake/fake-arp.js';
import { reconcileOnce } from '../../../src/reconcile/run.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { MACHINE_ID } from '../../fake/scenarios.js';

// The one instance src/ipaddr.ts loads (require() caches it).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrModule;

function benchDropIns(n: number, first = 10): { path: string; text: string }[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const net = `${first}.${(i >> 8) + 1}.${i % 256}`;
    return { path: `/etc/flatnet.d/n${String(i).padStart(4, '0')}.conf`, text: `[Network]\nParent=vp1\nSubnet=${net}.0/24\nIPRange=${net}.192/27\n\n[Shim]\nName=shim${i}\nAddress=${net}.192/32\n` };
  });
}

type Fn = (this: unknown, ...args: unknown[]) => unknown;
/** ipaddr.js's two text parsers (every parse and isValid goes through them; not in its typings). */
const PARSERS: [object, string][] = [[ipaddr.IPv4, 'parser'], [ipaddr.IPv6, 'parser']];
/** What makes an address's text. */
const FORMATS: [object, string][] = [[ipaddr.IPv4.prototype, 'toString'], [ipaddr.IPv6.prototype, 'toString']];

/** Calls to the functions `targets` name while `f` runs. */
function callsDuring(targets: [object, string][], f: () => void): number {
  const slots = targets.map(([o, k]) => [o as Record<string, Fn>, k] as const);
  const originals = slots.map(([o, k]) => o[k] as Fn);
  let calls = 0;
  slots.forEach(([o, k], i) => {
    const orig = originals[i] as Fn;
    o[k] = function (this: unknown, ...args: unknown[]) { calls++; return orig.apply(this, args); };
  });
  try {
    f();
  } finally {
    slots.forEach(([o, k], i) => { o[k] = originals[i] as Fn; });
  }
  return calls;
}

test('a round on a new observation of a known kernel parses and formats no address text again (100 networks, the parent with addresses of its own)', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('vp1');
  kernel.addAddress('vp1', '192.168.1.5/24');
  kernel.addAddress('vp1', 'fe80::a8a1:59ff:fe24:d061/64');
  const set = buildConfigSet(benchDropIns(100));
  assert.equal(set.networks.length, 100);
  const input = { networks: set.networks, frozen: [], down: [], machineId: MACHINE_ID };
  await reconcileOnce(kernel, input, silentLogger);
  // Every address, prefix and MAC of this kernel and these drop-ins has been seen.
  planRound({ ...input, observed: await kernel.observe() });
  const observed = await kernel.observe();
  let ops = -1;
  let formats = -1;
  const parses = callsDuring(PARSERS, () => {
    formats = callsDuring(FORMATS, () => { ops = planRound({ ...input, observed }).plan.ops.length; });
  });
  assert.equal(ops, 0);
  // Not once per network: every answer about a text seen before is remembered
  // (the kernel checks' IPs, plan/cidr.ts), and the link-local test of every
  // shim's fe80:: address is on bytes.
  assert.deepEqual({ parses, formats }, { parses: 0, formats: 0 });
});

test('a first round on new IPv4 drop-ins runs no ipaddr.js parser: the kernel\'s and the config\'s dotted quads are read directly (600 runs once, then 200)', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('vp1');
  // Texts no other test in this file has shown the memos.
  const set = buildConfigSet(benchDropIns(100, 11));
  const input = { networks: set.networks, frozen: [], down: [], machineId: MACHINE_ID };
  const observed = await kernel.observe();
  let ops = -1;
  const parses = callsDuring(PARSERS, () => { ops = planRound({ ...input, observed }).plan.ops.length; });
  assert.equal(ops, 400);
  assert.equal(parses, 0);
});

test('a run whose logger writes no debug lines makes none (a line per op: 400 on a first run of 100 networks)', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('vp1');
  const set = buildConfigSet(benchDropIns(100, 12));
  let made = 0;
  const log: Logger = { ...silentLogger, debugging: false, debug: () => { made++; } };
  const r = await reconcileOnce(kernel, { networks: set.networks, frozen: [], down: [], machineId: MACHINE_ID }, log);
  assert.equal(r.applied.length, 400);
  assert.equal(made, 0);
});

test('one kernel index per observation: the kernel checks, the LAN guard (claims, DAD, accept_ra) and the planner share it', async () => {
  const kernel = new FakeKernel();
  kernel.addNic('vp1');
  const set = buildConfigSet(benchDropIns(100, 13));
  let observations = 0;
  const observe = kernel.observe.bind(kernel);
  kernel.observe = async () => { observations++; return observe(); };
  const writes: string[] = [];
  const guard = new AddressGuard(new FakeArp(), silentLogger, new RaPolicy({ set: async (link) => { writes.push(link); } }, silentLogger));
  guard.beginRun(true);
  const before = indexesBuilt();
  const r = await reconcileOnce(kernel, { networks: set.networks, frozen: [], down: [], machineId: MACHINE_ID }, silentLogger, { vet: guard.vet.bind(guard) });
  assert.equal(r.rounds, 2);
  assert.equal(writes.length, 100);
  assert.equal(indexesBuilt() - before, observations);
});
