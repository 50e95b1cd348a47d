// macvlan: a child with a MAC of its own on the parent. Mode changes are
// re-creations: iproute2 can send IFLA_MACVLAN_MODE on `ip link set … type
// macvlan`, but older kernels ignore it, so the only reliable way is new.

import type { LinkKind } from './registry.js';
import { kindOrParentReason } from './common.js';

/** What flatnetd asks for when Mode= is absent (Docker's default too). */
export const MACVLAN_DEFAULT_MODE = 'bridge';
/** What the kernel makes when no mode is given (a hand-made shim's bare `type macvlan`). */
const KERNEL_DEFAULT_MODE = 'vepa';

export const macvlan: LinkKind = {
  kind: 'macvlan',
  createArgs: (link) => ['type', 'macvlan', 'mode', link.mode ?? MACVLAN_DEFAULT_MODE],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    const wantMode = want.mode ?? MACVLAN_DEFAULT_MODE;
    const haveMode = have.mode ?? KERNEL_DEFAULT_MODE;
    return haveMode === wantMode ? null : `mode is ${haveMode}, want ${wantMode}`;
  },
  // In passthru mode the one child takes over the parent's MAC, and setting
  // the child's MAC rewrites the parent's (a NIC we do not own).
  ownMac: (link) => (link.mode ?? MACVLAN_DEFAULT_MODE) !== 'passthru',
};
