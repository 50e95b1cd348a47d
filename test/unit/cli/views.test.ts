import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnosticFromBus } from '../../../src/cli/decode.js';
import { managerInfo, monitorText, networkView, renderList, renderManagerStatus,
  renderNetworkStatus, shortValue } from '../../../src/cli/views.js';

const plain = { colour: false };

const lanProps = {
  Name: 'lan', State: 'configured', ConfigFile: '/etc/flatnet.d/lan.conf', Parent: 'enp3s0.200', ParentIfIndex: 5, VLAN: 200,
  Driver: 'macvlan', Mode: 'bridge', Shim: 'shim-lan', ShimIfIndex: 7, Carrier: true, Addresses: ['192.168.88.192/32'],
  Routes: ['192.168.88.192/27'], IPRanges: ['192.168.88.192/27'], Subnets: ['192.168.88.0/24'], Gateways: ['192.168.88.1'],
  LastError: '', LastChangeUSec: 1700000000123456n, RestoreCount: 2,
};
const lan = networkView('/org/flatnet/flatnet1/network/lan', lanProps);
const iot = networkView('/org/flatnet/flatnet1/network/iot', {
  ...lanProps, Name: 'iot', State: 'waiting-for-parent', Parent: 'enp4s0', ParentIfIndex: 0, VLAN: 0, Driver: 'ipvlan', Mode: 'l2',
  Shim: '', ShimIfIndex: 0, Carrier: false, Addresses: [], Routes: [], LastChangeUSec: 0n, RestoreCount: 0,
  LastError: 'parent enp4s0 does not exist',
});

test('status NAME reads like networkctl status', () => {
  assert.deepEqual(renderNetworkStatus(plain, lan, 1700000000123 + 65_000, 'UTC'), [
    '● lan',
    '      State: configured',
    'Config File: /etc/flatnet.d/lan.conf',
    '     Driver: macvlan (bridge)',
    '     Parent: enp3s0.200 (index 5, carrier yes)',
    '       VLAN: 200',
    '       Shim: shim-lan (index 7)',
    '  Addresses: 192.168.88.192/32',
    '     Routes: 192.168.88.192/27',
    '  IP Ranges: 192.168.88.192/27',
    '    Subnets: 192.168.88.0/24',
    '   Gateways: 192.168.88.1',
    '   Restored: 2 times',
    'Last Change: 2023-11-14 22:13:20 UTC (1min 5s ago)',
  ]);
  assert.deepEqual(renderNetworkStatus(plain, iot, 0, 'UTC'), [
    '● iot',
    '      State: waiting-for-parent',
    'Config File: /etc/flatnet.d/lan.conf',
    '     Driver: ipvlan (l2)',
    '     Parent: enp4s0 (missing)',
    '  IP Ranges: 192.168.88.192/27',
    '    Subnets: 192.168.88.0/24',
    '   Gateways: 192.168.88.1',
    ' Last Error: parent enp4s0 does not exist',
  ]);
});

test('with colour the dot and the state are coloured by state', () => {
  const [head, state] = renderNetworkStatus({ colour: true }, iot, 0, 'UTC');
  assert.equal(head, '\x1b[33m●\x1b[0m iot');
  assert.equal(state, '      State: \x1b[33mwaiting-for-parent\x1b[0m');
});

test('list: one aligned row per network and a count', () => {
  assert.deepEqual(renderList(plain, [iot, lan]), [
    'NAME STATE              DRIVER  MODE   PARENT     SHIM     CARRIER',
    'iot  waiting-for-parent ipvlan  l2     enp4s0     -        -',
    'lan  configured         macvlan bridge enp3s0.200 shim-lan yes',
    '',
    '2 networks listed.',
  ]);
});

test('status: the daemon, a summary by state, the networks, then every diagnostic', () => {
  const m = managerInfo({ Version: '0.1.0', State: 'degraded', Networks: [lan.Path, iot.Path], Diagnostics: [
    { Severity: 'error', Code: 'invalid-value', File: '/etc/flatnet.d/20-iot.conf', Line: 4, Key: 'VLAN', Value: '5000', Network: 'iot', Message: 'must be 1..4094' },
    { Severity: 'warning', Code: 'unknown-key', File: '/etc/flatnet.d/lan.conf', Line: 9, Key: 'Colour', Value: 'blue', Network: 'lan', Message: 'unknown key, ignoring' },
  ] });
  assert.deepEqual(renderManagerStatus(plain, m, [iot, lan]), [
    '● flatnetd 0.1.0',
    '      State: degraded',
    '   Networks: 2 (1 configured, 1 waiting-for-parent)',
    'Diagnostics: 1 error, 1 warning',
    '',
    'NAME STATE              DRIVER  MODE   PARENT     SHIM     CARRIER',
    'iot  waiting-for-parent ipvlan  l2     enp4s0     -        -',
    'lan  configured         macvlan bridge enp3s0.200 shim-lan yes',
    '',
    'error: /etc/flatnet.d/20-iot.conf:4: VLAN=5000: must be 1..4094',
    'warning: /etc/flatnet.d/lan.conf:9: Colour=blue: unknown key, ignoring',
  ]);
});

test('a diagnostic dict from the bus becomes a Diagnostic; unknown keys are ignored, missing ones left out', () => {
  const v = (signature: string, value: unknown): { signature: string; value: unknown } => ({ signature, value });
  assert.deepEqual(diagnosticFromBus({ Severity: v('s', 'warning'), Code: v('s', 'conflict'), Object: v('s', 'shim-lan'),
    Message: v('s', 'exists and is not ours'), FromTheFuture: v('u', 7) }),
  { severity: 'warning', code: 'conflict', message: 'exists and is not ours', object: 'shim-lan' });
});

test('monitor: one line per change, from → to, LastChangeUSec left out of the text', () => {
  const at = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(monitorText(plain, { event: 'changed', object: 'network', name: 'lan', changes: {
    State: { from: 'configured', to: 'degraded' }, LastError: { from: '', to: 'address gone' },
    LastChangeUSec: { from: 1n, to: 2n } } }, at), '03:04:05 lan: State configured → degraded, LastError "" → "address gone"');
  assert.equal(monitorText(plain, { event: 'changed', object: 'manager', name: 'flatnetd', changes: {
    State: { from: undefined, to: 'reloading' } } }, at), '03:04:05 flatnetd: State reloading');
  assert.equal(monitorText(plain, { event: 'added', object: 'network', name: 'guest', state: 'pending' }, at), '03:04:05 guest: added (pending)');
  assert.equal(monitorText(plain, { event: 'removed', object: 'network', name: 'guest' }, at), '03:04:05 guest: removed');
  assert.equal(monitorText(plain, { event: 'daemon', running: false }, at), '03:04:05 flatnetd stopped');
  assert.equal(monitorText(plain, { event: 'changed', object: 'network', name: 'lan', changes: { LastChangeUSec: { from: 1n, to: 2n } } }, at), '');
  // a heal is said in words, first: not "RestoreCount 2 → 3, ShimIfIndex 12 → 14"
  assert.equal(monitorText(plain, { event: 'changed', object: 'network', name: 'lan', changes: {
    ShimIfIndex: { from: 12, to: 14 }, RestoreCount: { from: 2, to: 3 } } }, at), '03:04:05 lan: restored (3 times in all), shim re-made (index 12 → 14)');
  assert.equal(shortValue(['a', 'b']), 'a,b');
  assert.equal(shortValue([]), '[]');
  assert.equal(shortValue(true), 'yes');
  assert.equal(shortValue([['error', 'x']]), '1 entry');
});

test('status NAME and status: the engine side (issue 15): re-attaches, the engine\'s error, drift with its fix, the engines', () => {
  const n = networkView(lan.Path, { ...lanProps, ReattachCount: 3, LastReattachUSec: 1700000000123456n, ReattachPending: 1,
    ReattachError: 'c-dns: connect: failed to create the macvlan port: invalid argument',
    EngineDiagnostics: [{ Severity: 'error', Code: 'engine', File: '/etc/flatnet.d/lan.conf', Line: 7, Key: 'IPRange', Value: '192.168.88.192/27', Network: 'lan',
      Message: 'Docker network lan has ip-ranges 192.168.88.128/26, the drop-in 192.168.88.192/27; fix: docker network rm lan && docker network create …' }] });
  const out = renderNetworkStatus(plain, n, 1700000000123 + 65_000, 'UTC');
  assert.ok(out.includes(' Re-attached: 3 containers, last 2023-11-14 22:13:20 UTC (1min 5s ago)'), out.join('\n'));
  assert.ok(out.includes('Re-attaching: 1 container'), out.join('\n'));
  assert.ok(out.includes('Engine Error: c-dns: connect: failed to create the macvlan port: invalid argument'), out.join('\n'));
  assert.equal(out.at(-1), 'error: /etc/flatnet.d/lan.conf:7: IPRange=192.168.88.192/27: Docker network lan has ip-ranges 192.168.88.128/26, the drop-in 192.168.88.192/27; fix: docker network rm lan && docker network create …');
  const m = managerInfo({ Version: '0.1.0', State: 'running', Networks: [lan.Path], Diagnostics: [], Engines: [
    { Socket: '/run/docker.sock', State: 'attached', Engine: 'Docker 20.10.24+dfsg1 (API 1.41)' }, { Socket: '/run/podman/podman.sock', State: 'absent' },
  ] });
  const text = renderManagerStatus(plain, m, [lan]);
  assert.deepEqual(text.slice(4, 6), ['    Engines: Docker 20.10.24+dfsg1 (API 1.41) at /run/docker.sock', '             none at /run/podman/podman.sock']);
});
