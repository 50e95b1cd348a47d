// Re-attach end to end below the daemon: the follower, its sessions and the
// real client over a real unix socket to the fake engine. The daemon is
// stood in for by a host whose network statuses the test changes the way a
// heal does (the parent back under a new ifindex).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../../src/engine/client.js';
import { EngineFollower, type EngineHost } from '../../../src/engine/follow.js';
import { UnixHttp } from '../../../src/engine/http.js';
import type { Declared } from '../../../src/engine/session.js';
import { buildConfigSet } from '../../../src/config/load.js';
import { dockerNetworkCreateArgs } from '../../../src/docker/args.js';
import { LAN200_DROPIN } from '../../support/dropins.js';
import { watchForSocket } from '../../../src/engine/socket-watch.js';
import type { DaemonChange, NetworkStatus } from '../../../src/model/status.js';
import type { Logger } from '../../../src/log.js';
import { unicastMacs } from '../../../src/engine/reattach.js';
import { FakeEngine, engineFixture, macFor } from '../../fake/fake-engine.js';

class Host implements EngineHost {
  private readonly s = new Map<string, NetworkStatus>();
  private readonly ls = new Set<(c: DaemonChange) => void>();
  readonly optOut = new Set<string>();
  readonly decl = new Map<string, Declared>();
  add(name: string, parent: string, ifindex: number): void {
    this.s.set(name, status(name, parent, ifindex));
  }
  /** What a heal publishes: the same parent, a new ifindex, configured again. */
  remake(name: string, ifindex: number): void {
    const prev = this.s.get(name);
    if (prev === undefined) throw new Error(name);
    this.s.set(name, { ...prev, parentIfIndex: ifindex, state: 'configured' });
    for (const l of this.ls) l({ what: 'network', name });
  }
  networks(): NetworkStatus[] { return [...this.s.values()]; }
  network(name: string): NetworkStatus | undefined { return this.s.get(name); }
  onChange(l: (c: DaemonChange) => void): () => void { this.ls.add(l); return () => this.ls.delete(l); }
  reattachWanted(name: string): boolean { return !this.optOut.has(name); }
  declared(name: string): Declared | null { return this.decl.get(name) ?? null; }
}

function status(name: string, parent: string, ifindex: number): NetworkStatus {
  return { name, state: ifindex > 0 ? 'configured' : 'waiting-for-parent', configFile: `/etc/flatnet.d/${name}.conf`, parent, parentIfIndex: ifindex, vlan: 0, driver: 'macvlan', mode: 'bridge', shim: '', shimIfIndex: 0, carrier: true, addresses: [], liveAddresses: [], routes: [], ipRanges: [], subnets: [], gateways: [], lastError: '', lastChangeUSec: 0n, restoreCount: 0 };
}

function memLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const w = (lvl: string) => (m: string): void => { lines.push(`${lvl}: ${m}`); };
  return { lines, debug: w('debug'), info: w('info'), notice: w('notice'), warning: w('warning'), error: w('error') };
}

export interface Rig { engine: FakeEngine; host: Host; log: ReturnType<typeof memLog>; follower: EngineFollower; dir: string }

/**
 * `parent`: the parent's unicast list as the kernel keeps it (parent-macs.ts),
 * by parent name; a connect puts the new interface's MAC on it, as Docker's
 * macvlan driver does. Without it the follower has only the ifindex history.
 */
async function rig(fn: (r: Rig) => Promise<void>, opts: { startEngine?: boolean; parentLists?: Map<string, Set<string>>; ifindex?: number; setup?: (e: FakeEngine) => void } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-engine-'));
  const engine = new FakeEngine(join(dir, 'docker.sock'));
  const { containerId } = engine.seedRecorded();
  // The recorded start, moved before the test's re-make whatever the clock says.
  const state = engine.containers.get(containerId)?.['State'] as Record<string, unknown>;
  state['StartedAt'] = new Date(Date.now() - 3_600_000).toISOString();
  opts.setup?.(engine);
  if (opts.startEngine !== false) await engine.start();
  const host = new Host();
  host.add('lan200', 'lan0.200', opts.ifindex ?? 7);
  const log = memLog();
  const lists = opts.parentLists;
  if (lists !== undefined) {
    engine.onCall = (c) => {
      const m = /\/networks\/([^/]+)\/connect$/.exec(c.path);
      const net = m === null ? undefined : engine.networkByName(decodeURIComponent(m[1] ?? ''));
      if (net === undefined) return;
      const ip = (((c.body as Record<string, Record<string, Record<string, string>>>)['EndpointConfig'] ?? {})['IPAMConfig'] ?? {})['IPv4Address'];
      const parent = String((net?.['Options'] as Record<string, string> | undefined)?.['parent'] ?? '');
      if (ip !== undefined) lists.get(parent)?.add(macFor(ip));
    };
  }
  const follower = new EngineFollower({
    sockets: [engine.socket],
    host,
    log,
    makeClient: (s) => new ApiClient(new UnixHttp({ socketPath: s, timeoutMs: 1000 })),
    watch: (s, onMaybe) => watchForSocket(s, onMaybe, (m) => log.error(m)),
    now: () => Date.now(),
    retryMinMs: 20,
    retryMaxMs: 200,
    ...(lists !== undefined ? { parentMacs: (p: string) => Promise.resolve(lists.has(p) ? new Set(lists.get(p)) : null) } : {}),
  });
  try {
    follower.start();
    await fn({ engine, host, log, follower, dir });
  } finally {
    follower.stop();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const posts = (e: FakeEngine): string[] => e.calls.filter((c) => c.method === 'POST').map((c) => `${c.path.replace(/^\/v[\d.]+\/networks\/([^/]+)\//, (_m, id: string) => `${id.slice(0, 8)} `)} ${JSON.stringify(c.body)}`);
const attached = (f: EngineFollower): boolean => f.engines().every((e) => e.state === 'attached');
const CID = String(engineFixture('container-c-lan200.json')['Id']);
const NID8 = String(engineFixture('network-lan200.json')['Id']).slice(0, 8);

test('the parent re-made: the container on it is disconnected and connected again with the address it had, nothing else touched', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    engine.addNetwork('lan300', 'net300', 'lan0.300');
    engine.addContainer('c300id000000aaaa', 'c-lan300', 'lan300', '192.168.30.5', new Date(Date.now() - 3_600_000).toISOString());
    host.add('lan300', 'lan0.300', 9);
    await until('attach', () => attached(follower));
    host.remake('lan200', 12);
    await until('re-attach', () => follower.reattach('lan200').count === 1);
    assert.deepEqual(posts(engine), [
      `${NID8} disconnect {"Container":"${CID}","Force":true}`,
      `${NID8} connect {"Container":"${CID}","EndpointConfig":{"IPAMConfig":{"IPv4Address":"192.168.200.193"}}}`,
    ]);
    const r = follower.reattach('lan200');
    assert.equal(r.pending, 0);
    assert.ok(r.lastUSec > 0n);
    assert.equal(follower.reattach('lan300').count, 0);
    assert.ok(log.lines.some((l) => l.includes('lan200: re-attached c-lan200 at 192.168.200.193')), log.lines.join('\n'));
    // The engine's own record shows the container back at its address.
    const ep = Object.values(engine.networkByName('lan200')?.['Containers'] as Record<string, { IPv4Address: string }>);
    assert.deepEqual(ep.map((x) => x.IPv4Address), ['192.168.200.193/24']);
  });
});

test('a container started after the parent was re-made keeps its interface; a second change re-attaches only what it killed', async () => {
  await rig(async ({ engine, host, follower }) => {
    await until('attach', () => attached(follower));
    // Its start is after the re-make below (the engine restarted it, say): its interface is on the new parent.
    engine.addContainer('late0000000bbbb', 'c-late', 'lan200', '192.168.200.194', new Date(Date.now() + 60_000).toISOString());
    engine.emit({ Type: 'network', Action: 'connect', Actor: { ID: 'x', Attributes: { name: 'lan200', container: 'late0000000bbbb' } }, time: 1, timeNano: Date.now() * 1e6 });
    await until('c-late recorded', () => engine.calls.some((c) => c.path.includes('/containers/late0000000bbbb/json')));
    host.remake('lan200', 12);
    await until('re-attach', () => follower.reattach('lan200').count === 1 && follower.reattach('lan200').pending === 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(posts(engine).filter((p) => p.includes('late0000000bbbb')).length, 0, posts(engine).join('\n'));
  });
});

test('an API error in the middle: logged with the container\'s name and the engine\'s words, retried with back-off, then done', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    await until('attach', () => attached(follower));
    engine.fault({ method: 'POST', path: /\/connect$/, answer: { status: 500, body: engineFixture('error-connect-500.json') }, times: 2 });
    host.remake('lan200', 12);
    await until('re-attach after retries', () => follower.reattach('lan200').count === 1);
    assert.ok(log.lines.some((l) => l.startsWith('warning: lan200: re-attaching c-lan200: connect failed: failed to create the macvlan port: invalid argument')), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => /lan200: 1 container still to re-attach; trying again in 20 ms/.test(l)), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => /trying again in 40 ms/.test(l)), 'the wait doubles');
    // One disconnect only: the retries give back what the first one took.
    assert.equal(posts(engine).filter((p) => p.includes('disconnect')).length, 1);
    assert.equal(posts(engine).filter((p) => p.includes(' connect')).length, 3);
  });
});

test('a container removed in the middle: said once, dropped, and the other containers still re-attached', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    engine.addContainer('zzz0000000cccc', 'c-zz', 'lan200', '192.168.200.195', new Date(Date.now() - 3_600_000).toISOString());
    await until('attach', () => attached(follower));
    await until('both recorded', () => true);
    // c-lan200 goes between our inspect and our disconnect.
    engine.fault({ method: 'POST', path: /\/disconnect$/, answer: { status: 404, body: engineFixture('error-container-404.json') }, times: 1 });
    host.remake('lan200', 12);
    await until('re-attach of the other', () => follower.reattach('lan200').count === 1 && follower.reattach('lan200').pending === 0);
    assert.ok(log.lines.some((l) => l.includes('lan200: c-lan200 was removed before it could be re-attached (No such container')), log.lines.join('\n'));
    assert.ok(log.lines.some((l) => l.includes('re-attached c-zz at 192.168.200.195')));
  });
});

test('Reattach=no: the parent re-made, no call to the engine', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    host.optOut.add('lan200');
    await until('attach', () => attached(follower));
    host.remake('lan200', 12);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(posts(engine), []);
    assert.ok(log.lines.some((l) => l.includes('containers not re-attached (Reattach=no)')));
  });
});

test('the engine restarted: the event stream is followed again, and a parent re-made while it was away is acted on once it is back', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    await until('attach', () => attached(follower));
    await engine.stop();
    await until('lost', () => follower.engines()[0]?.state !== 'attached');
    host.remake('lan200', 12);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(posts(engine), []);
    await engine.start();
    await until('attached again', () => attached(follower) && engine.streamCount() === 1);
    await until('re-attach', () => follower.reattach('lan200').count === 1);
    assert.ok(log.lines.some((l) => /engine: .*docker\.sock: the (engine ended the event stream|event stream (closed|broke))/.test(l)), log.lines.join('\n'));
  });
});

test('no engine at start: said once; the socket appearing later is noticed without asking again and again', async () => {
  await rig(async ({ engine, follower, log }) => {
    await until('absent', () => follower.engines()[0]?.state === 'absent');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(log.lines.filter((l) => l.includes('no socket at')).length, 1);
    await engine.start();
    await until('attached by the socket watch', () => attached(follower));
    // One /_ping before (none: there was no socket to connect to) and one after.
    assert.equal(engine.calls.filter((c) => c.path === '/_ping').length, 1);
  }, { startEngine: false });
});

test('a socket that refuses us (not an engine): flatnetd goes on, says so once, the state says why', async () => {
  await rig(async ({ engine, follower, log }) => {
    engine.fault({ method: 'GET', path: /^\/_ping$/, answer: { status: 500, body: 'Internal Server Error' } });
    await until('refused', () => follower.engines()[0]?.state === 'refused');
    await new Promise((r) => setTimeout(r, 150));
    assert.match(follower.engines()[0]?.message ?? '', /HTTP 500/);
    assert.equal(log.lines.filter((l) => l.includes('flatnetd goes on without it')).length, 1, log.lines.join('\n'));
  });
});

function declared(text: string): Declared {
  const set = buildConfigSet([{ path: '/etc/flatnet.d/10-lan200.conf', text }]);
  const net = set.networks[0];
  if (net === undefined) throw new Error(JSON.stringify(set.diagnostics));
  return { net, subnets: net.subnets, createArgs: dockerNetworkCreateArgs(net, net.subnets) };
}
const LAN200 = LAN200_DROPIN;

test('drift: made by hand without --aux-address → one error in the status and in the journal, said once; nothing sent to the engine', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    host.decl.set('lan200', declared(LAN200));
    const net = engine.networkByName('lan200') as Record<string, unknown>;
    (((net['IPAM'] as Record<string, unknown>)['Config'] as Record<string, unknown>[])[0] ?? {})['AuxiliaryAddresses'] = {};
    await until('drift', () => follower.network('lan200').diagnostics.length === 1);
    const d = follower.network('lan200').diagnostics[0];
    assert.equal(d?.severity, 'error');
    assert.equal(d?.line, 11);
    assert.match(d?.message ?? '', /may hand the shim's address 192\.168\.200\.192 to a container/);
    // A container event makes the follower look again: the same finding is not said twice.
    engine.emit({ Type: 'network', Action: 'connect', Actor: { ID: 'x', Attributes: { name: 'lan200', container: CID } }, time: 1, timeNano: Date.now() * 1e6 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(log.lines.filter((l) => l.includes('may hand the shim')).length, 1, log.lines.join('\n'));
    assert.deepEqual(posts(engine), []);
  });
});

test('Create=yes: a missing engine network is created with exactly what docker-args prints, once; an existing one is never changed', async () => {
  await rig(async ({ engine, host, follower, log }) => {
    host.add('lan201', 'lan0.201', 8);
    host.decl.set('lan201', declared(LAN200.replace('Name=lan200', 'Name=lan201').replace('VLAN=200', 'VLAN=201') + '\n[Engine]\nCreate=yes\n'));
    host.decl.set('lan200', declared(LAN200.replace('VLAN=200', 'VLAN=202') + '\n[Engine]\nCreate=yes\n'));
    await until('created', () => engine.networkByName('lan201') !== undefined);
    await until('drift read', () => follower.network('lan201').diagnostics.length === 0 && follower.network('lan200').diagnostics.length > 0);
    const creates = engine.calls.filter((c) => c.path.endsWith('/networks/create'));
    assert.equal(creates.length, 1);
    assert.deepEqual((creates[0]?.body as Record<string, unknown>)['Options'], { parent: 'lan0.201', macvlan_mode: 'bridge' });
    // The engine has the network as soon as it answered the POST; the journal line follows the answer.
    await until('logged', () => log.lines.some((l) => l.includes('lan201: created the Docker network (Create=yes): docker network create -d macvlan')));
    // lan200 exists with another parent: reported, not touched.
    assert.deepEqual(posts(engine).filter((p) => !p.includes('/create')), []);
    assert.match(follower.network('lan200').diagnostics[0]?.message ?? '', /has parent=lan0\.200, the drop-in lan0\.202/);
  });
});

test('a hung socket (an engine still starting behind docker.socket): not a refusal; attached once it answers', async () => {
  await rig(async ({ engine, follower, log }) => {
    await until('attached', () => attached(follower));
    engine.fault({ method: 'GET', path: /^\/_ping$/, answer: 'hang', times: 1 });
    engine.closeStreams();
    await until('timed out', () => log.lines.some((l) => l.includes('no answer within 1000 ms; trying again')), 5000);
    assert.equal(follower.engines()[0]?.state !== 'refused', true);
    assert.ok(!log.lines.some((l) => l.includes('goes on without it')), log.lines.join('\n'));
    await until('attached again', () => attached(follower) && engine.streamCount() === 1, 5000);
  });
});

// ---- no history: the parent's own list says whose interface is gone ----

test('flatnetd started after the parent was re-made (restarted, or killed, in between): the container whose MAC is off the parent is re-attached; one whose MAC is on it is not', async () => {
  // lan0.200 is #12 from the start: this flatnetd never saw the old #7.
  const lists = new Map([['lan0.200', new Set(['02:11:22:33:44:55', macFor('192.168.200.194')])]]);
  await rig(async ({ engine, follower, log }) => {
    await until('re-attach', () => follower.reattach('lan200').count === 1 && follower.reattach('lan200').pending === 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(posts(engine), [
      `${NID8} disconnect {"Container":"${CID}","Force":true}`,
      `${NID8} connect {"Container":"${CID}","EndpointConfig":{"IPAMConfig":{"IPv4Address":"192.168.200.193"}}}`,
    ]);
    assert.ok(log.lines.some((l) => l.includes('lan200: re-attached c-lan200 at 192.168.200.193')), log.lines.join('\n'));
    assert.ok(lists.get('lan0.200')?.has(macFor('192.168.200.193')));
  }, { parentLists: lists, ifindex: 12, setup: (e) => e.addContainer('late0000000bbbb', 'c-late', 'lan200', '192.168.200.194', new Date(Date.now() - 3_600_000).toISOString()) });
  // The same start with c-lan200's interface alive on the parent: nothing is sent.
  const alive = new Map([['lan0.200', new Set([macFor('192.168.200.193')])]]);
  await rig(async ({ engine, follower }) => {
    await until('attach', () => attached(follower));
    await until('looked', () => engine.calls.some((c) => c.path.endsWith('/json')));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(posts(engine), []);
  }, { parentLists: alive, ifindex: 12 });
});

test('the other container on the re-made parent, started later with its interface on it, is left alone (the list decides, not the clocks)', async () => {
  const lists = new Map([['lan0.200', new Set<string>()]]);
  await rig(async ({ engine, host, follower }) => {
    await until('attach', () => attached(follower));
    // Started an hour ago, but its interface is on the new parent (connected by hand after the re-make).
    engine.addContainer('old0000000dddd', 'c-old', 'lan200', '192.168.200.196', new Date(Date.now() - 3_600_000).toISOString());
    lists.get('lan0.200')?.add(macFor('192.168.200.196'));
    engine.emit({ Type: 'network', Action: 'connect', Actor: { ID: 'x', Attributes: { name: 'lan200', container: 'old0000000dddd' } }, time: 1, timeNano: (Date.now() - 3_600_000) * 1e6 });
    await until('c-old recorded', () => engine.calls.some((c) => c.path.includes('/containers/old0000000dddd/json')));
    await new Promise((r) => setTimeout(r, 50));
    host.remake('lan200', 12);
    await until('re-attach', () => follower.reattach('lan200').count === 1 && follower.reattach('lan200').pending === 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(posts(engine).filter((p) => p.includes('old0000000dddd')), []);
  }, { parentLists: lists });
});

test('a parent list that never shows the container: re-attached once per parent, never in a loop', async () => {
  const lists = new Map([['lan0.200', new Set<string>()]]);
  await rig(async ({ engine, host, follower }) => {
    engine.onCall = undefined;
    await until('re-attach', () => follower.reattach('lan200').count === 1);
    // Its connect makes events, events make looks, and every look finds the MAC still missing.
    engine.emit({ Type: 'network', Action: 'connect', Actor: { ID: 'x', Attributes: { name: 'lan200', container: CID } }, time: 1, timeNano: Date.now() * 1e6 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(follower.reattach('lan200').count, 1);
    host.remake('lan200', 13);
    await until('once more, for the new parent', () => follower.reattach('lan200').count === 2);
  }, { parentLists: lists, ifindex: 12 });
});

test('the parent missing when flatnetd started, restored afterwards: its containers are looked at then and re-attached', async () => {
  const lists = new Map([['lan0.200', new Set<string>()]]);
  await rig(async ({ engine, host, follower }) => {
    await until('attach', () => attached(follower));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(posts(engine), []);
    host.remake('lan200', 12);
    await until('re-attach', () => follower.reattach('lan200').count === 1);
  }, { parentLists: lists, ifindex: 0 });
});

test('Reattach=no: a container off its parent is not re-attached by the list either', async () => {
  const lists = new Map([['lan0.200', new Set<string>()]]);
  await rig(async ({ engine, host, follower }) => {
    host.optOut.add('lan200');
    await until('attach', () => attached(follower));
    await until('looked', () => engine.calls.some((c) => c.path.endsWith('/json')));
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(posts(engine), []);
  }, { parentLists: lists, ifindex: 12 });
});

test('the parent\'s list as `bridge -json fdb show dev` prints it: unicast self entries only', () => {
  // Recorded from a veth with a macvlan child in another namespace and a shim, and from a bridge.
  const dump = [
    { mac: '02:42:c0:a8:c8:c1', flags: ['self'], state: 'permanent' },
    { mac: '02:11:22:33:44:55', flags: ['self'], state: 'permanent' },
    { mac: '33:33:00:00:00:01', flags: ['self'], state: 'permanent' },
    { mac: '01:00:5e:00:00:01', flags: ['self'], state: 'permanent' },
    { mac: 'e2:c0:fc:2a:37:3c', flags: [], master: 'br0', state: 'permanent' },
  ];
  assert.deepEqual([...unicastMacs(dump)], ['02:42:c0:a8:c8:c1', '02:11:22:33:44:55']);
  assert.deepEqual([...unicastMacs('not a list')], []);
});
