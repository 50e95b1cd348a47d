// Kubernetes' side of a flat network, with the real CNI plugins (Debian's
// containernetworking-plugins, /usr/lib/cni) invoked as a runtime invokes
// them: CNI_COMMAND=ADD/CHECK/DEL, CNI_NETNS, CNI_IFNAME, CNI_CONTAINERID,
// CNI_PATH, the plugin's configuration on stdin. Two "nodes" on one LAN
// switch, each running the real flatnetd with its own drop-in and range; each
// node's configuration is what `flatnetctl cni-config` prints there. Pods are
// namespaces of their own.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyNamespaces, exec, nsRun } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../support/private-bus.js';
import { waitUntil } from '../support/wait.js';

const isRoot = process.getuid?.() === 0;
const CNI_PATH = '/usr/lib/cni';
const haveCni = existsSync(join(CNI_PATH, 'macvlan')) && existsSync(join(CNI_PATH, 'host-local'));
const skip = !isRoot ? 'needs root for network namespaces'
  : !haveCni ? 'needs containernetworking-plugins (/usr/lib/cni; scripts/install-deps.sh installs it)' : false;

const NET = 'flat';
/** Two nodes, each with a /29 of its own: 7 addresses for pods once the shim's is left out. */
const NODES = [
  { name: 'node1', host: '192.168.88.11/24', range: '192.168.88.192/29', shim: '192.168.88.192' },
  { name: 'node2', host: '192.168.88.12/24', range: '192.168.88.200/29', shim: '192.168.88.200' },
] as const;

interface Plugin { type: string; master: string; mode: string; ipam: { type: string; ranges: unknown; dataDir?: string } }
interface Conflist { cniVersion: string; name: string; plugins: Plugin[] }
interface CniResult { ips?: { address: string }[] }
interface Pod { ns: string; id: string; address: string; result: CniResult }

interface Node {
  name: string;
  ns: string;
  shim: string;
  range: string;
  dir: string;
  bus: DemoBus;
  daemon: DaemonProcess;
  conf: Conflist;
  pods: Pod[];
}

const dropIn = (n: (typeof NODES)[number]): string => `[Network]
Name=${NET}
Parent=enp3s0
Subnet=192.168.88.0/24
Gateway=192.168.88.1
IPRange=${n.range}

[Shim]
Address=${n.shim}
`;

describe('CNI macvlan + host-local from flatnetctl cni-config, two nodes on one LAN', { skip }, () => {
  const prefix = `fnt-${process.pid}-k`;
  const nodes: Node[] = [];
  let top: string;

  /** One plugin call as a runtime makes it: the plugin's own config with the network's name and version. */
  const cni = async (node: Node, command: 'ADD' | 'CHECK' | 'DEL', pod: { ns: string; id: string }, prevResult?: CniResult): Promise<{ code: number; out: string; err: string }> => {
    const plugin = node.conf.plugins[0];
    assert.ok(plugin !== undefined);
    const conf = { cniVersion: node.conf.cniVersion, name: node.conf.name, ...plugin,
      ipam: { ...plugin.ipam, dataDir: join(node.dir, 'ipam') }, ...(prevResult === undefined ? {} : { prevResult }) };
    const r = await exec(['ip', 'netns', 'exec', node.ns, 'env', `CNI_COMMAND=${command}`, `CNI_CONTAINERID=${pod.id}`,
      `CNI_NETNS=/run/netns/${pod.ns}`, 'CNI_IFNAME=net1', `CNI_PATH=${CNI_PATH}`, join(CNI_PATH, plugin.type)], JSON.stringify(conf));
    return { code: r.code, out: r.stdout, err: r.stderr };
  };
  const nodeLinks = async (node: Node): Promise<string[]> =>
    (JSON.parse(await nsRun(node.ns, ['ip', '-json', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname).sort();
  const ping = async (ns: string, addr: string): Promise<boolean> =>
    (await exec(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', '-q', addr])).code === 0;

  before(async () => {
    top = mkdtempSync(join(tmpdir(), 'fnt-cni-'));
    chmodSync(top, 0o755);
    const lan = `${prefix}-lan`;
    await exec(['ip', 'netns', 'add', lan]);
    await nsRun(lan, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await nsRun(lan, ['ip', 'link', 'set', 'br0', 'up']);
    for (const n of NODES) {
      const ns = `${prefix}-${n.name}`;
      await exec(['ip', 'netns', 'add', ns]);
      await nsRun(ns, ['ip', 'link', 'set', 'lo', 'up']);
      await nsRun(lan, ['ip', 'link', 'add', `p-${n.name}`, 'type', 'veth', 'peer', 'name', 'enp3s0', 'netns', ns]);
      await nsRun(lan, ['ip', 'link', 'set', `p-${n.name}`, 'master', 'br0', 'up']);
      await nsRun(ns, ['ip', 'addr', 'add', n.host, 'dev', 'enp3s0']);
      await nsRun(ns, ['ip', 'link', 'set', 'enp3s0', 'up']);
      const dir = join(top, n.name);
      mkdirSync(join(dir, 'flatnet.d'), { recursive: true });
      chmodSync(dir, 0o755);
      writeFileSync(join(dir, 'flatnet.d', '10-flat.conf'), dropIn(n));
      const bus = await startDemoBus(dir);
      const daemon = startDaemon({ netns: ns, configDirs: [join(dir, 'flatnet.d')], extraArgs: [], env: bus.env });
      nodes.push({ name: n.name, ns, shim: n.shim, range: n.range, dir, bus, daemon, conf: { cniVersion: '', name: '', plugins: [] }, pods: [] });
      const node = nodes[nodes.length - 1];
      assert.ok(node !== undefined);
      await daemon.waitForLog(/on the system bus as org\.flatnet\.flatnet1/);
      await waitUntil(`${n.name}: ${NET} configured`, async () =>
        (JSON.parse(await flatnetctl(bus, ['status', NET, '--json'])) as { State?: string }).State === 'configured');
      node.conf = JSON.parse(await flatnetctl(bus, ['cni-config', NET])) as Conflist;
    }
  });

  after(async () => {
    for (const n of nodes) {
      await n.daemon.stop();
      n.bus.stop();
    }
    await destroyNamespaces(`${prefix}-`);
    if (top !== undefined) rmSync(top, { recursive: true, force: true });
  });

  test('each node\'s cni-config: macvlan on its parent, host-local over its own range without its shim\'s address', () => {
    for (const n of nodes) {
      const p = n.conf.plugins[0];
      assert.equal(p?.type, 'macvlan');
      assert.equal(p?.master, 'enp3s0');
      assert.equal(p?.ipam.type, 'host-local');
    }
  });

  test('ADD until the range runs out: every pod inside the node\'s range, none ever on the shim\'s address', async () => {
    for (const n of nodes) {
      const before = await nodeLinks(n);
      for (let i = 1; ; i++) {
        const pod = { ns: `${prefix}-${n.name}-p${i}`, id: `${n.name}-pod${i}` };
        await exec(['ip', 'netns', 'add', pod.ns]);
        await nsRun(pod.ns, ['ip', 'link', 'set', 'lo', 'up']);
        const r = await cni(n, 'ADD', pod);
        if (r.code !== 0) {
          // host-local's refusal once the range is used up, not some other failure.
          assert.match(r.out + r.err, /no IP addresses available in range set/, `${n.name} ADD ${i}`);
          await exec(['ip', 'netns', 'del', pod.ns]);
          break;
        }
        const result = JSON.parse(r.out) as CniResult;
        const address = result.ips?.[0]?.address ?? '';
        n.pods.push({ ...pod, address: address.split('/')[0] ?? '', result });
        assert.ok(i <= 8, `${n.name}: more pods than the range holds`);
      }
      const addrs = n.pods.map((p) => p.address).sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
      const base = Number(n.range.split('/')[0]?.split('.')[3]);
      // A /29 is 8 addresses; the shim has the first, the pods the other 7, all of them.
      assert.deepEqual(addrs, Array.from({ length: 7 }, (_, k) => `192.168.88.${base + 1 + k}`), n.name);
      assert.ok(!addrs.includes(n.shim));
      assert.deepEqual(await nodeLinks(n), before, `${n.name}: the plugin left no link behind on the node`);
    }
  });

  test('each node reaches its own pods through the shim flatnetd keeps', async () => {
    for (const n of nodes) {
      const route = await nsRun(n.ns, ['ip', 'route', 'get', n.pods[0]?.address ?? '']);
      assert.match(route, /dev shim-flat/, `${n.name}: the way to its pods is the shim`);
      for (const p of n.pods) assert.ok(await ping(n.ns, p.address), `${n.name} → ${p.address}`);
    }
  });

  test('pods reach the other node\'s pods, and the other node, across the switch', async () => {
    const [a, b] = nodes;
    assert.ok(a !== undefined && b !== undefined);
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const src = from.pods[0];
      assert.ok(src !== undefined);
      for (const p of to.pods) assert.ok(await ping(src.ns, p.address), `${src.address} → ${p.address}`);
      assert.ok(await ping(src.ns, to.shim), `${src.address} → ${to.name}'s shim ${to.shim}`);
    }
  });

  test('CHECK passes for every pod', async () => {
    for (const n of nodes) {
      for (const p of n.pods) {
        const r = await cni(n, 'CHECK', p, { cniVersion: n.conf.cniVersion, ...p.result } as CniResult);
        assert.equal(r.code, 0, `${p.id}: ${r.out}${r.err}`);
      }
    }
  });

  test('DEL leaves nothing behind: no interface in the pod, no lease, the node as it was', async () => {
    for (const n of nodes) {
      const before = await nodeLinks(n);
      for (const p of n.pods) {
        const r = await cni(n, 'DEL', p, { cniVersion: n.conf.cniVersion, ...p.result } as CniResult);
        assert.equal(r.code, 0, `${p.id}: ${r.out}${r.err}`);
        const links = (JSON.parse(await nsRun(p.ns, ['ip', '-json', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
        assert.deepEqual(links, ['lo'], p.id);
      }
      // host-local keeps one file per lease, named by the address; only its bookkeeping may stay.
      const left = readdirSync(join(n.dir, 'ipam', NET)).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip'));
      assert.deepEqual(left, [], `${n.name}: leases left`);
      assert.deepEqual(await nodeLinks(n), before);
      assert.equal((JSON.parse(await flatnetctl(n.bus, ['status', NET, '--json'])) as { State?: string }).State, 'configured');
    }
  });
});
