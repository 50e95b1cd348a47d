// The validated contents of one drop-in: what the user asked for, with the
// place each value came from so later checks (against the kernel) can still
// say `path:line: Key=value: …`.

import type { Place } from '../errors.js';
import type { Driver, DriverMode } from '../kinds/registry.js';
import type { IpvlanFlag } from '../kinds/ipvlan.js';

// Drivers, their modes and flags are declared by their kinds (src/kinds/).
export type { Driver, DriverMode } from '../kinds/registry.js';
export type { IpvlanFlag, IpvlanMode } from '../kinds/ipvlan.js';
export type { MacvlanMode } from '../kinds/macvlan.js';

/** A CIDR prefix in canonical text, e.g. `192.168.88.192/27`, `fd00:88::/64`. */
export type Cidr = string;

export interface ShimConfig {
  /** Interface name, ≤ 15 bytes. */
  name: string;
  /** Interface addresses with prefix length (`192.168.88.192/32` when written without one). */
  addresses: Cidr[];
  /** Destination prefixes routed through the shim; defaults to the network's IPRange= list. */
  routes: Cidr[];
  /** `Route=` was written explicitly (so defaults do not apply). */
  routesExplicit: boolean;
  /** Fixed MAC, or null for the stable one derived from machine-id + network name. */
  mac: string | null;
  /** IPv6AcceptRA=yes: the shim takes router advertisements (SLAAC address, default route). Absent = no. */
  acceptRA?: boolean;
}

export interface NetworkConfig {
  /** Network name: the file's stem unless Name= says otherwise. */
  name: string;
  /** The drop-in this network came from. */
  file: string;
  /** The interface the network hangs off (before any VLAN); null = internal network on a dummy parent. */
  parent: string | null;
  /** 802.1Q id; when set the effective parent is `<parent>.<vlan>`. */
  vlan: number | null;
  driver: Driver;
  mode: DriverMode;
  ipvlanFlag: IpvlanFlag | null;
  /** Empty = follow the parent's current prefix(es). */
  subnets: Cidr[];
  gateways: string[];
  ipRanges: Cidr[];
  mtu: number | null;
  promiscuous: boolean | null;
  shim: ShimConfig | null;
  /** [Engine]: what flatnetd does on the container engine's side; absent = the defaults (see engineKeys). */
  engine?: EngineKeys;
  /** Where each key was set, by `Section.Key` (e.g. `Network.MTU`, `Shim.Address`), for errors found later. */
  where: Record<string, Place>;
}

export interface EngineKeys {
  /** Reconnect the containers whose interfaces died with a re-made parent (default yes). */
  reattach: boolean;
  /** Create the engine network when it is missing (default no). */
  create: boolean;
}

export function engineKeys(n: Pick<NetworkConfig, 'engine'>): EngineKeys {
  return n.engine ?? { reattach: true, create: false };
}

/** Name of the link that serves as the network's parent: `enp3s0.200`, `enp3s0`, or the dummy's name. */
export function effectiveParentName(n: Pick<NetworkConfig, 'parent' | 'vlan' | 'name'>): string {
  if (n.parent === null) return dummyParentName(n.name);
  return n.vlan === null ? n.parent : `${n.parent}.${n.vlan}`;
}

/** Internal networks hang off a dummy link of our own: `dummy-<name>` cut to 15 bytes. */
export function dummyParentName(network: string): string {
  return `dummy-${network}`.slice(0, 15);
}

/** Default shim name when [Shim] has no Name=: `shim-<name>` cut to 15 bytes. */
export function defaultShimName(network: string): string {
  return `shim-${network}`.slice(0, 15);
}
