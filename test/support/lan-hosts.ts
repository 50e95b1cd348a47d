// Extra hosts on the lab's LAN switch for the LAN tests: a "foreign host" is a
// namespace with a veth into the lab's bridge, an address and a known MAC.

import { exec, LAN, nsRun, type Lab } from './lab.js';

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
