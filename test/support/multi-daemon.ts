// A multi-network host for the fault tests: the README's NAS with three NICs
// and two sets of drop-ins (A, and B: one network edited in place, one gone,
// one new), with what each must look like in the kernel.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNic, createLab, exec, view, type Lab, type WantShim } from './reliability-rig.js';

export const NICS = ['enp3s0', 'enp4s0', 'enp5s0'] as const;

export interface Net { file: string; text: string; want: WantShim }

const net = (file: string, network: string, parent: string, shim: string, lines: string[], addrs: string[], routes: string[], extra: Partial<WantShim> = {}): Net => ({
  file,
  text: ['[Network]', `Name=${network}`, `Parent=${parent}`, ...lines.filter((l) => !l.startsWith('Address=')), '', '[Shim]', `Name=${shim}`,
    ...lines.filter((l) => l.startsWith('Address=')), ''].join('\n'),
  want: { network, name: shim, parent, addrs, routes, ...extra },
});

export const CONFIG_A: Net[] = [
  net('10-lan.conf', 'lan', 'enp3s0', 'docker-link',
    ['Subnet=192.168.88.0/24', 'Gateway=192.168.88.1', 'IPRange=192.168.88.192/27', 'Address=192.168.88.192/32'],
    ['192.168.88.192/32'], ['192.168.88.192/27']),
  net('20-iot.conf', 'iot', 'enp4s0', 'iot-link',
    ['Subnet=10.20.0.0/24', 'Subnet=fd20::/64', 'IPRange=10.20.0.128/25', 'IPRange=fd20::c0:0/112', 'Address=10.20.0.2/32', 'Address=fd20::2/128'],
    ['10.20.0.2/32', 'fd20::2/128'], ['10.20.0.128/25', 'fd20::c0:0/112']),
  net('30-dmz.conf', 'dmz', 'enp5s0', 'dmz-link',
    ['Subnet=10.30.0.0/24', 'IPRange=10.30.0.64/26', 'Address=10.30.0.2/24'],
    ['10.30.0.2/24'], ['10.30.0.64/26']),
  net('40-lan2.conf', 'lan2', 'enp3s0', 'lan2-link',
    ['Subnet=192.168.88.0/24', 'IPRange=192.168.88.224/28', 'MTU=1400', 'Address=192.168.88.224/32'],
    ['192.168.88.224/32'], ['192.168.88.224/28'], { mtu: 1400 }),
];

/** A edited: iot's address moves, dmz gets an MTU, lan2 goes, extra comes. */
export const CONFIG_B: Net[] = [
  CONFIG_A[0] as Net,
  net('20-iot.conf', 'iot', 'enp4s0', 'iot-link',
    ['Subnet=10.20.0.0/24', 'Subnet=fd20::/64', 'IPRange=10.20.0.128/25', 'IPRange=fd20::c0:0/112', 'Address=10.20.0.3/32', 'Address=fd20::2/128'],
    ['10.20.0.3/32', 'fd20::2/128'], ['10.20.0.128/25', 'fd20::c0:0/112']),
  net('30-dmz.conf', 'dmz', 'enp5s0', 'dmz-link',
    ['Subnet=10.30.0.0/24', 'IPRange=10.30.0.64/26', 'MTU=1300', 'Address=10.30.0.2/24'],
    ['10.30.0.2/24'], ['10.30.0.64/26'], { mtu: 1300 }),
  net('50-extra.conf', 'extra', 'enp4s0', 'extra-link',
    ['Subnet=10.50.0.0/24', 'IPRange=10.50.0.0/28', 'Address=10.50.0.100/32', 'Address=10.50.0.101/32'],
    ['10.50.0.100/32', '10.50.0.101/32'], ['10.50.0.0/28']),
];

/** `config` with every shim renamed (`docker-link` → `docker-link2`): issue 12's rename, for every network at once. */
export function renamedShims(config: readonly Net[], suffix = '2'): Net[] {
  return config.map((n) => ({
    file: n.file,
    text: n.text.replace(`[Shim]\nName=${n.want.name}\n`, `[Shim]\nName=${n.want.name}${suffix}\n`),
    want: { ...n.want, name: `${n.want.name}${suffix}` },
  }));
}

export interface MultiHost {
  lab: Lab;
  dir: string;
  write(config: readonly Net[]): void;
  /** Delete every link flatnetd owns in the NAS (its routes and addresses go with them). */
  wipe(): Promise<void>;
  destroy(): Promise<void>;
}

export async function multiHost(prefixName: string): Promise<MultiHost> {
  const lab = await createLab(prefixName, 1);
  const dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
  try {
    await addNic(lab, 'enp4s0', 'p-nas4');
    await addNic(lab, 'enp5s0', 'p-nas5');
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return {
    lab, dir,
    write(config) {
      for (const f of readdirSync(dir)) rmSync(join(dir, f));
      for (const n of config) writeFileSync(join(dir, n.file), n.text);
    },
    async wipe() {
      const v = await view(lab.nas);
      for (const l of v.links) if ((l.ifalias ?? '').startsWith('flatnet:')) await exec(['ip', '-n', lab.nas, 'link', 'del', l.ifname]);
    },
    async destroy() {
      await lab.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
