// The state of one fake network namespace and the kernel rules flatnetd meets,
// each refusal with the code src/kernel/failure.ts gives the real kernel's
// answer (test/fixtures/kernel/ip-failures.txt has those answers). Used by
// FakeKernel for ops and by tests acting as "another process".
//
// Modelled (Linux 6.1 behaviour):
// - ifindexes only grow; names are unique (`exists`);
// - a child needs its parent (`gone`), vlan/macvlan/ipvlan need one;
//   one VLAN id per parent; macvlan and ipvlan never share a parent (`busy`);
//   passthru allows one macvlan on its parent (`refused`);
// - deleting a link deletes its children, recursively, and their addresses/routes;
// - a child's MTU never exceeds its parent's; lowering a parent's clamps children;
// - a macvlan (not passthru) cannot come up, or be given a MAC, that an up
//   macvlan on the same parent or the parent itself has (`busy`: EADDRINUSE;
//   made down with it, it is accepted): test/fixtures/kernel/macvlan-mac-busy.txt;
// - vlan and ipvlan children take the parent's MAC; a passthru child's MAC *is*
//   the parent's (setting it rewrites the parent); ipvlan cannot set a MAC;
// - an address with a prefix adds a `proto kernel` prefix route while the link
//   is up (v4 metric 0, v6 metric 256), removed with the address;
// - admin down removes every route on the link and its IPv6 addresses
//   (keep_addr_on_down=0); up adds fe80:: from the MAC;
// - IPv4 routes are keyed by table+prefix+metric, IPv6 by prefix+metric+device;
// - carrier of a child = its admin state and its parent's carrier.

import { ROUTE_PROTO, ROUTE_PROTO_KERNEL } from '../../src/model/ownership.js';
import type { ObservedAddress, ObservedLink, ObservedRoute } from '../../src/model/observed.js';
import { canonical, contains, familyOf, kernelPrefixRoute } from '../../src/plan/cidr.js';
import type { KernelFailureCode } from '../../src/kernel/failure.js';

export interface FakeLink {
  ifindex: number;
  name: string;
  kind: string | null;
  parentIndex: number | null;
  vlanId: number | null;
  mode: string | null;
  ipvlanFlag: string | null;
  mtu: number;
  mac: string;
  up: boolean;
  /** Carrier of the wire, for links without a parent (NIC, veth). */
  wire: boolean;
  promisc: boolean;
  alias: string | null;
  maxMtu: number;
  wireless: boolean;
}

export interface LinkSpec {
  name: string;
  kind?: string | null;
  parent?: string | null;
  vlanId?: number | null;
  mode?: string | null;
  ipvlanFlag?: string | null;
  mtu?: number | null;
  mac?: string | null;
  up?: boolean;
  carrier?: boolean;
  promisc?: boolean;
  alias?: string | null;
  maxMtu?: number;
  wireless?: boolean;
}

export interface RouteSpec {
  dst: string;
  dev: string;
  proto?: number;
  metric?: number;
  table?: number;
  gateway?: string | null;
  scope?: string;
}

/** The kernel refused: the code the iproute2 backend would give its answer, and why in words. */
export class KernelRefusal extends Error {
  override readonly name = 'KernelRefusal';
  constructor(readonly code: KernelFailureCode, why: string) {
    super(`${why} (${code})`);
  }
}

const refuse = (code: KernelFailureCode, why: string): never => { throw new KernelRefusal(code, why); };
const noDevice = (name: string): never => refuse('gone', `no link named ${name}`);

const KIDS_NEED_PARENT = new Set(['vlan', 'macvlan', 'ipvlan']);

/** EUI-64 link-local address from a MAC. */
function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16) || 0);
  const at = (i: number): number => b[i] ?? 0;
  const groups = [((at(0) ^ 0x02) << 8) | at(1), (at(2) << 8) | 0xff, (0xfe << 8) | at(3), (at(4) << 8) | at(5)];
  return canonical(`fe80::${groups.map((g) => g.toString(16)).join(':')}/64`);
}

export type Change = 'link' | 'address' | 'route';

export class FakeNet {
  links = new Map<number, FakeLink>();
  addresses: ObservedAddress[] = [];
  routes: ObservedRoute[] = [];
  /** Metric of the prefix route of an address (`ip addr add … metric 1024`, as networkd's DHCP does). */
  private prefixMetric = new Map<string, number>();
  private nextIndex = 1;
  private macSeq = 0x100;

  constructor(private readonly changed: (what: Change, text: string) => void) {
    this.addLink({ name: 'lo', kind: null, mtu: 65536, mac: '00:00:00:00:00:00', up: true });
  }

  // ---- lookups ----
  find(name: string): FakeLink | undefined {
    for (const l of this.links.values()) if (l.name === name) return l;
    return undefined;
  }

  need(name: string): FakeLink {
    return this.find(name) ?? noDevice(name);
  }

  childrenOf(ifindex: number): FakeLink[] {
    return [...this.links.values()].filter((l) => l.parentIndex === ifindex);
  }

  parentOf(l: FakeLink): FakeLink | undefined {
    return l.parentIndex === null ? undefined : this.links.get(l.parentIndex);
  }

  carrier(l: FakeLink): boolean {
    if (!l.up) return false;
    if (l.kind === 'dummy' || l.name === 'lo') return true;
    const p = this.parentOf(l);
    if (l.parentIndex !== null) return p !== undefined && this.carrier(p);
    return l.wire;
  }

  observedLink(l: FakeLink): ObservedLink {
    return {
      ifindex: l.ifindex, name: l.name, kind: l.kind, parentIndex: l.parentIndex, vlanId: l.vlanId,
      mode: l.mode, ipvlanFlag: l.ipvlanFlag, mtu: l.mtu, mac: l.mac, up: l.up, carrier: this.carrier(l),
      promisc: l.promisc, alias: l.alias, maxMtu: l.maxMtu, wireless: l.wireless,
    };
  }

  private randomMac(): string {
    const n = this.macSeq++;
    return `02:fa:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;
  }

  emitLink(l: FakeLink, what: string): void {
    this.changed('link', `${l.ifindex}: ${l.name}: ${what}`);
  }

  // ---- links ----
  addLink(spec: LinkSpec): FakeLink {
    if (this.find(spec.name) !== undefined) refuse('exists', `a link named ${spec.name} exists`);
    const kind = spec.kind ?? null;
    let parent: FakeLink | undefined;
    if (spec.parent !== undefined && spec.parent !== null) parent = this.need(spec.parent);
    else if (kind !== null && KIDS_NEED_PARENT.has(kind)) refuse('refused', `a ${kind} link needs a parent`);
    if (parent !== undefined) this.checkSiblings(parent, kind, spec);
    const inheritMac = parent !== undefined && (kind === 'vlan' || kind === 'ipvlan' || (kind === 'macvlan' && spec.mode === 'passthru'));
    const mtu = spec.mtu ?? parent?.mtu ?? 1500;
    if (parent !== undefined && mtu > parent.mtu) refuse('refused', `MTU ${mtu} is above the parent's ${parent.mtu}`);
    const l: FakeLink = {
      ifindex: this.nextIndex++,
      name: spec.name,
      kind,
      parentIndex: parent?.ifindex ?? null,
      vlanId: kind === 'vlan' ? spec.vlanId ?? null : null,
      mode: kind === 'macvlan' ? spec.mode ?? 'vepa' : kind === 'ipvlan' ? spec.mode ?? 'l2' : null,
      ipvlanFlag: kind === 'ipvlan' ? spec.ipvlanFlag ?? 'bridge' : null,
      mtu,
      mac: inheritMac && parent !== undefined ? parent.mac : (spec.mac ?? this.randomMac()).toLowerCase(),
      up: false,
      wire: spec.carrier ?? true,
      promisc: spec.promisc ?? false,
      alias: spec.alias ?? null,
      maxMtu: spec.maxMtu ?? (parent !== undefined ? parent.maxMtu : 9216),
      wireless: spec.wireless ?? false,
    };
    this.links.set(l.ifindex, l);
    this.changed('link', `${l.ifindex}: ${l.name}: added`);
    if (spec.up === true) this.setUp(l, true);
    return l;
  }

  private checkSiblings(parent: FakeLink, kind: string | null, spec: LinkSpec): void {
    const siblings = this.childrenOf(parent.ifindex);
    if (kind === 'vlan' && siblings.some((s) => s.kind === 'vlan' && s.vlanId === (spec.vlanId ?? null))) refuse('exists', `${parent.name} has a VLAN ${spec.vlanId ?? '?'}`);
    if (kind === 'macvlan' && siblings.some((s) => s.kind === 'ipvlan')) refuse('busy', `${parent.name} has ipvlan children`);
    if (kind === 'ipvlan' && siblings.some((s) => s.kind === 'macvlan')) refuse('busy', `${parent.name} has macvlan children`);
    if (kind === 'macvlan') {
      const macvlans = siblings.filter((s) => s.kind === 'macvlan');
      if (macvlans.some((s) => s.mode === 'passthru')) refuse('refused', `${parent.name} has a passthru macvlan`);
      if (spec.mode === 'passthru' && macvlans.length > 0) refuse('refused', `${parent.name} has macvlans: no room for passthru`);
    }
  }

  deleteLink(l: FakeLink): void {
    for (const c of this.childrenOf(l.ifindex)) this.deleteLink(c);
    this.routes = this.routes.filter((r) => r.ifindex !== l.ifindex);
    this.addresses = this.addresses.filter((a) => a.ifindex !== l.ifindex);
    this.links.delete(l.ifindex);
    this.changed('link', `Deleted ${l.ifindex}: ${l.name}`);
  }

  /** drivers/net/macvlan.c macvlan_addr_busy: the MACs of the up macvlans on
   *  a lower device, and the lower device's own, are taken (not for passthru,
   *  whose one child has the parent's MAC by design). */
  private macBusy(l: FakeLink, mac: string): boolean {
    if (l.kind !== 'macvlan' || l.mode === 'passthru') return false;
    const p = this.parentOf(l);
    if (p === undefined) return false;
    const m = mac.toLowerCase();
    if (p.mac === m) return true;
    return this.childrenOf(p.ifindex).some((s) => s !== l && s.kind === 'macvlan' && s.up && s.mac === m);
  }

  setUp(l: FakeLink, up: boolean): void {
    if (l.up === up) return;
    if (up && this.macBusy(l, l.mac)) refuse('busy', `MAC ${l.mac} is in use on ${l.name}'s parent`);
    l.up = up;
    this.changed('link', `${l.ifindex}: ${l.name}: ${up ? 'up' : 'down'}`);
    if (!up) {
      this.routes = this.routes.filter((r) => r.ifindex !== l.ifindex);
      this.addresses = this.addresses.filter((a) => a.ifindex !== l.ifindex || a.family === 4);
      this.changed('route', `flushed routes of ${l.name}`);
      return;
    }
    if (l.name !== 'lo' && !this.addresses.some((a) => a.ifindex === l.ifindex && a.scope === 'link')) {
      this.addresses.push({ ifindex: l.ifindex, cidr: linkLocal(l.mac), family: 6, scope: 'link', dynamic: false });
    }
    for (const a of this.addresses) if (a.ifindex === l.ifindex) this.addPrefixRoute(l, a.cidr);
  }

  setMtu(l: FakeLink, mtu: number): void {
    const p = this.parentOf(l);
    if (p !== undefined && mtu > p.mtu) refuse('refused', `MTU ${mtu} is above the parent's ${p.mtu}`);
    if (l.maxMtu > 0 && mtu > l.maxMtu) refuse('refused', `MTU ${mtu} is above ${l.name}'s maximum ${l.maxMtu}`);
    l.mtu = mtu;
    this.changed('link', `${l.ifindex}: ${l.name}: mtu ${mtu}`);
    // vlan/macvlan/ipvlan children follow a lowered parent MTU down.
    for (const c of this.childrenOf(l.ifindex)) if (c.mtu > mtu) this.setMtu(c, mtu);
  }

  setMac(l: FakeLink, mac: string): void {
    if (l.kind === 'ipvlan') refuse('unsupported', 'an ipvlan has its parent\'s MAC');
    const p = this.parentOf(l);
    if (l.kind === 'macvlan' && l.mode === 'passthru' && p !== undefined) { this.setMac(p, mac); return; }
    if (this.macBusy(l, mac)) refuse('busy', `MAC ${mac} is in use on ${l.name}'s parent`);
    const old = l.mac;
    l.mac = mac.toLowerCase();
    this.changed('link', `${l.ifindex}: ${l.name}: address ${l.mac}`);
    for (const c of this.childrenOf(l.ifindex)) {
      const follows = c.kind === 'ipvlan' || (c.kind === 'macvlan' && c.mode === 'passthru') || (c.kind === 'vlan' && c.mac === old);
      if (follows) { c.mac = l.mac; this.changed('link', `${c.ifindex}: ${c.name}: address ${c.mac}`); }
    }
  }

  rename(l: FakeLink, name: string): void {
    if (l.up) refuse('busy', `${l.name} is up`);
    if (this.find(name) !== undefined) refuse('exists', `a link named ${name} exists`);
    l.name = name;
    this.changed('link', `${l.ifindex}: ${name}: renamed`);
  }

  // ---- addresses ----
  addAddress(l: FakeLink, cidrText: string, dynamic = false, metric?: number): void {
    const cidr = canonical(cidrText);
    const family = familyOf(cidr);
    const bare = cidr.split('/')[0];
    const clash = this.addresses.some((a) => a.ifindex === l.ifindex && (family === 4 ? a.cidr === cidr : a.cidr.split('/')[0] === bare));
    if (clash) refuse('exists', `${l.name} has ${cidr}`);
    const scope = contains('fe80::/10', cidr) ? 'link' : contains('127.0.0.0/8', cidr) || cidr === '::1/128' ? 'host' : 'global';
    this.addresses.push({ ifindex: l.ifindex, cidr, family, scope, dynamic });
    if (metric !== undefined) this.prefixMetric.set(`${l.ifindex} ${cidr}`, metric);
    this.changed('address', `${l.ifindex}: ${l.name} inet${family === 6 ? '6' : ''} ${cidr}`);
    if (l.up) this.addPrefixRoute(l, cidr);
  }

  deleteAddress(l: FakeLink, cidrText: string): void {
    const cidr = canonical(cidrText);
    const i = this.addresses.findIndex((a) => a.ifindex === l.ifindex && a.cidr === cidr);
    if (i < 0) refuse('absent', `${l.name} has no ${cidr}`);
    this.addresses.splice(i, 1);
    this.changed('address', `Deleted ${l.ifindex}: ${l.name} ${cidr}`);
    const prefix = kernelPrefixRoute(cidr);
    const stillServed = this.addresses.some((a) => a.ifindex === l.ifindex && kernelPrefixRoute(a.cidr) === prefix);
    if (prefix !== null && !stillServed) {
      this.routes = this.routes.filter((r) => !(r.ifindex === l.ifindex && r.proto === ROUTE_PROTO_KERNEL && r.dst === prefix));
      this.changed('route', `Deleted ${prefix} dev ${l.name} proto kernel`);
    }
  }

  private addPrefixRoute(l: FakeLink, cidr: string): void {
    const prefix = kernelPrefixRoute(cidr);
    if (prefix === null) return;
    if (this.routes.some((r) => r.ifindex === l.ifindex && r.proto === ROUTE_PROTO_KERNEL && r.dst === prefix)) return;
    const family = familyOf(cidr);
    // The kernel appends its prefix routes even when another device has the same key.
    this.routes.push({
      dst: prefix, family, ifindex: l.ifindex, proto: ROUTE_PROTO_KERNEL, table: 254,
      metric: this.prefixMetric.get(`${l.ifindex} ${canonical(cidr)}`) ?? (family === 4 ? 0 : 256), scope: 'link', gateway: null, src: family === 4 ? (cidr.split('/')[0] ?? null) : null,
    });
    this.changed('route', `${prefix} dev ${l.name} proto kernel`);
  }

  // ---- routes ----
  addRoute(spec: RouteSpec): void {
    const l = this.need(spec.dev);
    if (!l.up) refuse('down', `${l.name} is down`);
    const dst = canonical(spec.dst);
    const family = familyOf(dst);
    // Linux stores an IPv6 route asked for with metric 0 (or none) as 1024.
    const metric = family === 6 && (spec.metric ?? 0) === 0 ? 1024 : (spec.metric ?? 0);
    const table = spec.table ?? 254;
    const clash = this.routes.some((r) => r.table === table && r.dst === dst && r.metric === metric && r.family === family
      && (family === 4 || r.ifindex === l.ifindex));
    if (clash) refuse('exists', `a route to ${dst} metric ${metric} exists`);
    this.routes.push({
      dst, family, ifindex: l.ifindex, proto: spec.proto ?? ROUTE_PROTO, table, metric,
      scope: spec.scope ?? (spec.gateway ? 'global' : 'link'), gateway: spec.gateway ?? null, src: null,
    });
    this.changed('route', `${dst} dev ${l.name} metric ${metric}`);
  }

  deleteRoute(spec: RouteSpec): void {
    const l = this.need(spec.dev);
    const dst = canonical(spec.dst);
    const i = this.routes.findIndex((r) => r.dst === dst && r.ifindex === l.ifindex && r.table === (spec.table ?? 254)
      && (spec.metric === undefined || r.metric === spec.metric) && (spec.proto === undefined || r.proto === spec.proto));
    if (i < 0) refuse('absent', `no route to ${dst} on ${l.name}`);
    this.routes.splice(i, 1);
    this.changed('route', `Deleted ${dst} dev ${l.name}`);
  }

  /** The route a packet to `ip` takes: longest prefix, then lowest metric,
   *  then the oldest (the kernel's list order), on links that are up. */
  routeGet(ip: string): ObservedRoute | null {
    const family = familyOf(ip);
    let best: ObservedRoute | null = null;
    let bestLen = -1;
    for (const r of this.routes) {
      if (r.family !== family || r.table !== 254 || this.links.get(r.ifindex)?.up !== true || !contains(r.dst, ip)) continue;
      const len = Number(r.dst.split('/')[1]);
      if (len > bestLen || (len === bestLen && best !== null && r.metric < best.metric)) { best = r; bestLen = len; }
    }
    return best;
  }
}
