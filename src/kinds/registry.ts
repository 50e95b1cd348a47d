// One row per link kind we create. A new kind is one file and one row here.

import type { DesiredKind, DesiredLink } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';
import type { NameOf } from './common.js';
import { dummy } from './dummy.js';
import { ipvlan } from './ipvlan.js';
import { macvlan } from './macvlan.js';
import { vlan } from './vlan.js';

export type { NameOf } from './common.js';

export interface LinkKind {
  kind: DesiredKind;
  /** iproute2 words after `ip link add NAME [link PARENT]`: e.g. `['type', 'macvlan', 'mode', 'bridge']`. */
  createArgs(link: DesiredLink): string[];
  /** Why the observed link cannot be made right in place (kind, parent, VLAN id, mode, flag); null if it can.
   *  `parentIndex` is the ifindex of the wanted parent (null when it does not exist);
   *  `nameOf`, when given, names the observed parent in the reason (`parent is eth1, want enp3s0`). */
  recreateReason(want: DesiredLink, have: ObservedLink, parentIndex: number | null, nameOf?: NameOf): string | null;
  /** Whether a link of this kind carries a MAC of its own that flatnetd may set
   *  (macvlan, except passthru); the others inherit the parent's. */
  ownMac(link: DesiredLink): boolean;
}

const KINDS: Readonly<Record<DesiredKind, LinkKind>> = { vlan, macvlan, ipvlan, dummy };

export function linkKind(kind: DesiredKind): LinkKind {
  return KINDS[kind];
}
