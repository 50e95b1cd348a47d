// The one place that decides the order of a plan. Rules, and why:
// 1. Early deletions: routes of ours that would block a route we add (IPv4
//    keys a route by table+prefix+metric, not device: the add would be
//    refused with `File exists`), IPv6 addresses re-added with another prefix
//    length (same address = `File exists`), then links being re-created, and
//    owned links going away that hold the MAC of a macvlan being made or
//    changed on the same parent (a renamed shim: the kernel refuses to bring
//    up a second macvlan with one MAC, `Address already in use`; diff.ts
//    deleteUnwanted, mac.ts), children before parents (the kernel takes
//    children with their parent, so a child deleted after its parent is
//    `Cannot find device`).
// 2. Links made and changed, parents before children, a parent's link-set
//    before its children's link-add: a child's MTU may exceed the parent's
//    only after the parent's is raised.
// 3. addr-add, then route-add (routes need the link up, which 2 did).
// 4. Deletions last (add before delete, as Tailscale's router does, so a
//    route that moves never vanishes): routes, addresses, then links,
//    children before parents.

import type { Op } from './ops.js';

export interface Step {
  op: Op;
  /** Depth of the op's link in the parent chain (0 = its parent is not ours). */
  depth: number;
  /** A deletion that must happen before anything is added (rule 1). */
  early?: boolean;
}

function rank(s: Step): number {
  const kind = s.op.op;
  if (s.early === true) {
    if (kind === 'route-del') return 0;
    if (kind === 'addr-del') return 1;
    if (kind === 'link-del') return 2;
  }
  switch (kind) {
    case 'link-add':
    case 'link-set': return 3;
    case 'addr-add': return 4;
    case 'route-add': return 5;
    case 'route-del': return 6;
    case 'addr-del': return 7;
    case 'link-del': return 8;
  }
}

/** Within a rank: parents first for adds and sets (an add before a set of the
 *  same depth, so a new link is set up right after), children first for link deletions. */
function within(a: Step, b: Step): number {
  const ra = rank(a);
  if (ra === 3) {
    if (a.depth !== b.depth) return a.depth - b.depth;
    return (a.op.op === 'link-add' ? 0 : 1) - (b.op.op === 'link-add' ? 0 : 1);
  }
  if (a.op.op === 'link-del') return b.depth - a.depth;
  return 0;
}

export function orderOps(steps: readonly Step[]): Op[] {
  // Array.prototype.sort is stable: ties keep the planner's order.
  return [...steps]
    .sort((a, b) => rank(a) - rank(b) || within(a, b))
    .map((s) => s.op);
}
