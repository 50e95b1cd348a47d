// 802.1Q sub-interface (`enp3s0.200`): the parent a network with VLAN= hangs
// off. The kernel cannot change a VLAN id in place, so a wrong id means
// re-creating it. Its MAC follows the parent's.

import { byteLength, IFNAMSIZ_MAX, uintParser } from '../config/key-spec.js';
import type { LinkCommon } from '../model/desired.js';
import { infoNum, kindOrParentReason, withKind } from './common.js';
import type { ParentKind } from './kind.js';

export interface DesiredVlan extends LinkCommon {
  kind: 'vlan';
  parent: string;
  vlanId: number;
}

export const vlan: ParentKind<DesiredVlan> = {
  kind: 'vlan',
  role: 'parent',
  keys: [{ section: 'Network', key: 'VLAN', list: false, parse: uintParser(1, 4094) }],
  checkFile(d) {
    const id = d.num('Network.VLAN');
    if (id === null) return;
    const parent = d.str('Network.Parent');
    if (parent === null && !d.failed('Network.Parent')) d.report('error', 'missing-key', d.at('Network.VLAN'), 'needs Parent=, the interface to tag');
    if (parent !== null && byteLength(`${parent}.${id}`) > IFNAMSIZ_MAX) {
      d.report('error', 'invalid-value', d.at('Network.VLAN'),
        `the VLAN link name "${parent}.${id}" is longer than ${IFNAMSIZ_MAX} bytes; use a shorter Parent=`);
    }
  },
  claim: (n) => (n.parent !== null && n.vlan !== null
    ? { name: `${n.parent}.${n.vlan}`, text: 'VLAN parent', id: 'Network.VLAN', exclusive: false }
    : null),
  conflicts(n, m, ep) {
    // One VLAN link, one MTU: two drop-ins asking for two cannot both be met.
    if (n.vlan === null || m.vlan === null || n.mtu === null || m.mtu === null || n.mtu === m.mtu) return [];
    return [{ id: 'Network.MTU', message: `${m.file} sets MTU=${m.mtu} on the same VLAN link ${ep}` }];
  },
  conflictProfile: (m) => (m.vlan === null || m.mtu === null ? '' : String(m.mtu)),
  desired: (n, base) => (n.vlan === null || base.parent === null ? null : withKind(base, { kind: 'vlan', parent: base.parent, vlanId: n.vlan })),
  createArgs: (link) => ['type', 'vlan', 'id', String(link.vlanId)],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    if (have.vlanId !== want.vlanId) return `VLAN id ${have.vlanId ?? 'none'}, want ${want.vlanId}`;
    return null;
  },
  // Inherits the parent's MAC; a different one would need the parent in
  // promiscuous mode for no gain.
  ownMac: () => false,
  describe: (link) => `vlan ${link.vlanId} on ${link.parent}`,
  attrs: (link) => ({ vlanId: link.vlanId, mode: null, ipvlanFlag: null }),
  readback: { infoKinds: ['vlan'], read: (data) => ({ vlanId: infoNum(data, 'id'), mode: null, ipvlanFlag: null }) },
};
