// Follow mode (no Subnet=) against the fake kernel's route lookup: the
// choice documented at FOLLOW_ROUTE_METRIC in src/plan/desired.ts, measured.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeOp } from '../../../src/plan/ops.js';
import { FOLLOW_ROUTE_METRIC } from '../../../src/plan/desired.js';
import { converge, planNow } from '../../fake/drive.js';
import { follow, host } from '../../fake/scenarios.js';

test('the followed prefix is routed through the shim behind the parent: host→LAN unchanged', async () => {
  const k = host();
  await converge(k, { networks: [follow()] }, 1);
  assert.ok(k.net.routes.some((r) => r.dst === '192.168.88.0/24' && r.metric === FOLLOW_ROUTE_METRIC && k.net.links.get(r.ifindex)?.name === 'fol-shim'), k.dump());
  // The gateway, a LAN host and a would-be container all still leave by enp3s0.
  assert.deepEqual(['192.168.88.1', '192.168.88.50', '192.168.88.193'].map((ip) => k.routeGet(ip)?.dev), ['enp3s0', 'enp3s0', 'enp3s0']);
  assert.equal(k.routeGet('8.8.8.8')?.dev, 'enp3s0');
});

test("the shim's route takes the prefix only when the parent's own route is gone", async () => {
  const k = host();
  await converge(k, { networks: [follow()] }, 1);
  k.removeRoute({ dst: '192.168.88.0/24', dev: 'enp3s0', metric: 1024 });
  assert.equal(k.routeGet('192.168.88.193')?.dev, 'fol-shim');
});

test('DHCP moves the LAN: the derived route follows, the new one added before the old one goes', async () => {
  const k = host();
  await converge(k, { networks: [follow()] }, 1);
  k.removeAddress('enp3s0', '192.168.88.9/24');
  k.addAddress('enp3s0', '192.168.77.9/24', { dynamic: true, metric: 1024 });
  const { plan, notes } = await planNow(k, { networks: [follow()] });
  assert.deepEqual(plan.ops.map(describeOp), [
    'add route 192.168.77.0/24 dev fol-shim for follow: missing',
    'remove route 192.168.88.0/24 dev fol-shim for follow: not in the drop-in',
  ]);
  assert.equal(notes.get('follow')?.[0], "following enp3s0's prefix 192.168.77.0/24");
  await converge(k, { networks: [follow()] }, 1);
  assert.equal(k.routeGet('192.168.77.1')?.dev, 'enp3s0');
});

test('a parent with a static address (its prefix route at metric 0) does not block the derived route', async () => {
  const k = host();
  const n = { ...follow(), parent: 'eth1' };
  const done = await converge(k, { networks: [n] }, 1);
  assert.deepEqual(done.plan.conflicts, []);
  assert.equal(k.routeGet('10.1.0.77')?.dev, 'eth1');
});

test('follow mode with IPRange=: the range wins by prefix length, the rest of the LAN stays on the NIC', async () => {
  const k = host();
  await converge(k, { networks: [{ ...follow(), ipRanges: ['192.168.88.192/27'] }] }, 1);
  assert.equal(k.routeGet('192.168.88.193')?.dev, 'fol-shim');
  assert.equal(k.routeGet('192.168.88.1')?.dev, 'enp3s0');
});
