// Pure: what becomes of each desired link given what the kernel has — fixed
// in place, made, re-made, waiting for its parent, left alone (frozen, or a
// conflict) — decided parents first, because a child's fate follows its
// parent's: a re-made parent takes its children with it in the kernel.

import type { Diagnostic } from '../errors.js';
import { kindOf } from '../kinds/registry.js';
import type { DesiredLink } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';
import type { KernelIndex } from '../model/observed-index.js';
import { aliasNamesAny, aliasNetworks, isOwnedAlias } from '../model/ownership.js';

export type Fate =
  /** Exists and can be made right in place; `adopt` = hand-made, matching, gets our mark. */
  | { is: 'keep'; have: ObservedLink; adopt: boolean }
  /** Missing: made. */
  | { is: 'create'; reason: string }
  /** Ours but wrong in kind/parent/VLAN id/mode: deleted and made again. */
  | { is: 'recreate'; have: ObservedLink; reason: string }
  /** Its parent (`root`, the first missing link up the chain) does not exist. */
  | { is: 'waiting'; root: string }
  /** Left alone: a conflict, a child of one, or ours but unfixable without harming others. */
  | { is: 'blocked' }
  /** Serves a frozen network: not touched at all. */
  | { is: 'frozen'; have: ObservedLink };

/** Names of what may hang below `l` without being ours: links we can see, and,
 *  for a parent (VLAN or dummy), containers' links in other network namespaces,
 *  which no dump of ours shows. */
export function dependents(k: KernelIndex, l: ObservedLink, isOurs: (d: ObservedLink) => boolean): string[] {
  const out = descendants(k, l).filter((d) => !isOurs(d)).map((d) => d.name);
  if ((l.kind === 'vlan' || l.kind === 'dummy') && k.peerNamespaces > 0) {
    out.push(`links in ${k.peerNamespaces} other network namespace${k.peerNamespaces === 1 ? '' : 's'} (containers)`);
  }
  return out;
}

/** Every link below `l` in the kernel, nearest first. */
export function descendants(k: KernelIndex, l: ObservedLink): ObservedLink[] {
  const out: ObservedLink[] = [];
  const queue = [...(k.children.get(l.ifindex) ?? [])];
  const seen = new Set<number>([l.ifindex]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next.ifindex)) continue;
    seen.add(next.ifindex);
    out.push(next);
    queue.push(...(k.children.get(next.ifindex) ?? []));
  }
  return out;
}

/** How many links of the kernel's are above `l` (0 = a root such as a NIC). */
export function observedDepth(k: KernelIndex, l: ObservedLink): number {
  let depth = 0;
  const seen = new Set<number>();
  for (let p = l.parentIndex; p !== null && !seen.has(p); depth++) {
    seen.add(p);
    p = k.byIndex.get(p)?.parentIndex ?? null;
  }
  return depth;
}

export function conflictDiagnostics(object: string, networks: readonly string[], message: string, severity: 'error' | 'warning'): Diagnostic[] {
  return networks.map((network) => ({ severity, code: 'conflict', object, network, message }));
}

export interface Fates {
  fates: Map<string, Fate>;
  /** Desired links in parents-first order, with their depth among desired links. */
  order: { link: DesiredLink; depth: number }[];
  conflicts: Diagnostic[];
}

function topo(links: readonly DesiredLink[]): { link: DesiredLink; depth: number }[] {
  const byName = new Map(links.map((l) => [l.name, l] as const));
  const depth = new Map<string, number>();
  const depthOf = (l: DesiredLink, guard: number): number => {
    const known = depth.get(l.name);
    if (known !== undefined) return known;
    const p = l.parent === null ? undefined : byName.get(l.parent);
    // A cycle cannot come from valid drop-ins; the guard keeps a bad one finite.
    const d = p === undefined || guard > links.length ? 0 : depthOf(p, guard + 1) + 1;
    depth.set(l.name, d);
    return d;
  };
  return links.map((link) => ({ link, depth: depthOf(link, 0) }))
    .sort((a, b) => a.depth - b.depth);
}

export function decideFates(links: readonly DesiredLink[], k: KernelIndex, frozen: ReadonlySet<string>): Fates {
  const fates = new Map<string, Fate>();
  const conflicts: Diagnostic[] = [];
  const order = topo(links);
  const nameOf = (i: number): string | null => k.byIndex.get(i)?.name ?? null;
  const isFrozen = (l: ObservedLink): boolean => aliasNamesAny(l.alias, frozen);

  for (const { link } of order) {
    const have = k.byName.get(link.name);
    // Where the parent stands: an index to match against, or a reason this link cannot be made now.
    let parentIndex: number | null = null;
    let parentRemade: string | null = null;
    if (link.parent !== null) {
      const pf = fates.get(link.parent);
      const ext = k.byName.get(link.parent);
      if (pf === undefined) {
        if (ext === undefined) { fates.set(link.name, { is: 'waiting', root: link.parent }); continue; }
        parentIndex = ext.ifindex;
      } else if (pf.is === 'waiting' || pf.is === 'blocked') {
        fates.set(link.name, pf);
        continue;
      } else if (pf.is === 'keep' || pf.is === 'frozen') {
        parentIndex = pf.have.ifindex;
      } else {
        parentRemade = pf.is === 'recreate' ? `parent ${link.parent} is re-made` : null;
      }
    }
    if (have === undefined) { fates.set(link.name, { is: 'create', reason: 'missing' }); continue; }
    if (isFrozen(have)) { fates.set(link.name, { is: 'frozen', have }); continue; }
    const owned = isOwnedAlias(have.alias);
    const reason = parentRemade ?? kindOf(link).recreateReason(link, have, parentIndex, nameOf);
    if (reason === null) { fates.set(link.name, { is: 'keep', have, adopt: !owned }); continue; }
    if (!owned) {
      fates.set(link.name, { is: 'blocked' });
      conflicts.push(...conflictDiagnostics(link.name, link.networks, `${reason}; not made by flatnetd, so it is left alone`, 'error'));
      continue;
    }
    // Re-making a link takes everything below it. Something below that is not
    // ours (a Docker container's macvlan on our VLAN parent) would be cut off.
    const foreign = dependents(k, have, (d) => isOwnedAlias(d.alias));
    if (foreign.length > 0) {
      fates.set(link.name, { is: 'blocked' });
      conflicts.push(...conflictDiagnostics(link.name, link.networks,
        `${reason}; not re-made while ${foreign.join(', ')} (not flatnetd's) may depend on it`, 'warning'));
      continue;
    }
    // A frozen network's links are left exactly as they are, and the kernel
    // would delete them with their parent: another network's change to the
    // parent waits until that network thaws (or goes down).
    const frozenBelow = descendants(k, have).filter(isFrozen);
    if (frozenBelow.length > 0) {
      fates.set(link.name, { is: 'blocked' });
      const which = frozenBelow.map((d) => `${d.name} (of frozen network ${aliasNetworks(d.alias).filter((n) => frozen.has(n)).join(',')})`);
      conflicts.push(...conflictDiagnostics(link.name, link.networks,
        `${reason}; not re-made while ${which.join(', ')} hangs below it (the kernel would delete it too)`, 'warning'));
      continue;
    }
    fates.set(link.name, { is: 'recreate', have, reason });
  }
  return { fates, order, conflicts };
}
