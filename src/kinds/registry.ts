// One row per link kind we create; everything about a kind is in its own
// file (kind.ts says what a kind declares). A new kind is one file and one row.

import { dummy } from './dummy.js';
import { ipvlan } from './ipvlan.js';
import type { LinkKind, ParentKind, ShimKind } from './kind.js';
import { macvlan } from './macvlan.js';
import { vlan } from './vlan.js';

export type { NameOf } from './kind.js';

/** In the order their keys are listed (the man page's order) and conflicts are reported. */
const KINDS = { vlan, macvlan, ipvlan, dummy };

type Kinds = typeof KINDS;
type LinkOf<K> = K extends LinkKind<infer L> ? L : never;

export type DesiredKind = keyof Kinds;
/** One variant per kind, discriminated on `kind`. */
export type DesiredLink = { [K in DesiredKind]: LinkOf<Kinds[K]> }[DesiredKind];
/** The kinds a network's Driver= can name. */
export type Driver = { [K in DesiredKind]: Kinds[K] extends { role: 'shim' } ? K : never }[DesiredKind];
/** Mode= of any driver. */
export type DriverMode = Extract<DesiredLink, { kind: Driver }>['mode'];

type AnyKind = ParentKind<DesiredLink> | ShimKind<DesiredLink>;

// Each row's hooks take that row's variant; a caller holding a DesiredLink
// reaches the row through its own `kind`, so the variant always fits.
const ROWS = Object.values(KINDS) as readonly AnyKind[];

/** The row of `kind`: its hooks take links of that kind. */
export function linkKind(kind: DesiredKind): AnyKind {
  return KINDS[kind] as AnyKind;
}

/** The kind of `link`, its hooks taking that link. */
export function kindOf(link: DesiredLink): AnyKind {
  return linkKind(link.kind);
}

export function allKinds(): readonly AnyKind[] {
  return ROWS;
}

const PARENTS = ROWS.filter((k): k is ParentKind<DesiredLink> => k.role === 'parent');
const DRIVERS = ROWS.filter((k): k is ShimKind<DesiredLink> => k.role === 'shim');

/** The kinds a network has as its own parent (each says whether it applies), in registry order. */
export function parentKinds(): readonly ParentKind<DesiredLink>[] {
  return PARENTS;
}

/** The kinds Driver= can name, in registry order. */
export function shimKinds(): readonly ShimKind<DesiredLink>[] {
  return DRIVERS;
}

export function isDriver(name: string): name is Driver {
  return DRIVERS.some((k) => k.kind === name);
}

/** The kind Driver= names. */
export function driverKind(driver: Driver): ShimKind<DesiredLink> {
  return KINDS[driver] as ShimKind<DesiredLink>;
}

/** The kind that reads back `ip -d link`'s `info_kind` (macvtap as macvlan…); undefined for kinds we do not make. */
export function kindOfInfo(infoKind: string | null): AnyKind | undefined {
  return infoKind === null ? undefined : BY_INFO_KIND.get(infoKind);
}

// Every link of every observe asks: a map, not a walk.
const BY_INFO_KIND = new Map(ROWS.flatMap((k) => k.readback.infoKinds.map((i) => [i, k] as const)));
