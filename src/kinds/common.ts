// What every kind checks the same way before its own attributes (is it the
// right kind of link at all, does it hang off the right parent), and reading
// `linkinfo.info_data` values for the kinds' readback.

import type { LinkCommon } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';
import type { LinkBase, NameOf } from './kind.js';

function kindText(kind: string | null): string {
  return kind === null ? 'device (no kind)' : kind;
}

function parentText(index: number | null, nameOf: NameOf | undefined): string {
  if (index === null) return 'none';
  return nameOf?.(index) ?? `ifindex ${index}`;
}

/** `kind veth, want macvlan` or `parent is eth1, want enp3s0`; null when both fit. */
export function kindOrParentReason(
  want: LinkCommon,
  have: ObservedLink,
  parentIndex: number | null,
  nameOf: NameOf | undefined,
): string | null {
  if (have.kind !== want.kind) return `kind ${kindText(have.kind)}, want ${want.kind}`;
  const wantParent = want.parent === null ? null : parentIndex;
  // A wanted parent that does not exist cannot be matched by any link, and a
  // child whose lower device is in another namespace (parentIndex null) is
  // not on ours.
  if (want.parent !== null && (wantParent === null || have.parentIndex !== wantParent)) {
    return `parent is ${parentText(have.parentIndex, nameOf)}, want ${want.parent}`;
  }
  if (want.parent === null && have.parentIndex !== null) {
    return `parent is ${parentText(have.parentIndex, nameOf)}, want none`;
  }
  return null;
}

type InfoData = Readonly<Record<string, unknown>> | null;

/** A string of `info_data`, null when absent or not a string. */
export function infoStr(data: InfoData, key: string): string | null {
  const v = data?.[key];
  return typeof v === 'string' ? v : null;
}

/** A number of `info_data`, null when absent or not a finite number. */
export function infoNum(data: InfoData, key: string): number | null {
  const v = data?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** `value` as one of `values` (a config string as its typed union), else `fallback`. */
export function oneOf<T extends string>(values: readonly T[], value: string | null, fallback: T): T {
  return values.find((v) => v === value) ?? fallback;
}

/** `base` (made for this one link) turned into the kind's link. Not a spread:
 *  `{ ...base, kind }` was some 40 times slower than this in Node 20, and a
 *  reconcile makes every desired link anew. */
export function withKind<const F extends { kind: string; parent: string | null }>(base: LinkBase, fields: F): LinkBase & F {
  return Object.assign(base, fields);
}
