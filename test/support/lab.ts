// The README's home network, built from namespaces: a `lan` switch (a bridge), a
// `router` with the gateway 192.168.88.1, a `nas` host whose NIC `enp3s0`
// (a veth into the switch) has 192.168.88.9/24, and "containers": macvlan
// children of enp3s0 moved into namespaces of their own, as Docker does.
// Used by the namespace tests and by the demo. Everything it makes has the
// lab's prefix and is deleted by destroy(), which is safe to call twice.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ExecResult { code: number; stdout: string; stderr: string }

export async function exec(argv: string[], input?: string): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty command');
  try {
    const p = run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    if (input !== undefined) p.child.stdin?.end(input);
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message ?? '' };
  }
}

/** `ip netns exec NS …`, throwing with the command's stderr when it fails. */
export async function nsRun(ns: string, argv: string[]): Promise<string> {
  const r = await exec(['ip', 'netns', 'exec', ns, ...argv]);
  if (r.code !== 0) throw new Error(`[${ns}] ${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface LabContainer { name: string; ns: string; address: string }

export interface Lab {
  prefix: string;
  lan: string;
  router: string;
  nas: string;
  containers: LabContainer[];
  /** Run a command in the nas namespace. */
  nasRun(argv: string[]): Promise<string>;
  /** `ip -json …` in a namespace, parsed. */
  ipJson<T = unknown>(ns: string, args: string[]): Promise<T>;
  /** One ping from `ns` to `addr` (1 s deadline); true when answered. */
  ping(ns: string, addr: string): Promise<boolean>;
  /** Delete and re-create the host's NIC (a USB NIC replugged), peer back on the switch. */
  replugNic(): Promise<void>;
  /** Carrier off/on on the host's NIC by downing its peer on the switch side. */
  setCarrier(on: boolean): Promise<void>;
  destroy(): Promise<void>;
}

export const LAN = { subnet: '192.168.88.0/24', gateway: '192.168.88.1', host: '192.168.88.9/24', range: '192.168.88.192/27', shim: '192.168.88.192' };

async function ns(name: string): Promise<void> {
  await exec(['ip', 'netns', 'del', name]);
  const r = await exec(['ip', 'netns', 'add', name]);
  if (r.code !== 0) throw new Error(`ip netns add ${name}: ${r.stderr.trim()}`);
  await nsRun(name, ['ip', 'link', 'set', 'lo', 'up']);
}

/** Namespaces whose names start with `prefix`, e.g. left by a crashed run. */
export async function labNamespaces(prefix: string): Promise<string[]> {
  const r = await exec(['ip', '-json', 'netns', 'list']);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const list = JSON.parse(r.stdout) as { name: string }[];
  return list.map((n) => n.name).filter((n) => n.startsWith(prefix));
}

export async function destroyNamespaces(prefix: string): Promise<void> {
  for (const n of await labNamespaces(prefix)) await exec(['ip', 'netns', 'del', n]);
}

export async function createLab(prefix: string, containerCount = 2): Promise<Lab> {
  const lan = `${prefix}-lan`, router = `${prefix}-router`, nas = `${prefix}-nas`;
  const lab: Lab = {
    prefix, lan, router, nas, containers: [],
    nasRun: (argv) => nsRun(nas, argv),
    async ipJson<T>(n: string, args: string[]): Promise<T> {
      const out = await nsRun(n, ['ip', '-json', ...args]);
      return (out.trim() === '' ? [] : JSON.parse(out)) as T;
    },
    async ping(n, addr) {
      const r = await exec(['ip', 'netns', 'exec', n, 'ping', '-c', '1', '-W', '1', '-q', addr]);
      return r.code === 0;
    },
    async replugNic() {
      await exec(['ip', '-n', lan, 'link', 'del', 'p-nas']);
      await plugNic();
    },
    async setCarrier(on) {
      await nsRun(lan, ['ip', 'link', 'set', 'p-nas', on ? 'up' : 'down']);
    },
    destroy: () => destroyNamespaces(`${prefix}-`),
  };
  const plugNic = async (): Promise<void> => {
    await nsRun(lan, ['ip', 'link', 'add', 'p-nas', 'type', 'veth', 'peer', 'name', 'enp3s0', 'netns', nas]);
    await nsRun(lan, ['ip', 'link', 'set', 'p-nas', 'master', 'br0', 'up']);
    await nsRun(nas, ['ip', 'link', 'set', 'enp3s0', 'address', 'a8:a1:59:24:d0:61', 'up']);
    await nsRun(nas, ['ip', 'addr', 'add', LAN.host, 'dev', 'enp3s0']);
    await nsRun(nas, ['ip', 'route', 'add', 'default', 'via', LAN.gateway]);
  };
  try {
    for (const n of [lan, router, nas]) await ns(n);
    await nsRun(lan, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await nsRun(lan, ['ip', 'link', 'set', 'br0', 'up']);
    await nsRun(lan, ['ip', 'link', 'add', 'p-router', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', router]);
    await nsRun(lan, ['ip', 'link', 'set', 'p-router', 'master', 'br0', 'up']);
    await nsRun(router, ['ip', 'addr', 'add', `${LAN.gateway}/24`, 'dev', 'eth0']);
    await nsRun(router, ['ip', 'link', 'set', 'eth0', 'up']);
    await plugNic();
    for (let i = 1; i <= containerCount; i++) {
      const c: LabContainer = { name: `c${i}`, ns: `${prefix}-c${i}`, address: `192.168.88.${192 + i}` };
      await ns(c.ns);
      // As Docker does: a macvlan child of the parent, moved into the container.
      await nsRun(nas, ['ip', 'link', 'add', `mv-c${i}`, 'link', 'enp3s0', 'type', 'macvlan', 'mode', 'bridge']);
      await nsRun(nas, ['ip', 'link', 'set', `mv-c${i}`, 'netns', c.ns]);
      await nsRun(c.ns, ['ip', 'link', 'set', `mv-c${i}`, 'name', 'eth0']);
      await nsRun(c.ns, ['ip', 'addr', 'add', `${c.address}/24`, 'dev', 'eth0']);
      await nsRun(c.ns, ['ip', 'link', 'set', 'eth0', 'up']);
      await nsRun(c.ns, ['ip', 'route', 'add', 'default', 'via', LAN.gateway]);
      lab.containers.push(c);
    }
    return lab;
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}
