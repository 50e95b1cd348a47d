// What a planning round costs, counted, never timed (timings live in bench/):
// a hundred networks on one NIC, as the bench lays them out. Each count here
// was once a per-network cost on the way to READY=1.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type ipaddrModule from 'ipaddr.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { planRound } from '../../../src/plan/round.js';
import { reconcileOnce } from '../../../src/reconcile/run.js';
import { FakeKernel } from '../../fake/fake-kernel.js';
import { MACHINE_ID } from '../../fake/scenarios.js';

// The one instance src/ipaddr.ts loads (require() caches it).
const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof ipaddrModule;

function benchDropIns(n: number): { path: string; text: string }[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    const net = `10.${(i >> 8) + 1}.${i % 256}`;
    return { path: `/etc/flatnet.d/n${String(i).padStart(4, '0')}.conf`, text: `[Network]\nParent=vp1\nSubnet=${net}.0/24\nIPRange=${net}.192/27\n\n[Shim]\nName=shim${i}\nAddress=${net}.192/32\n` };
  });
}

/** ipaddr.js's two text parsers: every parse and isValid goes through them (not in its typings). */
type HasParser = { parser(s: string): unknown };
const parsers = [ipaddr.IPv4 as unknown as HasParser, ipaddr.IPv6 as unknown as HasParser];

/** Calls to those parsers while `f` runs. */
function parsesDuring(f: () => void): number {
  const originals = parsers.map((p) => p.parser);
  let calls = 0;
  parsers.forEach((p, i) => {
    const parse = originals[i] as HasParser['parser'];
    p.parser = (s: string) => { calls++; return parse.call(p, s); };
  });
  try {
    f();
  } finally {
    parsers.forEach((p, i) => { p.parser = originals[i] as HasParser['parser']; });
  }
  return calls;
}

test('a round on a new observation of a known kernel parses no address text again (100 networks, the parent with addresses of its own)', async () => {
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
  const parses = parsesDuring(() => { ops = planRound({ ...input, observed }).plan.ops.length; });
  assert.equal(ops, 0);
  assert.equal(parses, 0);
});
