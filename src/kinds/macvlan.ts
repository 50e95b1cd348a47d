// macvlan: a child with a MAC of its own on the parent. Mode changes are
// re-creations: iproute2 can send IFLA_MACVLAN_MODE on `ip link set … type
// macvlan`, but older kernels ignore it, so the only reliable way is new.

import type { LinkCommon } from '../model/desired.js';
import { infoStr, kindOrParentReason, oneOf, withKind } from './common.js';
import type { ShimKind } from './kind.js';

export const MACVLAN_MODES = ['bridge', 'vepa', 'private', 'passthru'] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];
/** What flatnetd asks for when Mode= is absent (Docker's default too). */
export const MACVLAN_DEFAULT_MODE: MacvlanMode = 'bridge';
/** What the kernel makes when no mode is given (a hand-made shim's bare `type macvlan`). */
const KERNEL_DEFAULT_MODE = 'vepa';

export interface DesiredMacvlan extends LinkCommon {
  kind: 'macvlan';
  parent: string;
  mode: MacvlanMode;
}

export const macvlan: ShimKind<DesiredMacvlan> = {
  kind: 'macvlan',
  role: 'shim',
  keys: [],
  modes: MACVLAN_MODES,
  defaultMode: MACVLAN_DEFAULT_MODE,
  checkShim(d) {
    if ((d.str('Network.Mode') ?? MACVLAN_DEFAULT_MODE) !== 'passthru') return;
    d.report('warning', 'invalid-value', d.at('Network.Mode'),
      'passthru allows one child per parent and the shim is it: no container can share this parent');
  },
  conflicts(n, m, ep) {
    if (n.mode !== 'passthru' && m.mode !== 'passthru') return [];
    return [n.mode === 'passthru'
      ? { id: 'Network.Mode', key: 'Mode', value: n.mode, message: `passthru needs ${ep} to itself, but ${m.file} also uses it` }
      : { id: 'Network.Parent', message: `${m.file} uses ${ep} in passthru mode, which allows no other child` }];
  },
  conflictProfile: (m) => (m.mode === 'passthru' ? 'passthru' : ''),
  desired: (n, base) => (n.driver !== 'macvlan' || base.parent === null
    ? null
    : withKind(base, { kind: 'macvlan', parent: base.parent, mode: oneOf(MACVLAN_MODES, n.mode, MACVLAN_DEFAULT_MODE) })),
  createArgs: (link) => ['type', 'macvlan', 'mode', link.mode],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    const haveMode = have.mode ?? KERNEL_DEFAULT_MODE;
    return haveMode === want.mode ? null : `mode is ${haveMode}, want ${want.mode}`;
  },
  // In passthru mode the one child takes over the parent's MAC, and setting
  // the child's MAC rewrites the parent's (a NIC we do not own).
  ownMac: (link) => link.mode !== 'passthru',
  describe: (link) => `macvlan ${link.mode} on ${link.parent}`,
  attrs: (link) => ({ vlanId: null, mode: link.mode, ipvlanFlag: null }),
  readback: { infoKinds: ['macvlan', 'macvtap'], read: (data) => ({ vlanId: null, mode: infoStr(data, 'mode'), ipvlanFlag: null }) },
  engine: {
    docker: (n) => [`macvlan_mode=${n.mode}`],
    podman: (n) => [`mode=${n.mode}`],
    cni: (n) => ({ mode: n.mode }),
    drift(n, options) {
      // Docker's default when the option is absent; Podman's compat inspect calls it `mode`.
      const mode = options['macvlan_mode'] ?? options['mode'] ?? MACVLAN_DEFAULT_MODE;
      return mode === n.mode ? [] : [{ id: 'Network.Mode', message: `has macvlan_mode=${mode}, the drop-in ${n.mode}` }];
    },
  },
};
