// "A new kind is its file and one row in the registry": this walks the
// registry and, for every kind, swaps one hook of the kind's file at a time for
// the test's own and finds its answer in what the generic code produces (the
// key table, a drop-in's diagnostics, the cross-file check, the desired link,
// the `ip` line, the plan's words, the readback of `ip -d link`, Docker's
// argv). A generic path that named a kind itself would not show the test's
// answer. A kind added to the registry without a sample here fails to compile.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildConfigSet } from '../../../src/config/load.js';
import { KEYS } from '../../../src/config/keys.js';
import { conflictsWith } from '../../../src/config/validate.js';
import { dockerNetworkCreateArgs } from '../../../src/docker/args.js';
import { engineDrift } from '../../../src/engine/drift.js';
import { formatDiagnostic } from '../../../src/errors.js';
import { parseLinks } from '../../../src/kernel/parse.js';
import { renderOp } from '../../../src/kernel/render.js';
import type { KindAttrs } from '../../../src/kinds/kind.js';
import { allKinds, linkKind, type DesiredKind, type DesiredLink } from '../../../src/kinds/registry.js';
import type { NetworkConfig } from '../../../src/model/config.js';
import { emptyObserved } from '../../../src/model/observed.js';
import { buildDesired } from '../../../src/plan/desired.js';
import { describeOp } from '../../../src/plan/ops.js';
import { MACHINE_ID } from '../../fake/scenarios.js';

const FILE = '/etc/flatnet.d/10-k.conf';

/** One valid drop-in per kind, and the link of that kind it wants. */
const SAMPLES: Record<DesiredKind, { dropin: string[]; link: string }> = {
  vlan: { dropin: ['[Network]', 'Parent=enp3s0', 'VLAN=200', 'Subnet=10.2.0.0/24', '[Shim]', 'Address=10.2.0.2'], link: 'enp3s0.200' },
  macvlan: { dropin: ['[Network]', 'Parent=enp3s0', 'Mode=private', 'Subnet=10.3.0.0/24', '[Shim]', 'Address=10.3.0.2'], link: 'shim-10-k' },
  ipvlan: {
    dropin: ['[Network]', 'Parent=enp3s0', 'Driver=ipvlan', 'Mode=l3', 'IPVlanFlag=private', 'Subnet=10.4.0.0/24', '[Shim]', 'Address=10.4.0.2'],
    link: 'shim-10-k',
  },
  dummy: { dropin: ['[Network]', 'Subnet=10.5.0.0/24', '[Shim]', 'Address=10.5.0.2'], link: 'dummy-10-k' },
};

type Row = Record<string, unknown>;

/** Runs `fn` with `row[name]` replaced by `hook` (added when the kind has none), then puts it back. */
function swapped<T>(row: object, name: string, hook: unknown, fn: () => T): T {
  const r = row as Row;
  const had = Object.prototype.hasOwnProperty.call(r, name);
  const before = r[name];
  r[name] = hook;
  try {
    return fn();
  } finally {
    if (had) r[name] = before;
    else delete r[name];
  }
}

function load(kind: DesiredKind): { net: NetworkConfig; shown: string[] } {
  const set = buildConfigSet([{ path: FILE, text: [...SAMPLES[kind].dropin, ''].join('\n') }]);
  const net = set.networks[0];
  const shown = set.diagnostics.map(formatDiagnostic);
  assert.ok(net !== undefined, `${kind}'s sample is valid: ${shown.join('; ')}`);
  return { net, shown };
}

function wanted(net: NetworkConfig, kind: DesiredKind): DesiredLink {
  const { desired } = buildDesired({ networks: [net], frozen: [], down: [], machineId: MACHINE_ID, observed: emptyObserved() });
  const link = desired.links.find((l) => l.name === SAMPLES[kind].link);
  assert.ok(link !== undefined && link.kind === kind, `${kind}'s sample wants ${SAMPLES[kind].link} of its kind`);
  return link;
}

const kinds = allKinds();

test('the registry has every kind once, and the samples cover it', () => {
  assert.deepEqual(kinds.map((k) => k.kind).sort(), Object.keys(SAMPLES).sort());
});

test('keys: a kind\'s keys are rows of the key table, its modes and its name are what Mode= and Driver= take', () => {
  for (const k of kinds) {
    for (const spec of k.keys) assert.ok(KEYS.includes(spec), `${k.kind}: ${spec.section}.${spec.key} is in the table`);
    if (k.role !== 'shim') continue;
    const mode = KEYS.find((s) => s.key === 'Mode');
    const driver = KEYS.find((s) => s.key === 'Driver');
    for (const m of k.modes) assert.equal(mode?.parse(m).ok, true, `Mode=${m}`);
    assert.equal(driver?.parse(k.kind).ok, true, `Driver=${k.kind}`);
  }
});

test('validation: the per-file check of the kind\'s file reports into the drop-in\'s diagnostics', () => {
  for (const k of kinds) {
    const hook = k.role === 'parent' ? 'checkFile' : 'checkShim';
    const shown = swapped(k, hook, (d: { report: (...a: unknown[]) => void; at: (id: string) => unknown }) => {
      d.report('warning', 'invalid-value', d.at('Network.Parent'), `sentinel from ${k.kind}`);
    }, () => load(k.kind).shown);
    // Parent kinds are all asked (each knows whether it applies); a driver only when it is the drop-in's.
    assert.ok(shown.some((s) => s.endsWith(`sentinel from ${k.kind}`)), `${k.kind}: ${shown.join('; ')}`);
  }
});

test('validation across files: two networks on one parent are judged by the kind\'s conflicts()', () => {
  for (const k of kinds) {
    const { net } = load(k.kind);
    // An internal network's dummy is its own: no other network shares that parent.
    if (net.parent === null) continue;
    const other: NetworkConfig = { ...net, name: 'other', file: '/etc/flatnet.d/20-other.conf', shim: null };
    const found = swapped(k, 'conflicts', () => [{ id: 'Network.Parent', message: `sentinel from ${k.kind}` }],
      () => conflictsWith(other, net).map((c) => c.message));
    assert.ok(found.includes(`sentinel from ${k.kind}`), `${k.kind}: ${found.join('; ')}`);
  }
});

test('desired: the link of a kind is the one its desired() makes', () => {
  for (const k of kinds) {
    const { net } = load(k.kind);
    const made: unknown[] = [];
    const original = k.desired.bind(k);
    const link = swapped(k, 'desired', (n: NetworkConfig, base: Parameters<typeof k.desired>[1]) => {
      const l = original(n, base);
      if (l !== null) made.push(l);
      return l;
    }, () => wanted(net, k.kind));
    assert.ok(made.includes(link), `${k.kind}: the planner's link is the kind's own object`);
  }
});

test('plan: the `ip link add` words and the plan\'s description are the kind\'s', () => {
  for (const k of kinds) {
    const link = wanted(load(k.kind).net, k.kind);
    const op = { op: 'link-add' as const, link, networks: ['10-k'], reason: 'missing' };
    const words = ['type', k.kind, 'sentinel'];
    const line = swapped(k, 'createArgs', () => words, () => renderOp(op)[0]);
    assert.ok(line?.endsWith(words.join(' ')), `${k.kind}: ${line ?? ''}`);
    const said = swapped(k, 'describe', () => `sentinel ${k.kind}`, () => describeOp(op));
    assert.ok(said.includes(`(sentinel ${k.kind})`), said);
    // And the real words are what the kind's file says.
    assert.ok(renderOp(op)[0]?.endsWith(linkKind(k.kind).createArgs(link).join(' ')));
  }
});

test('readback: `ip -d link` of each info_kind is read by the kind that declares it', () => {
  const sentinel: KindAttrs = { vlanId: 4093, mode: 'sentinel', ipvlanFlag: 'sentinel' };
  for (const k of kinds) {
    for (const infoKind of k.readback.infoKinds) {
      const dump = [{ ifindex: 9, ifname: 'x', mtu: 1500, address: '02:00:00:00:00:09', flags: [], linkinfo: { info_kind: infoKind, info_data: {} } }];
      const [read] = swapped(k.readback, 'read', () => sentinel, () => parseLinks(dump));
      assert.deepEqual([read?.vlanId, read?.mode, read?.ipvlanFlag], [4093, 'sentinel', 'sentinel'], infoKind);
    }
  }
  // A kind nobody declares (veth) reads as nothing but its kind.
  const [veth] = parseLinks([{ ifindex: 3, ifname: 'v', mtu: 1500, address: '02:00:00:00:00:03', flags: [], linkinfo: { info_kind: 'veth', info_data: { mode: 'x' } } }]);
  assert.deepEqual([veth?.kind, veth?.vlanId, veth?.mode, veth?.ipvlanFlag], ['veth', null, null, null]);
});

test('engine options: Docker\'s -o options of a driver, and how an engine network\'s options differ, are its kind\'s', () => {
  for (const k of kinds) {
    if (k.role !== 'shim') continue;
    const { net } = load(k.kind);
    const argv = swapped(k.engine, 'docker', () => ['sentinel=1'], () => dockerNetworkCreateArgs(net, net.subnets));
    assert.ok(argv.join(' ').includes('-o sentinel=1'), `${k.kind}: ${argv.join(' ')}`);
    assert.ok(argv.includes(`-d`) && argv[argv.indexOf('-d') + 1] === k.kind);
    const engine = { id: 'e', name: net.name, driver: k.kind, options: { parent: 'enp3s0' }, pools: [], internal: false, ipv6: false, endpoints: [] };
    const drift = swapped(k.engine, 'drift', () => [{ id: 'Network.Mode', message: 'sentinel' }],
      () => engineDrift({ net, subnets: [], createArgs: argv, engine, engineName: 'Docker' }).map(formatDiagnostic));
    assert.ok(drift.some((d) => d.includes(`Docker network ${net.name} sentinel`)), drift.join('; '));
  }
});

test('a desired link is its kind\'s variant: no VLAN id on a macvlan, no mode on a VLAN link, no nulls to default', () => {
  const link = wanted(load('macvlan').net, 'macvlan');
  assert.equal(link.kind, 'macvlan');
  if (link.kind !== 'macvlan') return;
  // @ts-expect-error a macvlan link has no VLAN id (the compiler holds it; main's one bag had vlanId: null)
  assert.equal(link.vlanId, undefined);
  assert.equal(link.mode, 'private');
  const v = wanted(load('vlan').net, 'vlan');
  if (v.kind !== 'vlan') return;
  // @ts-expect-error a VLAN link has no mode
  assert.equal(v.mode, undefined);
  assert.equal(v.vlanId, 200);
  assert.deepEqual(Object.keys(link).filter((k) => !(k in v)).sort(), ['mode']);
});
