import { LAN } from './lab.js';

// The flat LAN as a drop-in (network "lan", shim docker-link on
// enp3s0), shared by the tests that drive the daemon on it.
export const LAN_DROPIN = `[Network]
Name=lan
Parent=enp3s0
Subnet=192.168.88.0/24
Gateway=192.168.88.1
IPRange=192.168.88.192/27
[Shim]
Name=docker-link
Address=192.168.88.192/32
`;

/** The VM tier's lan200 (VLAN 200 on lan0, shim .192 inside the range), matching the engine fixtures recorded there. */
export const LAN200_DROPIN = `[Network]
Name=lan200
Parent=lan0
VLAN=200
Subnet=192.168.200.0/24
Gateway=192.168.200.1
IPRange=192.168.200.192/27

[Shim]
Name=lan200-shim
Address=192.168.200.192/32
`;

/**
 * The README's drop-in on the lab's LAN (shim docker-link on enp3s0): `name`
 * becomes Name= (left out, the file's name names the network), `address` the
 * shim's Address= (default the lab's shim address, as the README writes it).
 */
export function readmeDropIn(o: { name?: string; address?: string } = {}): string {
  return `[Network]
${o.name !== undefined ? `Name=${o.name}\n` : ''}Parent=enp3s0
Subnet=${LAN.subnet}
Gateway=${LAN.gateway}
IPRange=${LAN.range}

[Shim]
Name=docker-link
Address=${o.address ?? LAN.shim}
`;
}
