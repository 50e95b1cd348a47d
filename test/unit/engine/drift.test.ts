// Drift: a drop-in against the engine network of the same name, as Docker
// 20.10 answers its inspect (the recorded body, changed the way a hand-typed
// `docker network create` differs). Each difference is one diagnostic at the
// drop-in's line, with what the engine has and the command that fixes it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../../../src/errors.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { dockerNetworkCreateArgs } from '../../../src/docker/args.js';
import { decodeNetwork } from '../../../src/engine/decode.js';
import { engineDrift } from '../../../src/engine/drift.js';
import { createBody } from '../../../src/engine/create.js';
import type { NetworkConfig } from '../../../src/model/config.js';
import { engineFixture } from '../../fake/fake-engine.js';
import { LAN200_DROPIN } from '../../support/dropins.js';

const FILE = '/etc/flatnet.d/10-lan200.conf';
const DROPIN = LAN200_DROPIN;

function lan200(text = DROPIN): NetworkConfig {
  const set = buildConfigSet([{ path: FILE, text }]);
  const net = set.networks[0];
  assert.ok(net, JSON.stringify(set.diagnostics));
  return net;
}

function drift(change: (n: Record<string, unknown>) => void, net = lan200()): string[] {
  const body = engineFixture('network-lan200.json');
  change(body);
  const engine = decodeNetwork(body);
  return engineDrift({ net, subnets: net.subnets, createArgs: dockerNetworkCreateArgs(net, net.subnets), engine, engineName: 'Docker' })
    .map((d) => `${d.severity}: ${formatDiagnostic(d)}`);
}

const pool = (n: Record<string, unknown>): Record<string, unknown> => ((n['IPAM'] as Record<string, unknown>)['Config'] as Record<string, unknown>[])[0] ?? {};
const FIX = 'fix: docker network rm lan200 && docker network create -d macvlan --subnet=192.168.200.0/24 --ip-range=192.168.200.192/27 --gateway=192.168.200.1 --aux-address=host=192.168.200.192 -o parent=lan0.200 -o macvlan_mode=bridge lan200';

test('the network made with docker-args (as recorded): no drift', () => {
  assert.deepEqual(drift(() => {}), []);
});

test('made by hand without --aux-address: the shim\'s address can be handed out — an error at Address=', () => {
  assert.deepEqual(drift((n) => { pool(n)['AuxiliaryAddresses'] = {}; }), [
    `error: ${FILE}:11: Address=192.168.200.192/32: Docker network lan200 may hand the shim's address 192.168.200.192 to a container (no --aux-address for it, and it is inside --ip-range 192.168.200.192/27); ${FIX}`,
  ]);
});

test('another --ip-range: a diagnostic at IPRange= with both values', () => {
  assert.deepEqual(drift((n) => { pool(n)['IPRange'] = '192.168.200.128/26'; }), [
    `error: ${FILE}:7: IPRange=192.168.200.192/27: Docker network lan200 has ip-ranges 192.168.200.128/26, the drop-in 192.168.200.192/27; ${FIX}`,
  ]);
});

test('another parent: a diagnostic at VLAN= (the line that makes lan0.200)', () => {
  assert.deepEqual(drift((n) => { (n['Options'] as Record<string, string>)['parent'] = 'lan0'; }), [
    `error: ${FILE}:4: VLAN=200: Docker network lan200 has parent=lan0, the drop-in lan0.200; ${FIX}`,
  ]);
});

test('a container on the shim\'s address: an error naming the container', () => {
  const out = drift((n) => {
    pool(n)['AuxiliaryAddresses'] = {};
    const c = n['Containers'] as Record<string, Record<string, string>>;
    for (const e of Object.values(c)) e['IPv4Address'] = '192.168.200.192/24';
  });
  assert.equal(out.length, 1);
  assert.match(out[0] ?? '', /^error: \/etc\/flatnet\.d\/10-lan200\.conf:11: Address=192\.168\.200\.192\/32: container c-lan200 holds the shim's address 192\.168\.200\.192 in Docker network lan200/);
});

test('an aux address elsewhere but the shim outside the ip-range: reserved (Podman has no aux addresses)', () => {
  const net = lan200(DROPIN.replace('IPRange=192.168.200.192/27', 'IPRange=192.168.200.224/27'));
  assert.deepEqual(drift((n) => { pool(n)['AuxiliaryAddresses'] = {}; pool(n)['IPRange'] = '192.168.200.224/27'; }, net), []);
});

test('driver, mode, subnet, gateway, internal, IPv6: each its own line', () => {
  const out = drift((n) => {
    n['Driver'] = 'ipvlan';
    pool(n)['Subnet'] = '192.168.0.0/16';
    pool(n)['Gateway'] = '192.168.200.254';
    n['Internal'] = true;
    n['EnableIPv6'] = true;
  });
  assert.deepEqual(out.map((l) => l.split(': Docker')[0]), [
    `error: ${FILE}:1`.replace(':1', ''), // Driver= not written: the file
    `error: ${FILE}:5: Subnet=192.168.200.0/24`,
    `error: ${FILE}:6: Gateway=192.168.200.1`,
    `warning: ${FILE}:3: Parent=lan0`,
    `warning: ${FILE}:5: Subnet=192.168.200.0/24`,
  ]);
  assert.ok(out.every((l) => l.includes('; fix: docker network rm lan200 && docker network create')));
});

test('Create=yes: the API body is exactly what docker-args prints', () => {
  const net = lan200();
  assert.deepEqual(createBody(dockerNetworkCreateArgs(net, net.subnets)), {
    Name: 'lan200', CheckDuplicate: true, Driver: 'macvlan', Internal: false, EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '192.168.200.0/24', IPRange: '192.168.200.192/27', Gateway: '192.168.200.1', AuxiliaryAddresses: { host: '192.168.200.192' } }] },
    Options: { parent: 'lan0.200', macvlan_mode: 'bridge' },
    Labels: { 'org.flatnet.created-by': 'flatnetd' },
  });
});

test('Podman 4.3 (recorded): its compat inspect shows no parent and no ip-range; the README-style pod210 drop-in gives no false drift, and a real difference names podman in its fix', () => {
  const text = `[Network]\nName=pod210\nParent=lan0\nVLAN=210\nSubnet=192.168.210.0/24\nGateway=192.168.210.1\nIPRange=192.168.210.192/27\n\n[Shim]\nName=pod210-shim\nAddress=192.168.210.224/32\n`;
  const set = buildConfigSet([{ path: '/etc/flatnet.d/60-pod210.conf', text }]);
  const net = set.networks[0];
  assert.ok(net, JSON.stringify(set.diagnostics));
  const engine = decodeNetwork(engineFixture('podman-network-pod210.json'));
  assert.deepEqual([engine.driver, engine.options, engine.pools.map((p) => p.ipRange)], ['macvlan', { mode: 'bridge' }, ['']]);
  const args = dockerNetworkCreateArgs(net, net.subnets);
  assert.deepEqual(engineDrift({ net, subnets: net.subnets, createArgs: args, engine, engineName: 'Podman' }).map(formatDiagnostic), []);
  const other = engineDrift({ net, subnets: ['192.168.211.0/24'], createArgs: args, engine, engineName: 'Podman' }).map(formatDiagnostic);
  assert.equal(other.length, 1);
  assert.match(other[0] ?? '', /Podman network pod210 has subnets 192\.168\.210\.0\/24, the drop-in 192\.168\.211\.0\/24; fix: podman network rm pod210 && \$\(flatnetctl podman-args pod210\)$/);
});
