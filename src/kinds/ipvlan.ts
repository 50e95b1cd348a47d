// ipvlan: children share the parent's MAC (the fix for 802.11 parents, which
// drop frames from MACs they did not associate). Mode and flag are fixed at
// creation as far as flatnetd is concerned.

import { enumParser } from '../config/key-spec.js';
import type { LinkCommon } from '../model/desired.js';
import { infoStr, kindOrParentReason, oneOf, withKind } from './common.js';
import type { ShimKind } from './kind.js';

export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export type IpvlanMode = (typeof IPVLAN_MODES)[number];
export const IPVLAN_FLAGS = ['bridge', 'private', 'vepa'] as const;
export type IpvlanFlag = (typeof IPVLAN_FLAGS)[number];
export const IPVLAN_DEFAULT_MODE: IpvlanMode = 'l2';
/** The kernel's flag when none is given. */
export const IPVLAN_DEFAULT_FLAG: IpvlanFlag = 'bridge';

export interface DesiredIpvlan extends LinkCommon {
  kind: 'ipvlan';
  parent: string;
  mode: IpvlanMode;
  /** null = not given: the kernel's default (bridge). */
  ipvlanFlag: IpvlanFlag | null;
}

function flagOf(data: Readonly<Record<string, unknown>> | null): string | null {
  if (data === null) return null;
  for (const f of ['private', 'vepa', 'bridge']) if (data[f] === true) return f;
  return null;
}

export const ipvlan: ShimKind<DesiredIpvlan> = {
  kind: 'ipvlan',
  role: 'shim',
  keys: [{ section: 'Network', key: 'IPVlanFlag', list: false, parse: enumParser(IPVLAN_FLAGS) }],
  modes: IPVLAN_MODES,
  defaultMode: IPVLAN_DEFAULT_MODE,
  checkShim(d, driverKnown) {
    if (d.str('Shim.MACAddress') === null || !driverKnown) return;
    d.report('error', 'invalid-value', d.at('Shim.MACAddress'), "ipvlan links share their parent's MAC; MACAddress= needs Driver=macvlan");
  },
  conflicts(n, m, ep) {
    if (n.mode === m.mode) return [];
    return [{
      id: 'Network.Mode', key: 'Mode', value: n.mode,
      message: `${m.file} already uses ipvlan mode ${m.mode} on ${ep} and the kernel keeps one ipvlan mode per parent`,
    }];
  },
  conflictProfile: (m) => m.mode,
  desired: (n, base) => (n.driver !== 'ipvlan' || base.parent === null
    ? null
    : withKind(base, { kind: 'ipvlan', parent: base.parent, mode: oneOf(IPVLAN_MODES, n.mode, IPVLAN_DEFAULT_MODE), ipvlanFlag: n.ipvlanFlag })),
  createArgs: (link) => ['type', 'ipvlan', 'mode', link.mode, ...(link.ipvlanFlag !== null ? [link.ipvlanFlag] : [])],
  recreateReason(want, have, parentIndex, nameOf) {
    const r = kindOrParentReason(want, have, parentIndex, nameOf);
    if (r !== null) return r;
    const haveMode = have.mode ?? IPVLAN_DEFAULT_MODE;
    if (haveMode !== want.mode) return `mode is ${haveMode}, want ${want.mode}`;
    const wantFlag = want.ipvlanFlag ?? IPVLAN_DEFAULT_FLAG;
    const haveFlag = have.ipvlanFlag ?? IPVLAN_DEFAULT_FLAG;
    return haveFlag === wantFlag ? null : `flag is ${haveFlag}, want ${wantFlag}`;
  },
  // Every ipvlan child uses the parent's MAC; the kernel has no per-child one.
  ownMac: () => false,
  describe: (link) => `ipvlan ${link.mode} on ${link.parent}`,
  attrs: (link) => ({ vlanId: null, mode: link.mode, ipvlanFlag: link.ipvlanFlag }),
  readback: { infoKinds: ['ipvlan', 'ipvtap'], read: (data) => ({ vlanId: null, mode: infoStr(data, 'mode'), ipvlanFlag: flagOf(data) }) },
  engine: {
    docker: (n) => [`ipvlan_mode=${n.mode}`, ...(n.ipvlanFlag !== null ? [`ipvlan_flag=${n.ipvlanFlag}`] : [])],
    podman: (n) => ({
      refuse: 'Podman\'s netavark backend (1.4, Debian 12) has no ipvlan driver; use Driver=macvlan for a Podman network, or Docker',
      code: 'unsupported', id: 'Network.Driver', key: 'Driver', value: n.driver,
    }),
    cni: (n) => (n.ipvlanFlag !== null && n.ipvlanFlag !== 'bridge'
      ? { refuse: 'the CNI ipvlan plugin (1.1.1) has no flag option; it always makes bridge ipvlans', code: 'unsupported', id: 'Network.IPVlanFlag', key: 'IPVlanFlag', value: n.ipvlanFlag }
      : { mode: n.mode }),
    drift(n, options) {
      // Docker's defaults when the options are absent.
      const out: { id: string; message: string }[] = [];
      const mode = options['ipvlan_mode'] ?? IPVLAN_DEFAULT_MODE;
      if (mode !== n.mode) out.push({ id: 'Network.Mode', message: `has ipvlan_mode=${mode}, the drop-in ${n.mode}` });
      const flag = options['ipvlan_flag'] ?? IPVLAN_DEFAULT_FLAG;
      const want = n.ipvlanFlag ?? IPVLAN_DEFAULT_FLAG;
      if (flag !== want) out.push({ id: 'Network.IPVlanFlag', message: `has ipvlan_flag=${flag}, the drop-in ${want}` });
      return out;
    },
  },
};
