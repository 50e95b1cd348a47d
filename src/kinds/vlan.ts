// 802.1Q sub-interface (`enp3s0.200`). The kernel cannot change a VLAN id in
// place, so a wrong id means re-creating it. Its MAC follows the parent's.

import type { LinkKind } from './registry.js';
import { kindOrParentReason } from './common.js';

export const vlan: LinkKind = {
  kind: 'vlan',
  createArgs: (link) => ['type', 'vlan', 'id', String(link.vlanId ?? 0)],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    if (have.vlanId !== want.vlanId) return `VLAN id ${have.vlanId ?? 'none'}, want ${want.vlanId ?? 'none'}`;
    return null;
  },
  // Inherits the parent's MAC; a different one would need the parent in
  // promiscuous mode for no gain.
  ownMac: () => false,
};
