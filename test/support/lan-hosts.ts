// Extra hosts on the lab's LAN switch for the LAN tests: a "foreign host" is a
// namespace with a veth into the lab's bridge, an address and a known MAC.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, exec, LAN, nsRun, type Lab } from './lab.js';
import { startDaemon, type DaemonProcess } from './daemon-process.js';
import { startDemoBus, type DemoBus } from './private-bus.js';
import { openNotifySocket, type NotifySocket } from './notify-socket.js';

/** The README's flat LAN as network `10-lan`: shim docker-link with 192.168.88.192 on enp3s0. */
export const README_LAN = `[Network]
Parent=enp3s0
Subnet=${LAN.subnet}
Gateway=${LAN.gateway}
IPRange=${LAN.range}

[Shim]
Name=docker-link
Address=${LAN.shim}
`;

export interface ForeignHost { ns: string; dev: string; mac: string; leave(): Promise<void> }

/** A host on the LAN holding `cidr` with MAC `mac`; its namespace carries the lab's prefix, so destroy() removes it too. */
export async function foreignHost(lab: Lab, name: string, cidr: string, mac: string): Promise<ForeignHost> {
  const ns = `${lab.prefix}-${name}`;
  await exec(['ip', 'netns', 'del', ns]);
  await exec(['ip', 'netns', 'add', ns]);
  await nsRun(ns, ['ip', 'link', 'set', 'lo', 'up']);
  const port = `p-${name}`.slice(0, 15);
  await nsRun(lab.lan, ['ip', 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await nsRun(lab.lan, ['ip', 'link', 'set', port, 'master', 'br0', 'up']);
  await nsRun(ns, ['ip', 'link', 'set', 'eth0', 'address', mac, 'up']);
  await nsRun(ns, ['ip', 'addr', 'add', cidr, 'dev', 'eth0']);
  return { ns, dev: 'eth0', mac, leave: async () => { await exec(['ip', 'netns', 'del', ns]); } };
}

/** IPv4 addresses on a link in a namespace, `a.b.c.d/len`. */
export async function addrs4(ns: string, dev: string): Promise<string[]> {
  const r = await exec(['ip', '-n', ns, '-json', 'addr', 'show', 'dev', dev]);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  const a = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number; family: string }[] }[];
  return a.flatMap((x) => x.addr_info.filter((i) => i.family === 'inet').map((i) => `${i.local}/${i.prefixlen}`));
}

/** A lab with `10-lan.conf` in a drop-in directory the private bus's policy may read, that bus, a notify socket, and the daemon once start() is called. */
export interface BusLab { lab: Lab; bus: DemoBus; notify: NotifySocket; daemon: DaemonProcess | undefined; start(): DaemonProcess; destroy(): Promise<void> }

export async function busLab(tag: string, clients: number, conf = README_LAN): Promise<BusLab> {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-lan-'));
  chmodSync(dir, 0o755);
  const dropins = join(dir, 'd');
  mkdirSync(dropins);
  writeFileSync(join(dropins, '10-lan.conf'), conf);
  const parts: { lab?: Lab; bus?: DemoBus; notify?: NotifySocket; daemon?: DaemonProcess } = {};
  const destroy = async (): Promise<void> => {
    await parts.daemon?.stop('SIGKILL');
    parts.bus?.stop();
    parts.notify?.close();
    await parts.lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const lab = parts.lab = await createLab(`fnt-${process.pid}-${tag}`, clients);
    const bus = parts.bus = await startDemoBus(dir);
    const notify = parts.notify = await openNotifySocket();
    return {
      lab, bus, notify, destroy,
      get daemon() { return parts.daemon; },
      start: () => (parts.daemon = startDaemon({ netns: lab.nas, configDirs: [dropins], notifySocket: notify.path, extraArgs: [], env: bus.env })),
    };
  } catch (e) {
    await destroy(); // nothing of a half-made lab is left behind
    throw e;
  }
}
