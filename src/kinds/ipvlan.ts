// ipvlan: children share the parent's MAC (the fix for 802.11 parents, which
// drop frames from MACs they did not associate). Mode and flag are fixed at
// creation as far as flatnetd is concerned.

import type { LinkKind } from './registry.js';
import { kindOrParentReason } from './common.js';

export const IPVLAN_DEFAULT_MODE = 'l2';
/** The kernel's flag when none is given. */
export const IPVLAN_DEFAULT_FLAG = 'bridge';

export const ipvlan: LinkKind = {
  kind: 'ipvlan',
  createArgs: (link) => [
    'type', 'ipvlan', 'mode', link.mode ?? IPVLAN_DEFAULT_MODE,
    ...(link.ipvlanFlag !== null ? [link.ipvlanFlag] : []),
  ],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    const wantMode = want.mode ?? IPVLAN_DEFAULT_MODE;
    const haveMode = have.mode ?? IPVLAN_DEFAULT_MODE;
    if (haveMode !== wantMode) return `mode is ${haveMode}, want ${wantMode}`;
    const wantFlag = want.ipvlanFlag ?? IPVLAN_DEFAULT_FLAG;
    const haveFlag = have.ipvlanFlag ?? IPVLAN_DEFAULT_FLAG;
    return haveFlag === wantFlag ? null : `flag is ${haveFlag}, want ${wantFlag}`;
  },
  // Every ipvlan child uses the parent's MAC; the kernel has no per-child one.
  ownMac: () => false,
};
