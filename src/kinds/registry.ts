// One row per link kind we create. A new kind is one file and one row here.
// STUB: the planner helper fills this in (src/kinds/{vlan,macvlan,ipvlan,dummy}.ts).

import type { DesiredKind, DesiredLink } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';

export interface LinkKind {
  kind: DesiredKind;
  /** iproute2 words after `ip link add NAME [link PARENT]`: e.g. `['type', 'macvlan', 'mode', 'bridge']`. */
  createArgs(link: DesiredLink): string[];
  /** Why the observed link cannot be made right in place (kind, parent, VLAN id, mode, flag); null if it can. */
  recreateReason(want: DesiredLink, have: ObservedLink, parentIndex: number | null): string | null;
}

export declare function linkKind(kind: DesiredKind): LinkKind;
