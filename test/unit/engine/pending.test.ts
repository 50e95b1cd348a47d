// A re-attach cut short between its disconnect and its connect (flatnetd
// killed): the engine no longer lists the container on the network, so only
// what the killed flatnetd wrote down (engine/pending.ts) can give it back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../../src/engine/client.js';
import { EngineFollower, type FollowDeps } from '../../../src/engine/follow.js';
import { UnixHttp } from '../../../src/engine/http.js';
import { fileStore, pendingFileName } from '../../../src/engine/pending.js';
import { watchForSocket } from '../../../src/engine/socket-watch.js';
import type { NetworkStatus } from '../../../src/model/status.js';
import type { ReconnectSpec } from '../../../src/engine/types.js';
import { FakeEngine, engineFixture } from '../../fake/fake-engine.js';

const CID = String(engineFixture('container-c-lan200.json')['Id']);
const NID = String(engineFixture('network-lan200.json')['Id']);

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const status: NetworkStatus = { name: 'lan200', state: 'configured', configFile: '/etc/flatnet.d/10-lan200.conf', parent: 'lan0.200', parentIfIndex: 12, vlan: 200, driver: 'macvlan', mode: 'bridge', shim: '', shimIfIndex: 0, carrier: true, addresses: [], liveAddresses: [], routes: [], ipRanges: [], subnets: [], gateways: [], lastError: '', lastChangeUSec: 0n, restoreCount: 0 };

function follower(engine: FakeEngine, dir: string, lines: string[], extra: Partial<FollowDeps> = {}): EngineFollower {
  const w = (l: string) => (m: string): void => { lines.push(`${l}: ${m}`); };
  return new EngineFollower({
    sockets: [engine.socket],
    host: { networks: () => [status], network: (n) => (n === 'lan200' ? status : undefined), onChange: () => () => undefined, reattachWanted: () => true, declared: () => null },
    log: { debug: w('debug'), info: w('info'), notice: w('notice'), warning: w('warning'), error: w('error') },
    makeClient: (s) => new ApiClient(new UnixHttp({ socketPath: s, timeoutMs: 1000 })),
    watch: (s, onMaybe) => watchForSocket(s, onMaybe, () => undefined),
    now: () => Date.now(),
    retryMinMs: 20,
    retryMaxMs: 200,
    pending: (socket) => fileStore(join(dir, pendingFileName(socket)), w('warning')),
    ...extra,
  });
}

test('flatnetd killed between a re-attach\'s disconnect and its connect: the next one connects the container again with what it had, and crosses it out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-pending-'));
  const engine = new FakeEngine(join(dir, 'docker.sock'));
  engine.seedRecorded();
  // The engine's view after the disconnect went through: c-lan200 is on no network.
  const net = engine.networkByName('lan200') as Record<string, unknown>;
  net['Containers'] = {};
  ((engine.containers.get(CID)?.['NetworkSettings'] as Record<string, unknown>)['Networks']) = {};
  await engine.start();
  const file = join(dir, pendingFileName(engine.socket));
  const spec: ReconnectSpec = { networkId: NID, networkName: 'lan200', containerId: CID, containerName: 'c-lan200', ipv4: '192.168.200.193', ipv6: '', mac: '02:42:c0:a8:c8:c1', aliases: ['web'] };
  writeFileSync(file, JSON.stringify([spec]));
  const lines: string[] = [];
  const f = follower(engine, dir, lines);
  try {
    f.start();
    await until('re-attach', () => f.reattach('lan200').count === 1);
    const posts = engine.calls.filter((c) => c.method === 'POST').map((c) => `${c.path.replace(/^\/v[\d.]+/, '')} ${JSON.stringify(c.body)}`);
    assert.deepEqual(posts, [`/networks/${NID}/connect {"Container":"${CID}","EndpointConfig":{"IPAMConfig":{"IPv4Address":"192.168.200.193"},"Aliases":["web"]}}`]);
    assert.ok(lines.some((l) => l.includes('taking up 1 re-attach a previous flatnetd left half done: c-lan200 on lan200')), lines.join('\n'));
    await until('crossed out', () => !existsSync(file));
  } finally {
    f.stop();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a re-attach is written down before its disconnect (the file holds it while the engine answers the disconnect)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-pending-'));
  const engine = new FakeEngine(join(dir, 'docker.sock'));
  engine.seedRecorded();
  await engine.start();
  const file = join(dir, pendingFileName(engine.socket));
  let atDisconnect = '';
  engine.onCall = (c) => { if (c.path.endsWith('/disconnect')) atDisconnect = existsSync(file) ? readFileSync(file, 'utf8') : '(none)'; };
  const lines: string[] = [];
  // The parent's list without c-lan200's MAC: its interface is gone.
  const f = follower(engine, dir, lines, { parentMacs: () => Promise.resolve(new Set<string>()) });
  try {
    f.start();
    await until('re-attach', () => f.reattach('lan200').count === 1);
    assert.match(atDisconnect, /"containerName":"c-lan200","ipv4":"192\.168\.200\.193"/);
    await until('crossed out', () => !existsSync(file));
  } finally {
    f.stop();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unreadable store is said once and otherwise ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-pending-'));
  const said: string[] = [];
  writeFileSync(join(dir, 'x.json'), '{not json');
  const s = fileStore(join(dir, 'x.json'), (m) => said.push(m));
  assert.deepEqual(s.load(), []);
  assert.deepEqual(s.load(), []);
  assert.equal(said.length, 1);
  assert.match(said[0] ?? '', /x\.json: cannot parse it/);
  assert.equal(pendingFileName('/run/podman/podman.sock'), 'engine-run-podman-podman.sock.json');
  rmSync(dir, { recursive: true, force: true });
});
