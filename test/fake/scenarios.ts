// NetworkConfig values written by hand, as the drop-in parser would produce
// them, for the example scenarios (the README's flat LAN, one subnet per VLAN,
// ipvlan L3 and an internal network), and a fake host to
// run them on.

import type { NetworkConfig, ShimConfig } from '../../src/model/config.js';
import { FakeKernel } from './fake-kernel.js';

export const MACHINE_ID = 'b08dfa6083e7567a1921a715000001fb';

export function shim(name: string, over: Partial<ShimConfig> = {}): ShimConfig {
  return { name, addresses: [], routes: [], routesExplicit: false, mac: null, ...over };
}

export function network(name: string, over: Partial<NetworkConfig> = {}): NetworkConfig {
  return {
    name,
    file: `/etc/flatnet.d/${name}.conf`,
    parent: 'enp3s0',
    vlan: null,
    driver: 'macvlan',
    mode: 'bridge',
    ipvlanFlag: null,
    subnets: [],
    gateways: [],
    ipRanges: [],
    mtu: null,
    promiscuous: null,
    shim: null,
    where: {},
    ...over,
  };
}

/** The README's flat LAN: shim docker-link with the /27 address of the recipe. */
export const flatLan = (): NetworkConfig => network('lan', {
  subnets: ['192.168.88.0/24'], gateways: ['192.168.88.1'], ipRanges: ['192.168.88.192/27'],
  shim: shim('docker-link', { addresses: ['192.168.88.192/27'] }),
});

/** The README's flat LAN with a /32 host address: the /27 range needs a route of ours. */
export const flatLanHost = (): NetworkConfig => network('lan', {
  subnets: ['192.168.88.0/24'], gateways: ['192.168.88.1'], ipRanges: ['192.168.88.192/27'],
  shim: shim('docker-link', { addresses: ['192.168.88.192/32'], routes: ['192.168.88.192/27'] }),
});

/** The README's drop-in as the parser makes it (10-lan.conf: a /32 shim
 *  address and a route to the containers' range), with changes. */
export const readmeLan = (over: Partial<NetworkConfig> = {}): NetworkConfig =>
  ({ ...flatLanHost(), file: '/etc/flatnet.d/10-lan.conf', ...over });

/** The README's flat LAN's second half: VLAN 200 parent for Docker, no shim. */
export const vlan200 = (): NetworkConfig => network('vlan200', {
  vlan: 200, subnets: ['192.168.200.0/24'], gateways: ['192.168.200.1'], ipRanges: ['192.168.200.0/24'],
});

/** One subnet per VLAN, each with a shim. */
export const vlan10 = (): NetworkConfig => network('v10', {
  vlan: 10, subnets: ['172.22.10.0/24'], ipRanges: ['172.22.10.128/25'],
  shim: shim('shim10', { addresses: ['172.22.10.2/32'] }),
});
export const vlan20 = (): NetworkConfig => network('v20', {
  vlan: 20, subnets: ['172.22.20.0/24'], ipRanges: ['172.22.20.128/25'],
  shim: shim('shim20', { addresses: ['172.22.20.2/32'] }),
});

/** Two networks on the same parent+VLAN: one VLAN link serves both. */
export const shared30a = (): NetworkConfig => network('s30a', {
  vlan: 30, subnets: ['10.30.0.0/24'], ipRanges: ['10.30.0.64/26'], shim: shim('shim30a', { addresses: ['10.30.0.2/32'] }),
});
export const shared30b = (): NetworkConfig => network('s30b', {
  vlan: 30, subnets: ['10.30.1.0/24'], ipRanges: ['10.30.1.64/26'], shim: shim('shim30b', { addresses: ['10.30.1.2/32'] }),
});

/** ipvlan L3 on its own parent. */
export const ipvlanL3 = (): NetworkConfig => network('ipv120', {
  parent: 'eth1', driver: 'ipvlan', mode: 'l3', ipvlanFlag: 'bridge',
  subnets: ['192.168.120.0/24'], ipRanges: ['192.168.120.0/25'],
  shim: shim('ipv-shim', { addresses: ['192.168.120.200/32'] }),
});

/** Dual stack on the LAN parent (the IPv6 notes of the examples). */
export const dualStack = (): NetworkConfig => network('ds', {
  subnets: ['192.168.88.0/24', 'fd00:88::/64'], ipRanges: ['192.168.88.224/28', 'fd00:88::1:0/112'],
  shim: shim('ds-shim', { addresses: ['192.168.88.240/32', 'fd00:88::2/128'] }),
});

/** No parent = internal network on a dummy, MTU 9000. */
export const internal = (): NetworkConfig => network('int242', {
  parent: null, subnets: ['192.168.242.0/24'], ipRanges: ['192.168.242.0/25'], mtu: 9000,
  shim: shim('int-shim', { addresses: ['192.168.242.254/24'] }),
});

/** No Subnet=, no IPRange=, no Route=: follows enp3s0's DHCP prefix. */
export const follow = (): NetworkConfig => network('follow', {
  shim: shim('fol-shim', { addresses: ['192.168.88.250/32'] }),
});

export const ALL_SCENARIOS: ReadonlyArray<() => NetworkConfig> = [
  flatLanHost, vlan200, vlan10, vlan20, shared30a, shared30b, ipvlanL3, dualStack, internal, follow,
];

/** The README's NAS: enp3s0 on DHCP (192.168.88.9/24, routes at metric
 *  1024 as systemd-networkd installs them), a second NIC eth1 with a static address. */
export function host(k: FakeKernel = new FakeKernel()): FakeKernel {
  k.addNic('enp3s0', { mac: 'a8:a1:59:24:d0:61', maxMtu: 9216 });
  k.addAddress('enp3s0', '192.168.88.9/24', { dynamic: true, metric: 1024 });
  k.addRoute({ dst: '0.0.0.0/0', dev: 'enp3s0', gateway: '192.168.88.1', proto: 16, metric: 1024, scope: 'global' });
  k.addNic('eth1', { mac: '00:50:56:39:45:2e', mtu: 9000, maxMtu: 9216 });
  k.addAddress('eth1', '10.1.0.5/24');
  return k;
}
