// Pure: desired + observed → the ordered ops that make the kernel match, the
// conflicts found on the way, the networks waiting for a parent, and the
// hand-made links adopted. A kernel that already matches gets no ops at all.
//
// What is ours: links with our alias (plus hand-made links adopted because
// they match exactly), and on our links the routes with proto ROUTE_PROTO.
// Nothing else is changed or deleted, with one exception the user asks for by
// name: Promiscuous= on a parent we do not own (desired.ts, ForeignPromisc).

import type { Diagnostic } from '../errors.js';
import type { Desired, DesiredLink, DesiredRoute } from '../model/desired.js';
import type { Observed, ObservedLink, ObservedRoute } from '../model/observed.js';
import { aliasNamesAny, aliasNetworks, isOwnedAlias, ROUTE_PROTO, ROUTE_PROTO_KERNEL } from '../model/ownership.js';
import { canonical, isLinkLocal6, kernelPrefixRoute } from './cidr.js';
import type { ForeignPromisc } from './desired.js';
import { indexKernel, type KernelIndex } from '../model/observed-index.js';
import { conflictDiagnostics, decideFates, dependents, observedDepth } from './fate.js';
import { macHolders } from './mac.js';
import type { LinkChanges, Op } from './ops.js';
import { orderOps, type Step } from './order.js';

export interface Waiting {
  network: string;
  /** The missing link: the effective parent, or the link below it when that is missing too. */
  parent: string;
}

export interface Plan {
  ops: Op[];
  conflicts: Diagnostic[];
  waiting: Waiting[];
  /** Hand-made links that matched exactly and now carry our mark. */
  adopted: string[];
}

interface RouteWant {
  route: DesiredRoute;
  networks: string[];
  /** ifindex of the device now, when it exists and stays. */
  devIndex: number | null;
  depth: number;
  /** Routes already on the device that do this route's job. */
  present: ObservedRoute[];
}

function bareAddress(cidr: string): string {
  return cidr.slice(0, cidr.indexOf('/') < 0 ? cidr.length : cidr.indexOf('/'));
}

function linkChanges(link: DesiredLink, have: ObservedLink, adopt: boolean): { changes: LinkChanges; why: string[] } {
  const changes: LinkChanges = {};
  const why: string[] = [];
  if (link.mtu !== null && have.mtu !== link.mtu) { changes.mtu = link.mtu; why.push(`mtu ${have.mtu}, want ${link.mtu}`); }
  if (link.mac !== null && have.mac.toLowerCase() !== link.mac) { changes.mac = link.mac; why.push(`MAC ${have.mac}, want ${link.mac}`); }
  if (!have.up) { changes.up = true; why.push('down'); }
  if (link.promisc !== null && have.promisc !== link.promisc) {
    changes.promisc = link.promisc;
    why.push(`promisc ${have.promisc ? 'on' : 'off'}, want ${link.promisc ? 'on' : 'off'}`);
  }
  if (have.alias !== link.alias) {
    changes.alias = link.alias;
    why.push(adopt ? 'hand-made and matching the drop-in: adopted' : `mark ${have.alias ?? 'none'}, want ${link.alias}`);
  }
  return { changes, why };
}

/** Everything one planning pass accumulates. */
interface Ctx {
  k: KernelIndex;
  observed: Observed;
  steps: Step[];
  conflicts: Diagnostic[];
  routeWants: RouteWant[];
  /** Our routes to delete (late unless a route we add needs their key). */
  routeDels: Map<ObservedRoute, Step>;
  /** Links deleted: ifindex → early? */
  deleted: Map<number, boolean>;
}

function nameOf(c: Ctx, ifindex: number): string {
  return c.k.byIndex.get(ifindex)?.name ?? `if${ifindex}`;
}

function routesOn(c: Ctx, ifindex: number): ObservedRoute[] {
  return c.k.mainRoutes.get(ifindex) ?? [];
}

function create(c: Ctx, link: DesiredLink, depth: number, reason: string): void {
  const networks = link.networks;
  c.steps.push({ op: { op: 'link-add', link, networks, reason }, depth });
  const changes: LinkChanges = { up: true };
  if (link.promisc === true) changes.promisc = true;
  c.steps.push({ op: { op: 'link-set', name: link.name, changes, networks, reason: 'new' }, depth });
  for (const cidr of link.addresses) c.steps.push({ op: { op: 'addr-add', dev: link.name, cidr, networks, reason: 'new link' }, depth });
  for (const route of link.routes) c.routeWants.push({ route, networks, devIndex: null, depth, present: [] });
}

function remake(c: Ctx, link: DesiredLink, depth: number, have: ObservedLink, reason: string): void {
  c.deleted.set(have.ifindex, true);
  c.steps.push({ op: { op: 'link-del', name: have.name, networks: link.networks, reason }, depth: observedDepth(c.k, have), early: true });
  create(c, link, depth, reason);
}

function fix(c: Ctx, link: DesiredLink, depth: number, have: ObservedLink, adopt: boolean): void {
  const networks = link.networks;
  const { changes, why } = linkChanges(link, have, adopt);
  if (why.length > 0) c.steps.push({ op: { op: 'link-set', name: link.name, changes, networks, reason: why.join('; ') }, depth });

  const observedAddrs = c.k.addresses.get(have.ifindex) ?? [];
  const kept = new Set<string>();
  // Addresses are flatnetd's to manage on shims only: a VLAN parent's or a
  // dummy's addresses belong to whoever configures the host's side of that
  // network (networkd, DHCP on enp3s0.200) and are what a following network reads.
  if (link.role === 'shim') {
    const have6 = new Map(observedAddrs.filter((a) => a.family === 6).map((a) => [bareAddress(canonical(a.cidr)), canonical(a.cidr)] as const));
    const haveAll = new Set(observedAddrs.map((a) => canonical(a.cidr)));
    const want = new Set(link.addresses);
    const earlyDel = new Set<string>();
    for (const cidr of link.addresses) {
      if (haveAll.has(cidr)) continue;
      // The kernel keys an IPv6 address without its prefix length: re-adding it
      // with another length is `File exists` until the old one is gone.
      const clash = have6.get(bareAddress(cidr));
      if (clash !== undefined) earlyDel.add(clash);
      c.steps.push({ op: { op: 'addr-add', dev: link.name, cidr, networks, reason: 'missing' }, depth });
    }
    for (const a of observedAddrs) {
      const cidr = canonical(a.cidr);
      // Link-local and lifetime-limited (SLAAC, DHCP) addresses are the
      // kernel's or another daemon's: removing them only starts a tug of war.
      if (want.has(cidr) || isLinkLocal6(cidr) || a.dynamic) { kept.add(cidr); continue; }
      const step: Step = { op: { op: 'addr-del', dev: link.name, cidr, networks, reason: 'not in the drop-in' }, depth };
      if (earlyDel.has(cidr)) step.early = true;
      c.steps.push(step);
    }
  } else {
    for (const a of observedAddrs) kept.add(canonical(a.cidr));
  }

  // The kernel's own prefix route counts only while the address it serves stays.
  const keptPrefixes = new Set([...kept].map(kernelPrefixRoute));
  const onLink = routesOn(c, have.ifindex);
  const live = onLink.filter((r) => r.proto !== ROUTE_PROTO_KERNEL || keptPrefixes.has(r.dst));
  for (const route of link.routes) {
    const present = live.filter((r) => r.dst === route.dst && r.metric === route.metric);
    c.routeWants.push({ route, networks, devIndex: have.ifindex, depth, present });
  }
  for (const r of onLink) {
    if (r.proto !== ROUTE_PROTO) continue;
    if (link.routes.some((w) => w.dst === r.dst && w.metric === r.metric)) continue;
    delRoute(c, r, networks, depth, 'not in the drop-in');
  }
}

function delRoute(c: Ctx, r: ObservedRoute, networks: string[], depth: number, reason: string): Step {
  const route: DesiredRoute = { dst: r.dst, family: r.family, dev: nameOf(c, r.ifindex), metric: r.metric };
  const step: Step = { op: { op: 'route-del', route, networks, reason }, depth };
  c.routeDels.set(r, step);
  c.steps.push(step);
  return step;
}

/** Route adds, once every deletion is known: an IPv4 route is keyed by
 *  prefix+metric whatever its device, so one of ours in the way is deleted
 *  first, and anyone else's is a conflict left alone. */
function addRoutes(c: Ctx): void {
  const planned = new Set<string>();
  // An IPv4 address added in this plan brings its prefix route (proto kernel,
  // metric 0) with it: a route of ours with the same key would be refused
  // with "File exists" in the same batch.
  const byNewAddress = new Map<string, { dev: string; cidr: string }>();
  for (const st of c.steps) {
    if (st.op.op !== 'addr-add' || st.op.cidr.includes(':')) continue;
    const prefix = kernelPrefixRoute(st.op.cidr);
    if (prefix !== null && !byNewAddress.has(prefix)) byNewAddress.set(prefix, { dev: st.op.dev, cidr: st.op.cidr });
  }
  for (const w of c.routeWants) {
    if (w.present.length > 0) continue;
    const { route } = w;
    const key = `${route.dst} metric ${route.metric}`;
    let blocked: string | null = null;
    if (route.family === 4) {
      if (planned.has(key)) blocked = 'another network of this host wants the same route';
      const bringer = route.metric === 0 ? byNewAddress.get(route.dst) : undefined;
      if (blocked === null && bringer !== undefined && bringer.dev !== route.dev) {
        blocked = `${bringer.dev}'s new address ${bringer.cidr} brings the same prefix route (proto kernel), and the kernel keeps one IPv4 route per prefix and metric`;
      }
      for (const r of c.k.mainV4ByDst.get(route.dst) ?? []) {
        if (blocked !== null) break;
        if (r.metric !== route.metric || r.ifindex === w.devIndex) continue;
        if (c.deleted.get(r.ifindex) === true) continue;
        const delStep = c.routeDels.get(r) ?? (r.proto === ROUTE_PROTO && c.deleted.has(r.ifindex)
          ? delRoute(c, r, w.networks, 0, `moves to ${route.dev}`) : undefined);
        if (delStep !== undefined) { delStep.early = true; continue; }
        blocked = `already routed through ${nameOf(c, r.ifindex)} (proto ${r.proto}), and the kernel keeps one IPv4 route per prefix and metric`;
      }
    }
    if (blocked !== null) {
      c.conflicts.push(...conflictDiagnostics(`${route.dst} dev ${route.dev}`, w.networks, `route not added: ${blocked}`, 'error'));
      continue;
    }
    planned.add(key);
    c.steps.push({ op: { op: 'route-add', route, networks: w.networks, reason: 'missing' }, depth: w.depth });
  }
}

/** Owned links nothing wants: deleted, children first, unless something not
 *  ours (a container's macvlan) or a frozen network still hangs below. One
 *  holding the MAC a wanted macvlan on its parent will have goes early (a
 *  renamed shim: the kernel will not bring the new one up beside it). */
function deleteUnwanted(c: Ctx, links: readonly DesiredLink[], frozen: ReadonlySet<string>): void {
  const wanted = new Set(links.map((l) => l.name));
  const macHolder = macHolders(links, c.k);
  const isFrozen = (l: ObservedLink): boolean => aliasNamesAny(l.alias, frozen);
  for (const o of c.observed.links) {
    if (!isOwnedAlias(o.alias) || wanted.has(o.name) || isFrozen(o)) continue;
    const networks = aliasNetworks(o.alias);
    const blockers = dependents(c.k, o, (d) => isOwnedAlias(d.alias) && !isFrozen(d));
    if (blockers.length > 0) {
      c.conflicts.push(...conflictDiagnostics(o.name, networks,
        `kept although no drop-in wants it: ${blockers.join(', ')} (not flatnetd's) may still depend on it; delete it by hand (ip link del ${o.name}) once nothing uses it`, 'warning'));
      continue;
    }
    const needs = macHolder(o);
    const reason = needs === null ? 'no longer wanted' : `no longer wanted; goes first, ${needs} needs its MAC ${o.mac}`;
    const step: Step = { op: { op: 'link-del', name: o.name, networks, reason }, depth: observedDepth(c.k, o) };
    // Below a link re-made early, it has to go early too: the kernel takes it
    // with its parent, and a later delete would find nothing.
    if (needs !== null || ancestors(c, o).some((a) => c.deleted.get(a) === true)) step.early = true;
    c.deleted.set(o.ifindex, step.early === true);
    c.steps.push(step);
  }
}

function ancestors(c: Ctx, l: ObservedLink): number[] {
  const out: number[] = [];
  for (let p = l.parentIndex; p !== null && !out.includes(p); p = c.k.byIndex.get(p)?.parentIndex ?? null) out.push(p);
  return out;
}

function foreignPromisc(c: Ctx, list: readonly ForeignPromisc[], wanted: ReadonlySet<string>): void {
  for (const f of list) {
    const o = c.k.byName.get(f.link);
    if (o === undefined || isOwnedAlias(o.alias) || wanted.has(f.link) || o.promisc === f.promisc) continue;
    c.steps.push({
      op: { op: 'link-set', name: f.link, changes: { promisc: f.promisc }, networks: f.networks, reason: `Promiscuous=${f.promisc ? 'yes' : 'no'}` },
      depth: 0,
    });
  }
}

export function planOps(desired: Desired & { foreignPromisc?: ForeignPromisc[] }, observed: Observed): Plan {
  const k = indexKernel(observed);
  const frozen = new Set(desired.frozen);
  const { fates, order, conflicts } = decideFates(desired.links, k, frozen);
  const p: Ctx = { k, observed, steps: [], conflicts: [], routeWants: [], routeDels: new Map(), deleted: new Map() };
  const waiting: Waiting[] = [];
  const adopted: string[] = [];

  for (const { link, depth } of order) {
    const fate = fates.get(link.name);
    if (fate === undefined) continue;
    switch (fate.is) {
      case 'waiting':
        for (const network of link.networks) {
          if (!waiting.some((w) => w.network === network)) waiting.push({ network, parent: fate.root });
        }
        break;
      case 'create': create(p, link, depth, fate.reason); break;
      case 'recreate': remake(p, link, depth, fate.have, fate.reason); break;
      case 'keep':
        if (fate.adopt) adopted.push(link.name);
        fix(p, link, depth, fate.have, fate.adopt);
        break;
      case 'blocked':
      case 'frozen':
        break;
    }
  }
  const wanted = new Set(desired.links.map((l) => l.name));
  deleteUnwanted(p, desired.links, frozen);
  addRoutes(p);
  foreignPromisc(p, desired.foreignPromisc ?? [], wanted);
  return { ops: orderOps(p.steps), conflicts: [...conflicts, ...p.conflicts], waiting, adopted };
}
