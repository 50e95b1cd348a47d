// NetworkConfig values for the daemon's unit tests, written by hand as the
// parser would produce them from the examples.

import type { NetworkConfig } from '../../../src/model/config.js';

export function seed000(over: Partial<NetworkConfig> = {}): NetworkConfig {
  return {
    name: 'lan',
    file: '/etc/flatnet.d/10-lan.conf',
    parent: 'enp3s0',
    vlan: null,
    driver: 'macvlan',
    mode: 'bridge',
    ipvlanFlag: null,
    subnets: ['192.168.88.0/24'],
    gateways: ['192.168.88.1'],
    ipRanges: ['192.168.88.192/27'],
    mtu: null,
    promiscuous: null,
    shim: { name: 'docker-link', addresses: ['192.168.88.192/32'], routes: ['192.168.88.192/27'], routesExplicit: false, mac: null },
    where: {},
    ...over,
  };
}
