// What every kind checks the same way before its own attributes: is it the
// right kind of link at all, and does it hang off the right parent.

import type { DesiredLink } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';

/** Names a link by ifindex for messages; null when unknown. */
export type NameOf = (ifindex: number) => string | null;

function kindText(kind: string | null): string {
  return kind === null ? 'device (no kind)' : kind;
}

function parentText(index: number | null, nameOf: NameOf | undefined): string {
  if (index === null) return 'none';
  return nameOf?.(index) ?? `ifindex ${index}`;
}

/** `kind veth, want macvlan` or `parent is eth1, want enp3s0`; null when both fit. */
export function kindOrParentReason(
  want: DesiredLink,
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
