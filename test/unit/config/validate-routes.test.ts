// Two shims with one address, and two networks routing one prefix: the kernel
// takes the first and refuses the second ("File exists"), or takes both and
// the LAN sees one IP answer from two MACs. `check` and the daemon refuse the
// later drop-in, naming path:line on both sides (issue 12.8).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfigSet } from '../../../src/config/load.js';
import { checkPaths } from '../../../src/config/check.js';
import { shown } from '../../support/config.js';

const A = '/etc/flatnet.d/10-a.conf';
const B = '/etc/flatnet.d/20-b.conf';

/** A network on `parent` with a shim; extra lines go in [Network] and [Shim]. */
const net = (parent: string, shim: string, network: string[], shimLines: string[]): string =>
  ['[Network]', `Parent=${parent}`, ...network, '[Shim]', `Name=${shim}`, ...shimLines, ''].join('\n');

function pair(a: string, b: string): ReturnType<typeof buildConfigSet> {
  return buildConfigSet([{ path: B, text: b }, { path: A, text: a }]);
}

const errors = (set: ReturnType<typeof buildConfigSet>): string[] => shown(set.diagnostics.filter((d) => d.severity === 'error'));

test('two shims with the same Address= (whatever the prefix length): the later is rejected, both lines named', () => {
  const set = pair(net('eth0', 's1', [], ['Address=192.168.88.192/32']), net('eth1', 's2', [], ['Address=192.168.88.192/24']));
  assert.deepEqual(errors(set), [
    `error: ${B}:5: Address=192.168.88.192/24: 192.168.88.192 is already the address of shim "s1" at ${A}:5, and one address on two shims answers ARP from two MACs; this network is rejected, 10-a.conf keeps working`,
  ]);
  assert.deepEqual(set.networks.map((n) => n.file), [A]);
  assert.deepEqual(set.invalid, [{ name: '20-b', file: B }]);
});

test('two networks routing the same IPRange= through their shims: the later is rejected, both lines named', () => {
  const range = ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27'];
  const set = pair(net('eth0', 's1', range, ['Address=192.168.88.190/32']), net('eth0', 's2', range, ['Address=192.168.88.191/32']));
  assert.deepEqual(errors(set), [
    `error: ${B}:4: IPRange=192.168.88.192/27: 192.168.88.192/27 is already routed through shim "s1" (IPRange= at ${A}:4), and the kernel keeps one route per prefix and metric; this network is rejected, 10-a.conf keeps working`,
  ]);
});

test('Route= against another network\'s IPRange=, and against an address\'s own prefix route', () => {
  const a = net('eth0', 's1', ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27'], ['Address=192.168.88.190/32']);
  const set = pair(a, net('eth1', 's2', [], ['Address=10.1.1.1/32', 'Route=192.168.88.192/27']));
  assert.deepEqual(errors(set), [
    `error: ${B}:6: Route=192.168.88.192/27: 192.168.88.192/27 is already routed through shim "s1" (IPRange= at ${A}:4), and the kernel keeps one route per prefix and metric; this network is rejected, 10-a.conf keeps working`,
  ]);
  const brought = pair(net('eth0', 's1', [], ['Address=10.5.0.1/24']), net('eth1', 's2', [], ['Address=10.1.1.1/32', 'Route=10.5.0.0/24']));
  assert.deepEqual(errors(brought), [
    `error: ${B}:6: Route=10.5.0.0/24: the address 10.5.0.1/24 of shim "s1" already routes 10.5.0.0/24 (Address= at ${A}:5), and the kernel keeps one route per prefix and metric; this network is rejected, 10-a.conf keeps working`,
  ]);
  const v6 = pair(net('eth0', 's1', [], ['Route=fd00:88::/64']), net('eth1', 's2', [], ['Route=fd00:88::/64']));
  assert.equal(errors(v6).length, 1, 'IPv6 routes collide too');
});

test('what the kernel allows is still allowed: two addresses in one prefix, one range with a shim and one without, different ranges', () => {
  const ok = (a: string, b: string): void => assert.deepEqual(errors(pair(a, b)), []);
  ok(net('eth0', 's1', [], ['Address=10.5.0.1/24']), net('eth1', 's2', [], ['Address=10.5.0.2/24']));
  ok(net('eth0', 's1', ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27'], []),
    ['[Network]', 'Parent=eth0', 'Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27', ''].join('\n'));
  ok(net('eth0', 's1', ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27'], []), net('eth0', 's2', ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.224/27'], []));
  // A network's own address and its own range overlap: the kernel's prefix route serves both (plan/desired.ts).
  ok(net('eth0', 's1', ['Subnet=10.5.0.0/16', 'IPRange=10.5.0.0/24'], ['Address=10.5.0.1/24']), net('eth1', 's2', [], ['Address=10.6.0.1/32']));
});

test('flatnetctl check refuses both, as errors with path:line on both sides', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'flatnet-check-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const range = ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.192/27'];
  writeFileSync(join(root, '10-a.conf'), net('eth0', 's1', range, ['Address=192.168.88.190/32']));
  writeFileSync(join(root, '20-b.conf'), net('eth0', 's2', range, ['Address=192.168.88.191/32']));
  writeFileSync(join(root, '30-c.conf'), net('eth1', 's3', [], ['Address=192.168.88.190/32']));
  const r = await checkPaths([root]);
  const [a, b, c] = ['10-a.conf', '20-b.conf', '30-c.conf'].map((f) => join(root, f));
  assert.deepEqual(shown(r.diagnostics), [
    `error: ${b}:4: IPRange=192.168.88.192/27: 192.168.88.192/27 is already routed through shim "s1" (IPRange= at ${a}:4), and the kernel keeps one route per prefix and metric; this network is rejected, 10-a.conf keeps working`,
    `error: ${c}:5: Address=192.168.88.190/32: 192.168.88.190 is already the address of shim "s1" at ${a}:7, and one address on two shims answers ARP from two MACs; this network is rejected, 10-a.conf keeps working`,
  ]);
  assert.deepEqual(r.networks.map((n) => n.name), ['10-a']);
});
