// What a link kind declares about itself, networkd-vtable style: the keys it
// adds to a drop-in, the checks on them, the link it wants, how that link is
// made and judged, how the kernel's `ip -d link` reads it back, and (for the
// kinds a network's Driver= names) the options it gives a container engine.
// The generic code (config/, plan/, kernel/parse.ts, docker/, emit/) walks
// the registry and asks these hooks; it names no kind.

import type { ErrorCode, Place, Severity } from '../errors.js';
import type { KeySpec } from '../config/key-spec.js';
import type { NetworkConfig } from '../model/config.js';
import type { LinkCommon } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';

/** Names a link by ifindex for messages; null when unknown. */
export type NameOf = (ifindex: number) => string | null;

/** What `ip -d link` tells of a link's kind beyond its kind and parent. */
export type KindAttrs = Pick<ObservedLink, 'vlanId' | 'mode' | 'ipvlanFlag'>;

export const NO_ATTRS: KindAttrs = { vlanId: null, mode: null, ipvlanFlag: null };

/** One drop-in as the per-file checks see it: values by `Section.Key`, and a place to report to. */
export interface DropinView {
  str(id: string): string | null;
  num(id: string): number | null;
  /** The key had a value that did not parse: checks that depend on it are skipped. */
  failed(id: string): boolean;
  /** Where `id` was last set, or the file when it was not. */
  at(id: string): Place;
  report(severity: Severity, code: ErrorCode, place: Place, message: string): void;
}

/** A conflict between two drop-ins, found by a kind; the caller turns `id` into a place. */
export interface KindConflict {
  /** `Section.Key` of the setting in the later drop-in that is refused. */
  id: string;
  key?: string;
  value?: string;
  message: string;
}

/** A link name a network claims, for the cross-file check. */
export interface KindClaim {
  name: string;
  /** `dummy parent`, `VLAN parent`: how a message names the role. */
  text: string;
  /** `Section.Key` that gives the name. */
  id: string;
  /** Nobody else's link (a dummy), unlike a VLAN link several networks share. */
  exclusive: boolean;
}

/** A container engine that cannot make this driver's network: why, and the key to blame. */
export interface EngineRefusal {
  refuse: string;
  code: ErrorCode;
  id: string;
  key: string;
  value: string;
}

/** The fields every desired link has; the kind adds its own and sets `kind`. */
export type LinkBase = Omit<LinkCommon, 'kind'>;

interface KindCommon<L extends LinkCommon> {
  kind: L['kind'];
  /** Drop-in keys this kind adds, in the order the man page lists them. */
  keys: readonly KeySpec[];
  /** The link of this kind network `n` wants, or null when `n` wants none.
   *  `base` has the generic fields filled in (name, parent, MTU, addresses…). */
  desired(n: NetworkConfig, base: LinkBase): L | null;
  /** iproute2 words after `ip link add NAME [link PARENT]`: e.g. `['type', 'macvlan', 'mode', 'bridge']`. */
  createArgs(link: L): string[];
  /** Why the observed link cannot be made right in place (kind, parent, VLAN id, mode, flag); null if it can.
   *  `parentIndex` is the ifindex of the wanted parent (null when it does not exist);
   *  `nameOf`, when given, names the observed parent in the reason (`parent is eth1, want enp3s0`). */
  recreateReason(want: L, have: ObservedLink, parentIndex: number | null, nameOf?: NameOf): string | null;
  /** Whether a link of this kind carries a MAC of its own that flatnetd may set
   *  (macvlan, except passthru); the others inherit the parent's. */
  ownMac(link: L): boolean;
  /** `vlan 200 on enp3s0`, `macvlan bridge on enp3s0`: the link in a plan line. */
  describe(link: L): string;
  /** What the kernel reports of a link made from `link` (the fake kernel, `plan` over D-Bus). */
  attrs(link: L): KindAttrs;
  readback: {
    /** `linkinfo.info_kind` values read as this kind (macvtap reads like macvlan). */
    infoKinds: readonly string[];
    /** `linkinfo.info_data` (null when absent) → the attributes. */
    read(data: Readonly<Record<string, unknown>> | null): KindAttrs;
  };
}

/** A kind made under a network as its parent: the 802.1Q link, the dummy. */
export interface ParentKind<L extends LinkCommon> extends KindCommon<L> {
  role: 'parent';
  /** Checks of this kind's keys within one drop-in, in the order they are reported. */
  checkFile?(d: DropinView): void;
  /** The link name this kind claims for `n`, if any. */
  claim?(n: NetworkConfig): KindClaim | null;
  /** Two networks on the same effective parent `ep` that this kind cannot serve both. */
  conflicts?(n: NetworkConfig, m: NetworkConfig, ep: string): KindConflict[];
  /** What of `m` conflicts() reads, besides its file: two networks with the same text
   *  conflict with any later one alike, so a set compares one of them (validate.ts). */
  conflictProfile?(m: NetworkConfig): string;
}

/** A kind a network's Driver= names: its shim and its containers' links. */
export interface ShimKind<L extends LinkCommon> extends KindCommon<L> {
  role: 'shim';
  /** Mode= values, and the one meant when Mode= is absent. */
  modes: readonly string[];
  defaultMode: string;
  /** Checks when the drop-in has a [Shim] of this driver; `driverKnown` is false when Driver= did not parse. */
  checkShim?(d: DropinView, driverKnown: boolean): void;
  /** Two networks of this driver on the same effective parent `ep` that the kernel cannot both have. */
  conflicts?(n: NetworkConfig, m: NetworkConfig, ep: string): KindConflict[];
  /** What of `m` conflicts() reads, besides its file (see ParentKind). */
  conflictProfile?(m: NetworkConfig): string;
  engine: {
    /** `-o` options of `docker network create -d <driver>` beyond parent=. */
    docker(n: NetworkConfig): string[];
    /** `-o` options of `podman network create` beyond parent=, or why Podman cannot. */
    podman(n: NetworkConfig): string[] | EngineRefusal;
    /** The CNI plugin's fields between `master` and `mtu`, or why the plugin cannot. */
    cni(n: NetworkConfig): Record<string, unknown> | EngineRefusal;
    /** How an engine network's driver options (`Options` of the Engine API) differ from `n`'s:
     *  `has macvlan_mode=vepa, the drop-in bridge`, blaming the key `id`. */
    drift(n: NetworkConfig, options: Readonly<Record<string, string>>): { id: string; message: string }[];
  };
}

export type LinkKind<L extends LinkCommon> = ParentKind<L> | ShimKind<L>;
