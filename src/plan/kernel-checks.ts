// Checks that need the kernel as it is now, part of every planning round
// (plan/round.ts: a parent's MTU or the NIC behind a name can change at any
// time), so the kernel never sees a value it would refuse and a dry run
// refuses what the loop refuses.

import type { Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import type { ObservedLink } from '../model/observed.js';
import { placeOf } from '../config/place.js';
import { canonical } from './cidr.js';
import { memo } from './memo.js';

/** An address the host has on the network's parent (or its VLAN link), as observed. */
export interface HostAddress {
  link: string;
  /** `192.168.88.9/24` */
  cidr: string;
}

/** `FD00::1/64` → `fd00::1`, remembered: every round asks about every shim
 *  address and the parent's addresses again, once per network on that parent. */
const ips = new Map<string, string>();
const ipOf = (cidr: string): string => memo(ips, cidr, ipUncached);

function ipUncached(cidr: string): string {
  const c = canonical(cidr);
  const slash = c.indexOf('/');
  return slash < 0 ? c : c.slice(0, slash);
}

/**
 * @param parent the observed link named by Parent= (the lower device, before any VLAN); undefined when absent
 * @param hostAddresses the host's own addresses on the parent and on its VLAN link
 */
export function checkAgainstKernel(net: NetworkConfig, parent: ObservedLink | undefined, hostAddresses: readonly HostAddress[] = []): Diagnostic[] {
  if (parent === undefined || net.parent === null) return [];
  const out: Diagnostic[] = [];
  // The kernel takes a shim address that is the host's own: then the host's
  // IP answers ARP from two MACs (the shim's and the NIC's) and the LAN flaps
  // between them. Only the kernel knows the host's address, so only here.
  for (const a of hostAddresses.length === 0 ? [] : net.shim?.addresses ?? []) {
    const ip = ipOf(a);
    const own = hostAddresses.find((h) => ipOf(h.cidr) === ip);
    if (own === undefined) continue;
    out.push({
      severity: 'error', code: 'conflict', network: net.name,
      ...placeOf(net, 'Shim.Address', 'Address', a),
      message: `${ip} is ${own.link}'s own address (${own.cidr}); a shim needs an address of its own, or the host's IP answers from two MACs`,
    });
  }
  if (net.mtu !== null && net.mtu > parent.mtu) {
    out.push({
      severity: 'error', code: 'invalid-value', network: net.name,
      ...placeOf(net, 'Network.MTU', 'MTU', String(net.mtu)),
      message: `above the MTU of the parent ${parent.name} (${parent.mtu})`,
    });
  }
  // The kernel hangs a macvlan/ipvlan made on a macvlan/ipvlan on that link's
  // own lower device; the planner then saw the "wrong" parent and made the shim
  // again on every reconcile (found by test/reliability/kernel-reject).
  if (net.vlan === null && (parent.kind === 'macvlan' || parent.kind === 'ipvlan')) {
    out.push({
      severity: 'error', code: 'unsupported', network: net.name,
      ...placeOf(net, 'Network.Parent', 'Parent', net.parent),
      message: `${parent.name} is itself a ${parent.kind} link, which cannot be a parent; use the interface it sits on`,
    });
  }
  // A macvlan cannot come up with its lower device's MAC (EADDRINUSE); a VLAN
  // link has its parent's MAC, so the same holds on top of one.
  const mac = net.shim?.mac ?? null;
  if (mac !== null && net.driver === 'macvlan' && net.mode !== 'passthru' && mac.toLowerCase() === parent.mac.toLowerCase()) {
    out.push({
      severity: 'error', code: 'invalid-value', network: net.name,
      ...placeOf(net, 'Shim.MACAddress', 'MACAddress', mac),
      message: `the MAC address of ${parent.name} itself; a shim needs a MAC of its own (leave MACAddress= out for a stable one)`,
    });
  }
  // macvlan, ipvlan and 802.1Q need an Ethernet lower device; the loopback
  // (the only link a dump shows with an all-zero MAC and no kind) is not one,
  // and the kernel would answer a bare "Invalid argument".
  if (parent.kind === null && parent.mac === '00:00:00:00:00:00') {
    out.push({
      severity: 'error', code: 'unsupported', network: net.name,
      ...placeOf(net, 'Network.Parent', 'Parent', net.parent),
      message: `${parent.name} is not an Ethernet device (a loopback); macvlan, ipvlan and VLANs need one`,
    });
  }
  // 802.11 (outside 4-address/WDS mode) accepts only the station's own MAC,
  // so macvlan children with MACs of their own never get a frame back.
  if (parent.wireless && net.driver === 'macvlan') {
    out.push({
      severity: 'error', code: 'unsupported', network: net.name,
      ...placeOf(net, 'Network.Parent', 'Parent', net.parent),
      message: `${parent.name} is a Wi-Fi interface: 802.11 drops frames from extra MACs; use Driver=ipvlan`,
    });
  }
  return out;
}
