// An independent judge of "converged": walks the desired state against the
// fake kernel with the rules of issue 2 written out again (not by calling the
// planner), and lists every way they differ. Used after observe → plan →
// apply has stopped planning, to catch a planner that stops too early.

import type { DesiredLink } from '../../src/model/desired.js';
import { aliasNetworks, isOwnedAlias, ROUTE_PROTO } from '../../src/model/ownership.js';
import { canonical, isLinkLocal6 } from '../../src/plan/cidr.js';
import type { PlannedDesired } from '../../src/plan/desired.js';
import type { Plan } from '../../src/plan/diff.js';
import type { FakeKernel } from './fake-kernel.js';
import type { FakeLink } from './fake-net.js';

type Status = 'ok' | 'blocked' | 'waiting' | 'frozen';


function parentsFirst(links: readonly DesiredLink[]): DesiredLink[] {
  const names = new Set(links.map((l) => l.name));
  const out: DesiredLink[] = [];
  const placed = new Set<string>();
  while (out.length < links.length) {
    const before = out.length;
    for (const l of links) {
      if (placed.has(l.name)) continue;
      if (l.parent === null || !names.has(l.parent) || placed.has(l.parent)) { out.push(l); placed.add(l.name); }
    }
    if (out.length === before) throw new Error('desired links form a cycle');
  }
  return out;
}

/** What of kind, parent, VLAN id, mode, flag differs: what cannot be fixed in place. */
function shapeMismatch(L: DesiredLink, o: FakeLink, parentIndex: number | null): string[] {
  const mismatch: string[] = [];
  if (o.kind !== L.kind) mismatch.push(`kind ${o.kind}`);
  if (o.parentIndex !== parentIndex) mismatch.push('parent');
  if (L.kind === 'vlan' && o.vlanId !== L.vlanId) mismatch.push(`vlan ${o.vlanId}`);
  if ((L.kind === 'macvlan' || L.kind === 'ipvlan') && o.mode !== L.mode) mismatch.push(`mode ${o.mode}`);
  if (L.kind === 'ipvlan' && o.ipvlanFlag !== (L.ipvlanFlag ?? 'bridge')) mismatch.push(`flag ${o.ipvlanFlag}`);
  return mismatch;
}

/** Desired links that are already of the right shape (kind, parent, VLAN id,
 *  mode) and ours or adoptable, all the way up: name → ifindex. Issue 2: these
 *  are never re-made, whatever else is wrong with them. */
export function rightShape(k: FakeKernel, desired: PlannedDesired): Map<string, number> {
  const out = new Map<string, number>();
  const wanted = new Set(desired.links.map((l) => l.name));
  for (const L of parentsFirst(desired.links)) {
    if (L.parent !== null && wanted.has(L.parent) && !out.has(L.parent)) continue;
    const p = L.parent === null ? undefined : k.net.find(L.parent);
    if (L.parent !== null && p === undefined) continue;
    const o = k.net.find(L.name);
    if (o === undefined || shapeMismatch(L, o, p?.ifindex ?? null).length > 0) continue;
    out.set(L.name, o.ifindex);
  }
  return out;
}

export function checkConverged(k: FakeKernel, desired: PlannedDesired, plan: Plan): string[] {
  const problems: string[] = [];
  const net = k.net;
  const frozen = new Set(desired.frozen);
  const status = new Map<string, Status>();
  const isFrozen = (l: FakeLink): boolean => aliasNetworks(l.alias).some((n) => frozen.has(n));
  const hasConflict = (object: string, severity: 'error' | 'warning'): boolean =>
    plan.conflicts.some((c) => c.object === object && c.severity === severity && c.code === 'conflict');
  const foreignBelow = (l: FakeLink): FakeLink[] => {
    const out: FakeLink[] = [];
    for (const c of net.childrenOf(l.ifindex)) {
      if (!isOwnedAlias(c.alias) || isFrozen(c)) out.push(c);
      out.push(...foreignBelow(c));
    }
    return out;
  };

  for (const L of parentsFirst(desired.links)) {
    let parentIndex: number | null = null;
    if (L.parent !== null) {
      const ps = status.get(L.parent);
      if (ps === 'blocked' || ps === 'waiting') { status.set(L.name, ps); continue; }
      const p = net.find(L.parent);
      if (p === undefined) {
        status.set(L.name, 'waiting');
        for (const n of L.networks) if (!plan.waiting.some((w) => w.network === n)) problems.push(`${L.name}: ${n} should be waiting for ${L.parent}`);
        continue;
      }
      parentIndex = p.ifindex;
    }
    const o = net.find(L.name);
    if (o === undefined) { problems.push(`${L.name}: missing`); status.set(L.name, 'blocked'); continue; }
    if (isFrozen(o)) { status.set(L.name, 'frozen'); continue; }
    const mismatch = shapeMismatch(L, o, parentIndex);
    if (!isOwnedAlias(o.alias)) {
      // Anything matching must have been adopted (and so carry our mark by now).
      if (mismatch.length === 0) problems.push(`${L.name}: matches but was not adopted`);
      else if (!hasConflict(L.name, 'error')) problems.push(`${L.name}: foreign (${mismatch.join(', ')}) but no conflict reported`);
      status.set(L.name, 'blocked');
      continue;
    }
    if (mismatch.length > 0) {
      if (foreignBelow(o).length === 0) problems.push(`${L.name}: wrong (${mismatch.join(', ')}) and nothing foreign depends on it`);
      else if (!hasConflict(L.name, 'warning')) problems.push(`${L.name}: kept wrong for a foreign child, but no warning`);
      status.set(L.name, 'blocked');
      continue;
    }
    status.set(L.name, 'ok');
    if (o.alias !== L.alias) problems.push(`${L.name}: alias ${o.alias}, want ${L.alias}`);
    if (!o.up) problems.push(`${L.name}: down`);
    if (L.mtu !== null && o.mtu !== L.mtu) problems.push(`${L.name}: mtu ${o.mtu}, want ${L.mtu}`);
    if (L.mac !== null && o.mac !== L.mac) problems.push(`${L.name}: mac ${o.mac}, want ${L.mac}`);
    if (L.promisc !== null && o.promisc !== L.promisc) problems.push(`${L.name}: promisc ${o.promisc}`);
    const addrs = net.addresses.filter((a) => a.ifindex === o.ifindex);
    for (const a of L.addresses) if (!addrs.some((x) => x.cidr === canonical(a))) problems.push(`${L.name}: address ${a} missing`);
    if (L.role === 'shim') {
      for (const a of addrs) {
        if (!L.addresses.map(canonical).includes(a.cidr) && !isLinkLocal6(a.cidr) && !a.dynamic) problems.push(`${L.name}: extra address ${a.cidr}`);
      }
    }
    const routes = net.routes.filter((r) => r.ifindex === o.ifindex && r.table === 254);
    for (const r of L.routes) {
      if (!routes.some((x) => x.dst === r.dst && x.metric === r.metric) && !hasConflict(`${r.dst} dev ${r.dev}`, 'error')) {
        problems.push(`${L.name}: route ${r.dst} metric ${r.metric} missing`);
      }
    }
    for (const r of routes) {
      if (r.proto === ROUTE_PROTO && !L.routes.some((x) => x.dst === r.dst && x.metric === r.metric)) problems.push(`${L.name}: extra route ${r.dst} metric ${r.metric}`);
    }
  }

  const wanted = new Set(desired.links.map((l) => l.name));
  for (const o of net.links.values()) {
    if (!isOwnedAlias(o.alias) || wanted.has(o.name) || isFrozen(o)) continue;
    if (foreignBelow(o).length === 0) problems.push(`${o.name}: ours, unwanted, still there`);
    else if (!hasConflict(o.name, 'warning')) problems.push(`${o.name}: kept for a foreign child, but no warning`);
  }
  for (const f of desired.foreignPromisc) {
    const o = net.find(f.link);
    if (o !== undefined && !isOwnedAlias(o.alias) && o.promisc !== f.promisc) problems.push(`${f.link}: promisc ${o.promisc}, want ${f.promisc}`);
  }
  return problems;
}
