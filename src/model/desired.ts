// The state the drop-ins ask for, computed by plan/desired.ts: links with
// their attributes, addresses and routes. Names, never ifindexes: an ifindex is
// an observation.

// A desired link is one variant per kind, each declared in its kind's file
// (kinds/vlan.ts's DesiredVlan…) and gathered by the registry.
import type { DesiredLink } from '../kinds/registry.js';

export type { DesiredKind, DesiredLink } from '../kinds/registry.js';

export interface DesiredRoute {
  /** Destination prefix, canonical CIDR. */
  dst: string;
  family: 4 | 6;
  /** Link name the route points at. */
  dev: string;
  metric: number;
}

/** What every desired link has, whatever its kind. */
export interface LinkCommon {
  name: string;
  kind: string;
  /** Lower link name (vlan/macvlan/ipvlan); null for dummy. */
  parent: string | null;
  /** null = leave as the kernel chooses (inherits the parent's). */
  mtu: number | null;
  /** null = leave the kernel's random one (vlan links inherit the parent's MAC). */
  mac: string | null;
  /** null = do not manage IFF_PROMISC. */
  promisc: boolean | null;
  /** Our ownership mark (`flatnet:a,b`). */
  alias: string;
  /** Networks that need this link; a shared VLAN parent serves several. */
  networks: string[];
  role: 'parent' | 'shim';
  /** Addresses in CIDR form. */
  addresses: string[];
  routes: DesiredRoute[];
}

/** What the kernel should hold after this round: every link flatnetd wants
 *  (with its addresses and routes), and the networks it must not touch. */
export interface Desired {
  links: DesiredLink[];
  /** Networks whose owned links are left exactly as they are (neither fixed
   *  nor deleted): an invalid drop-in with no last good config to hold to, a
   *  value the kernel checks refused. */
  frozen: string[];
}
