// Pure: the drop-ins (and, for networks that follow their parent's prefix,
// the parent's current addresses) → the links, addresses and routes that
// should exist. Names only; ifindexes are for diff.ts to match.

import * as crypto from 'node:crypto';
import type { LinkBase } from '../kinds/kind.js';
import { kindOf, parentKinds, shimKinds } from '../kinds/registry.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { Desired, DesiredLink, DesiredRoute } from '../model/desired.js';
import type { Observed } from '../model/observed.js';
import { aliasNetworks, ownerAlias } from '../model/ownership.js';
import { canonical, familyOf, kernelPrefixRoute, networkOf } from './cidr.js';
import { followedPrefixes } from './subnets.js';
import { indexKernel } from '../model/observed-index.js';
import { chooseMacs } from './mac.js';
import { memo } from './memo.js';

/** IFF_PROMISC wanted on a parent flatnetd does not own (a physical NIC, a
 *  foreign VLAN). This is the only change flatnetd ever makes to a link that
 *  is not its own, and only when the drop-in says Promiscuous= explicitly
 *  (a VM guest's `ip link set ens33 promisc on`, for a hypervisor that drops other MACs): the user asked for exactly
 *  that, and the kernel has no other way to say it. Having no ownership mark
 *  on such a link, flatnetd cannot tell later whether it set the flag, so it
 *  leaves the flag as it is when the drop-in goes away. */
export interface ForeignPromisc {
  link: string;
  promisc: boolean;
  networks: string[];
}

/** Desired plus what the contract's type has no room for yet. */
export interface PlannedDesired extends Desired {
  foreignPromisc: ForeignPromisc[];
}

/** The drop-ins in force for one run: what to make true, what to leave
 *  alone, what to take down. The loop's, the planning round's and
 *  buildDesired's input start from it. */
export interface NetworksInForce {
  /** Networks to make true: valid drop-ins plus the last good version of invalid ones. */
  networks: readonly NetworkConfig[];
  /** Networks whose owned links are left exactly as they are (neither fixed nor deleted). */
  frozen: readonly string[];
  /** Networks taken down on request: nothing is desired for them, so their links go. */
  down: readonly string[];
  machineId: string;
}

export interface DesiredInput extends NetworksInForce {
  observed: Observed;
}

/** Metric of the routes a following network derives from its parent's prefix.
 *
 * The parent has its own route to that same prefix (the kernel's prefix route,
 * metric 0 for a static address, 100 under NetworkManager, 1024 from
 * systemd-networkd's DHCP, as on the README's NAS). Two choices, both measured against
 * the fake kernel's route lookup (test/unit/plan/follow.test.ts):
 * - below the parent's: the whole LAN prefix leaves through the shim. The host
 *   reaches its containers, but every LAN connection it opens changes source
 *   address and MAC, and with strict rp_filter (=1) replies arriving on the
 *   parent are dropped, cutting the host off its own LAN; with a metric-0
 *   parent route an IPv4 add is refused outright (`File exists`).
 * - above the parent's (chosen): the parent's route keeps winning, so host→LAN
 *   traffic never changes. The shim route stands behind it and carries the
 *   prefix only when the parent's own route is gone (an address configured
 *   `noprefixroute`, or a route deleted by hand).
 * A daemon must never take the host off its LAN to reach containers, so the
 * route stands behind; to reach containers in a following network, IPRange=
 * (more specific, so it wins by prefix length at metric 0) or Route= is the
 * way, and the network's notes say so. */
export const FOLLOW_ROUTE_METRIC = 65535;

/** Stable MAC for a shim without MACAddress=: the same on every boot, so LAN
 *  ARP caches and DHCP reservations do not churn. Locally administered
 *  (bit 0x02 set), unicast (bit 0x01 clear). */
export function stableMac(machineId: string, network: string): string {
  // Every reconcile wants every shim's MAC, and it never changes: hash it once per network, not once per run.
  return memo(macs, `${machineId}\0${network}`, () => hashMac(machineId, network));
}

const macs = new Map<string, string>();

/** SHA-256 of a text: crypto.hash (Node >= 20.12) makes no Hash object,
 *  and a first run hashes once per shim; earlier Node 20 has only createHash. */
const sha256: (text: string) => Uint8Array = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text).digest();

function hashMac(machineId: string, network: string): string {
  const h = sha256(`flatnet-shim-mac\0${machineId.trim()}\0${network}`);
  const bytes = [...h.subarray(0, 6)];
  bytes[0] = ((bytes[0] ?? 0) | 0x02) & 0xfe;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The first non-null answer of `f` over `xs`. */
function firstOf<T, R>(xs: readonly T[], f: (x: T) => R | null): R | null {
  for (const x of xs) {
    const r = f(x);
    if (r !== null) return r;
  }
  return null;
}

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function noteFor(notes: Map<string, string[]>, network: string, text: string): void {
  const list = notes.get(network);
  if (list === undefined) notes.set(network, [text]);
  else if (!list.includes(text)) list.push(text);
}

function followMetric(parent: string, prefix: string, observed: Observed): number {
  const k = indexKernel(observed);
  const l = k.byName.get(parent);
  let highest = -1;
  for (const r of l === undefined ? [] : k.mainRoutes.get(l.ifindex) ?? []) {
    if (r.dst === prefix) highest = Math.max(highest, r.metric);
  }
  return Math.max(FOLLOW_ROUTE_METRIC, highest + 1);
}

/** The generic fields of a link, one shape for every link (the kinds add theirs). */
function newBase(name: string, parent: string | null, role: LinkBase['role'], n: NetworkConfig, addresses: string[]): LinkBase {
  return {
    name, parent, role, mtu: n.mtu, mac: null, promisc: role === 'parent' ? n.promiscuous : null,
    alias: '', networks: [n.name], addresses, routes: [],
  };
}

/** Promiscuous=yes on any network sharing the link wins over =no. */
function mergePromisc(have: boolean | null, want: boolean | null): boolean | null {
  if (want === null) return have;
  return have === true || want;
}

function shimRoutes(n: NetworkConfig, parent: string, addresses: string[], observed: Observed, notes: Map<string, string[]>): DesiredRoute[] {
  const shim = n.shim;
  if (shim === null) return [];
  let dsts: string[];
  let metricOf: (dst: string) => number = () => 0;
  const explicit = shim.routesExplicit ? shim.routes : uniq([...shim.routes, ...n.ipRanges]);
  if (shim.routesExplicit || explicit.length > 0 || n.subnets.length > 0) {
    dsts = explicit;
  } else {
    dsts = followedPrefixes(parent, observed);
    metricOf = (dst) => followMetric(parent, dst, observed);
    if (dsts.length > 0) {
      noteFor(notes, n.name, `routes through ${shim.name} to ${dsts.join(', ')} use metric ${FOLLOW_ROUTE_METRIC}, behind ${parent}'s own route, so the host's LAN traffic is unchanged; set IPRange= or Route= for the host to reach its containers`);
    }
  }
  // An address with a prefix makes the kernel route that prefix on the shim
  // by itself (`proto kernel`); adding the same route again is refused with
  // `File exists` (the README's hand-made recipe hits exactly this), so it is not ours to add.
  const byKernel = new Set(addresses.map(kernelPrefixRoute).filter((p): p is string => p !== null));
  const routes: DesiredRoute[] = [];
  for (const d of uniq(dsts.map(networkOf))) {
    if (byKernel.has(d)) {
      noteFor(notes, n.name, `${d} is routed through ${shim.name} by the kernel, for its address`);
      continue;
    }
    // The kernel stores an IPv6 route added with metric 0 as 1024 (IP6_RT_PRIO_USER);
    // asking for 1024 keeps desired and observed equal, so a v6 route never looks missing.
    const metric = metricOf(d);
    routes.push({ dst: d, family: familyOf(d), dev: shim.name, metric: familyOf(d) === 6 && metric === 0 ? 1024 : metric });
  }
  return routes;
}

/** `derived` collects the shims whose MAC is flatnetd's choice (no MACAddress=): mac.ts chooseMacs settles it. */
function shimLink(n: NetworkConfig, machineId: string, observed: Observed, notes: Map<string, string[]>, derived: Set<DesiredLink>): DesiredLink | null {
  const shim = n.shim;
  if (shim === null) return null;
  const parent = effectiveParentName(n);
  const base = newBase(shim.name, parent, 'shim', n, uniq(shim.addresses.map(canonical)));
  // Driver= names exactly one shim kind; the others answer null.
  const link = firstOf(shimKinds(), (k) => k.desired(n, base));
  if (link === null) return null;
  if (kindOf(link).ownMac(link)) {
    link.mac = (shim.mac ?? stableMac(machineId, n.name)).toLowerCase();
    if (shim.mac === null) derived.add(link);
  }
  else if (shim.mac !== null) noteFor(notes, n.name, `MACAddress= is not used: a ${n.driver} ${n.mode} shim has ${parent}'s MAC`);
  link.routes = shimRoutes(n, parent, link.addresses, observed, notes);
  return link;
}

export function buildDesired(input: DesiredInput): { desired: PlannedDesired; notes: Map<string, string[]> } {
  const down = new Set(input.down);
  // An explicit down removes a network's links even if its drop-in is broken.
  const frozen = new Set(input.frozen.filter((n) => !down.has(n)));
  const notes = new Map<string, string[]>();
  const links = new Map<string, DesiredLink>();
  const foreign = new Map<string, ForeignPromisc>();
  const derived = new Set<DesiredLink>();

  const add = (l: DesiredLink, network: string): void => {
    const have = links.get(l.name);
    if (have === undefined) { links.set(l.name, l); return; }
    if (have.role === 'parent' && l.role === 'parent' && have.kind === l.kind) {
      // A VLAN parent shared by networks on the same parent+VLAN.
      have.networks = uniq([...have.networks, ...l.networks]);
      if (l.mtu !== null) have.mtu = Math.max(have.mtu ?? 0, l.mtu);
      have.promisc = mergePromisc(have.promisc, l.promisc);
      return;
    }
    noteFor(notes, network, `${l.name} is already wanted as a ${have.role} of ${have.networks.join(',')}; not made for ${network}`);
  };

  for (const n of input.networks) {
    if (down.has(n.name) || frozen.has(n.name)) continue;
    const parent = effectiveParentName(n);
    // A network's own parent (a VLAN link, a dummy) is the one parent kind that answers; none when it hangs off a NIC.
    const own = firstOf(parentKinds(), (k) => k.desired(n, newBase(parent, n.parent, 'parent', n, [])));
    const ownsParent = own !== null;
    if (own !== null) add(own, n.name);
    if (!ownsParent && n.promiscuous !== null) {
      const f = foreign.get(parent);
      if (f === undefined) foreign.set(parent, { link: parent, promisc: n.promiscuous, networks: [n.name] });
      else { f.promisc = f.promisc || n.promiscuous; f.networks = uniq([...f.networks, n.name]); }
    }
    if (n.subnets.length === 0) {
      const followed = followedPrefixes(parent, input.observed);
      noteFor(notes, n.name, followed.length > 0
        ? `following ${parent}'s prefix ${followed.join(', ')}`
        : `following ${parent}'s prefix, but it has no global address yet`);
    }
    const shim = shimLink(n, input.machineId, input.observed, notes, derived);
    if (shim !== null) add(shim, n.name);
  }

  const observedByName = new Map(input.observed.links.map((o) => [o.name, o] as const));
  chooseMacs([...links.values()], derived, indexKernel(input.observed),
    (l, i) => stableMac(input.machineId, `${l.networks.join(',')}\0${i}`));
  for (const l of links.values()) {
    // A shared link that also serves a frozen network keeps that network in
    // its mark, so freezing one network never rewrites another's link.
    const seen = observedByName.get(l.name);
    const keep = aliasNetworks(seen?.alias ?? null).filter((n) => frozen.has(n));
    l.alias = ownerAlias(uniq([...l.networks, ...keep]));
  }
  return {
    desired: { links: [...links.values()], frozen: [...frozen].sort(), foreignPromisc: [...foreign.values()] },
    notes,
  };
}
