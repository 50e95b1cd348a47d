// The range scan's pure half: which addresses, what is refused, how answers are read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, planScan, rangeAddresses, SCAN_MAX_ADDRESSES, type ScanPlan } from '../../../src/lan/scan.js';
import { runScan } from '../../../src/lan/scanner.js';
import type { Observed } from '../../../src/model/observed.js';
import { readmeLan } from '../../fake/scenarios.js';
import { FakeArp } from '../../fake/fake-arp.js';

const link = (ifindex: number, name: string, mac: string): Observed['links'][number] => ({
  ifindex, name, kind: null, parentIndex: null, vlanId: null, mode: null, ipvlanFlag: null, mtu: 1500, mac, up: true, carrier: true,
  promisc: false, alias: null, maxMtu: 0, wireless: false,
});
const observed: Observed = {
  links: [link(2, 'enp3s0', 'a8:a1:59:24:d0:61'), link(7, 'docker-link', '02:aa:00:00:00:01')],
  addresses: [{ ifindex: 7, cidr: '192.168.88.192/32', family: 4, scope: 'global', dynamic: false }],
  routes: [],
};

test('a /27 is 32 addresses in order', () => {
  const a = rangeAddresses('192.168.88.192/27');
  assert.equal(a.length, 32);
  assert.equal(a[0], '192.168.88.192');
  assert.equal(a[31], '192.168.88.223');
});

test('targets: the gateway and the range; the shim\'s own address is listed, not probed', () => {
  const p = planScan(readmeLan(), observed, false);
  assert.ok(!('code' in p));
  assert.equal(p.targets.length, 33);
  assert.equal(p.targets[0], '192.168.88.1');
  assert.deepEqual(p.ownAddresses.map((o) => o.address), ['192.168.88.192']);
});

test('more than a /22 is refused unless forced; a /22 is not', () => {
  const big = planScan(readmeLan({ ipRanges: ['192.168.80.0/21'] }), observed, false);
  assert.ok('code' in big && big.code === 'too-large');
  assert.match('code' in big ? big.message : '', /2048 addresses, more than a \/22 \(1024\).*--force/);
  assert.ok(!('code' in planScan(readmeLan({ ipRanges: ['192.168.80.0/21'] }), observed, true)));
  assert.ok(!('code' in planScan(readmeLan({ ipRanges: ['192.168.84.0/22'] }), observed, false)));
  assert.equal(SCAN_MAX_ADDRESSES, 1024);
});

test('answers: this host by MAC, a container when only the shim hears it, foreign when the parent does', () => {
  const p = planScan(readmeLan(), observed, false) as ScanPlan;
  const rows = classify(p, [
    { address: '192.168.88.193', viaShim: '12:00:00:00:00:01', viaParent: null },
    { address: '192.168.88.200', viaShim: '12:00:00:00:00:02', viaParent: '12:00:00:00:00:02' },
    { address: '192.168.88.1', viaShim: null, viaParent: '12:00:00:00:00:03' },
    { address: '192.168.88.9', viaShim: null, viaParent: 'a8:a1:59:24:d0:61' },
    { address: '192.168.88.210', viaShim: null, viaParent: null },
  ]);
  assert.deepEqual(rows.map((r) => [r.address, r.owner]), [
    ['192.168.88.193', 'this-host'], ['192.168.88.200', 'foreign'], ['192.168.88.1', 'foreign'], ['192.168.88.9', 'this-host'],
  ]);
});

test('a scan never has more than 32 probes out at once, and asks out of the parent before the shim', async () => {
  let inFlight = 0, most = 0;
  const arp = new FakeArp();
  const probe = arp.probe.bind(arp);
  arp.probe = async (dev, addr) => { inFlight++; most = Math.max(most, inFlight); await new Promise((r) => setTimeout(r, 5)); inFlight--; return probe(dev, addr); };
  const r = await runScan(arp, planScan(readmeLan(), observed, false) as ScanPlan);
  assert.equal(most, 32);
  assert.equal(r.scanned, 33);
  assert.equal(arp.probes.length, 64, 'every address but the shim\'s own, twice');
  assert.ok(arp.probes.slice(0, 32).every((p) => p.dev === 'enp3s0'));
});
