// The Engine API client against a fake engine on a real unix socket that
// answers with the bodies recorded from Docker 20.10: negotiation, decoding,
// and every error path (404, 409, 500, a hung socket, a closed stream, no socket).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, EngineError, pickApi } from '../../../src/engine/client.js';
import { TransportError, UnixHttp } from '../../../src/engine/http.js';
import { decodeContainer, decodeNetwork } from '../../../src/engine/decode.js';
import { recordEndpoints } from '../../../src/engine/reattach.js';
import { FakeEngine, engineEvents, engineFixture } from '../../fake/fake-engine.js';

async function withEngine(api: string, fn: (e: FakeEngine, c: ApiClient) => Promise<void>, timeoutMs = 2000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-engine-'));
  const engine = new FakeEngine(join(dir, 'docker.sock'), api);
  await engine.start();
  try {
    await fn(engine, new ApiClient(new UnixHttp({ socketPath: engine.socket, timeoutMs })));
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('pickApi: the engine\'s version when not newer than ours, ours when it is, none below the oldest', () => {
  assert.equal(pickApi('1.41'), '1.41');
  assert.equal(pickApi('1.47'), '1.44');
  assert.equal(pickApi('1.12'), null);
  assert.equal(pickApi('garbage'), null);
});

test('negotiate: /_ping alone when its headers name the engine; Docker 20.10 gets API 1.41, later calls carry it', async () => {
  await withEngine('1.41', async (e, c) => {
    const v = await c.negotiate();
    assert.equal(v.version, '20.10.24+dfsg1');
    assert.equal(v.product, 'Docker Engine');
    assert.equal(c.api, '1.41');
    e.seedRecorded();
    await c.listNetworks();
    assert.deepEqual(e.calls.map((x) => x.path), ['/_ping', '/v1.41/networks']);
  });
});

test('negotiate with Podman: its /version, which can take longer than any timeout, is never asked', async () => {
  await withEngine('1.41', async (e, c) => {
    e.pingSays = 'podman';
    e.fault({ method: 'GET', path: /^\/version$/, answer: 'hang' });
    const v = await c.negotiate();
    assert.deepEqual([v.product, v.version, c.api], ['Podman Engine', '4.3.1', '1.41']);
    assert.deepEqual(e.calls.map((x) => x.path), ['/_ping']);
  }, 500);
});

test('negotiate: a /_ping that names no engine → /version says', async () => {
  await withEngine('1.41', async (e, c) => {
    e.pingSays = 'bare';
    const v = await c.negotiate();
    assert.equal(v.version, '20.10.24+dfsg1');
    assert.equal(c.api, '1.41');
    assert.deepEqual(e.calls.map((x) => x.path), ['/_ping', '/version']);
  });
});

test('negotiate: an engine older than API 1.25 is refused with a reason', async () => {
  await withEngine('1.20', async (_e, c) => {
    await assert.rejects(c.negotiate(), (err: unknown) => err instanceof EngineError && /older than 1\.25/.test(err.message));
  });
});

test('the recorded network and container inspects decode to what re-attach needs', async () => {
  await withEngine('1.41', async (e, c) => {
    const { networkId, containerId } = e.seedRecorded();
    await c.negotiate();
    const n = await c.inspectNetwork('lan200');
    assert.equal(n.id, networkId);
    assert.equal(n.driver, 'macvlan');
    assert.deepEqual(n.options, { macvlan_mode: 'bridge', parent: 'lan0.200' });
    assert.deepEqual(n.pools, [{ subnet: '192.168.200.0/24', ipRange: '192.168.200.192/27', gateway: '192.168.200.1', aux: { host: '192.168.200.192' } }]);
    assert.deepEqual(n.endpoints, [{ containerId, name: 'c-lan200', endpointId: 'ed79bed9451005fb8e113fb05da4811c0168f7776b55039309deeffd26cb9768', mac: '02:42:c0:a8:c8:c1', ipv4: '192.168.200.193', ipv6: '' }]);
    const ct = await c.inspectContainer(containerId);
    assert.equal(ct.name, 'c-lan200');
    assert.equal(ct.running, true);
    assert.equal(ct.startedAtMs, Date.parse('2026-12-06T21:39:18.786Z'));
    assert.deepEqual(ct.networks['lan200']?.aliases, ['82c7a817faaa']);
    assert.equal(ct.networks['lan200']?.ipv4, '192.168.200.193');
  });
});

test('404: an EngineError with the status and the engine\'s own message', async () => {
  await withEngine('1.41', async (_e, c) => {
    await c.negotiate();
    await assert.rejects(c.inspectNetwork('lan200'), (err: unknown) => err instanceof EngineError && err.status === 404 && err.engineSays === 'network lan200 not found');
    await assert.rejects(c.inspectContainer('nope'), (err: unknown) => err instanceof EngineError && err.status === 404 && err.engineSays === 'No such container: nope');
  });
});

test('409 and 500: the engine\'s message is kept word for word', async () => {
  await withEngine('1.41', async (e, c) => {
    const { networkId, containerId } = e.seedRecorded();
    await c.negotiate();
    await assert.rejects(c.createNetwork({ Name: 'lan200', Driver: 'macvlan' }), (err: unknown) => err instanceof EngineError && err.status === 409 && err.engineSays === engineFixture('error-create-409.json')['message']);
    e.fault({ method: 'POST', path: /\/connect$/, answer: { status: 500, body: engineFixture('error-connect-500.json') } });
    await assert.rejects(c.connect({ networkId, networkName: 'lan200', containerId, containerName: 'c-lan200', ipv4: '192.168.200.193', ipv6: '', mac: '', aliases: [] }),
      (err: unknown) => err instanceof EngineError && err.status === 500 && err.message.includes('failed to create the macvlan port'));
  });
});

test('connect sends the address and aliases it had; the MAC only from API 1.44 on', async () => {
  for (const [api, withMac] of [['1.41', false], ['1.44', true]] as const) {
    await withEngine(api, async (e, c) => {
      const { networkId, containerId } = e.seedRecorded();
      await c.negotiate();
      await c.disconnect(networkId, containerId);
      await c.connect({ networkId, networkName: 'lan200', containerId, containerName: 'c-lan200', ipv4: '192.168.200.193', ipv6: 'fd00:200::c1', mac: '02:42:c0:a8:c8:c1', aliases: ['dns'] });
      const posts = e.calls.filter((x) => x.method === 'POST');
      assert.deepEqual(posts[0]?.body, { Container: containerId, Force: true });
      const want: Record<string, unknown> = { IPAMConfig: { IPv4Address: '192.168.200.193', IPv6Address: 'fd00:200::c1' }, Aliases: ['dns'] };
      if (withMac) want['MacAddress'] = '02:42:c0:a8:c8:c1';
      assert.deepEqual(posts[1]?.body, { Container: containerId, EndpointConfig: want });
    });
  }
});

test('a hung socket: the call fails with a timeout instead of waiting for ever', async () => {
  await withEngine('1.41', async (e, c) => {
    await c.negotiate();
    e.fault({ method: 'GET', path: /^\/networks\//, answer: 'hang' });
    const t0 = Date.now();
    await assert.rejects(c.inspectNetwork('lan200'), (err: unknown) => err instanceof TransportError && err.kind === 'timeout');
    assert.ok(Date.now() - t0 < 2000, 'gave up near the timeout');
  }, 300);
});

test('the event stream: events decoded as they come; the engine closing it calls onEnd once', async () => {
  await withEngine('1.41', async (e, c) => {
    await c.negotiate();
    const seen: string[] = [];
    const ends: string[] = [];
    await c.events(0, (ev) => seen.push(`${ev.type} ${ev.action} ${ev.attributes['name'] ?? ''} ${ev.timeMs}`), (why) => ends.push(why));
    assert.match(e.calls.at(-1)?.path ?? '', /^\/v1\.41\/events\?filters=/);
    for (const ev of engineEvents()) e.emit(ev);
    await waitUntil(() => seen.length === 3);
    assert.deepEqual(seen, ['network disconnect lan200 1796593272407', 'network disconnect lan200 1796593272565', 'network connect lan200 1796593274925']);
    e.closeStreams();
    await waitUntil(() => ends.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(ends.length, 1);
  });
});

test('no socket: a TransportError of kind missing (flatnetd then waits for one)', async () => {
  const c = new ApiClient(new UnixHttp({ socketPath: join(tmpdir(), `fnt-none-${process.pid}.sock`), timeoutMs: 500 }));
  await assert.rejects(c.negotiate(), (err: unknown) => err instanceof TransportError && err.kind === 'missing');
});

async function waitUntil(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('decodeVersion: Docker\'s recorded answer and a Podman-shaped one (not recorded: Components[0] names the engine)', async () => {
  const { decodeVersion } = await import('../../../src/engine/decode.js');
  assert.equal(decodeVersion(engineFixture('version.json')).product, 'Engine');
  const podman = decodeVersion({ Platform: { Name: 'linux/amd64/debian-12' }, Components: [{ Name: 'Podman Engine', Version: '4.3.1' }], Version: '4.3.1', ApiVersion: '1.41', MinAPIVersion: '1.24' });
  assert.match(podman.product, /Podman Engine/);
  assert.equal(podman.apiVersion, '1.41');
});

test('the recorded Podman 4.3 inspects decode to what re-attach needs (its MAC for the parent\'s list, its address)', () => {
  const net = decodeNetwork(engineFixture('podman-network-pod210.json'));
  const c = decodeContainer(engineFixture('podman-container-p-pod210.json'));
  const rec = [...recordEndpoints(net, [c], new Map()).values()];
  assert.equal(rec.length, 1);
  assert.deepEqual({ ...rec[0]?.spec, networkId: '' }, { networkId: '', networkName: 'pod210', containerId: c.id, containerName: 'p-pod210', ipv4: '192.168.210.193', ipv6: '', mac: '0e:03:d6:a7:a8:c1', aliases: [] });
  assert.equal(rec[0]?.running, true);
});
