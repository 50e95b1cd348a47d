// Checks across drop-ins: names, shim addresses and routed prefixes claimed
// twice, and parents the kernel cannot share the way two files ask. Files are taken in lexical order of their names
// and each is checked against those already accepted, so when two conflict the
// earlier keeps working and the later is rejected, with both files named.

import type { Diagnostic, Place } from '../errors.js';
import type { KindConflict } from '../kinds/kind.js';
import { driverKind, parentKinds, shimKinds } from '../kinds/registry.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import { maxPrefix, networkAddr, parsePrefixText } from './ip.js';
import { placeOf } from './place.js';

export interface Rejected {
  network: NetworkConfig;
  diagnostics: Diagnostic[];
}

export interface ValidatedSet {
  valid: NetworkConfig[];
  rejected: Rejected[];
  diagnostics: Diagnostic[];
}

/** A drop-in's file name: what names it across the config directories. */
export const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Lexical order of file names (byte order, as systemd sorts drop-ins), then full path. */
export function compareFiles(a: string, b: string): number {
  const ba = baseName(a);
  const bb = baseName(b);
  if (ba !== bb) return ba < bb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface LinkClaim {
  name: string;
  /** How a message names the role: `shim`, `parent`, or the kind's (`VLAN parent`). */
  text: string;
  /** `where` key of the setting that gives this name. */
  id: string;
  /** A shim or dummy of one network is nobody else's link; parents and VLAN links are shared. */
  exclusive: boolean;
}

function claims(n: NetworkConfig): LinkClaim[] {
  const out: LinkClaim[] = [];
  if (n.shim !== null) out.push({ name: n.shim.name, text: 'shim', id: 'Shim.Name', exclusive: true });
  if (n.parent !== null) out.push({ name: n.parent, text: 'parent', id: 'Network.Parent', exclusive: false });
  for (const k of parentKinds()) {
    const c = k.claim?.(n) ?? null;
    if (c !== null) out.push(c);
  }
  return out;
}


const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** `path:line` (or the path) of the setting `id` in `n`, to name the other side of a conflict. */
function placeText(n: NetworkConfig, id: string): string {
  const w = n.where[id];
  return w?.line !== undefined ? `${w.file ?? n.file}:${w.line}` : n.file;
}

/** The IP of a canonical CIDR (config values are canonical: network.ts). */
const ipOf = (cidr: string): string => {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.slice(0, slash);
};

/** The prefix route an address with a prefix length brings (`10.5.0.1/24` → `10.5.0.0/24`), IPv4 only; null for /32. */
function broughtPrefix(cidr: string): string | null {
  if (cidr.includes(':')) return null; // IPv6 address routes have a metric of their own (256)
  const r = parsePrefixText(cidr, true);
  if (!r.ok || r.prefix.len >= maxPrefix(r.prefix.family)) return null;
  return `${networkAddr(r.prefix.addr, r.prefix.len).toString()}/${r.prefix.len}`;
}

interface Routed {
  /** The prefix, network address first (`192.168.88.192/27`). */
  prefix: string;
  /** Setting that asks for it: `Shim.Route`, `Network.IPRange`, or `Shim.Address` for the route an address brings. */
  id: string;
  key: string;
  value: string;
  /** The kernel's own route for an address's prefix (proto kernel), not one flatnetd adds. */
  brought: boolean;
}

/**
 * What a network routes through its shim, from the drop-in alone (a network
 * that follows its parent's prefix routes it behind the parent's own route,
 * at a metric of its own; that is decided at run time). The kernel keeps one
 * route per prefix and metric, whatever the device: a second network routing
 * the same prefix through its own shim is refused ("File exists"). Two
 * addresses bringing the same IPv4 prefix route are fine (two NICs on one
 * LAN); one route added over another's address-brought route is not. IPv6
 * address routes have a metric of their own (256), so they never collide.
 */
function routedPrefixes(n: NetworkConfig): Routed[] {
  const known = routedMemo.get(n);
  if (known !== undefined) return known;
  const shim = n.shim;
  const out: Routed[] = [];
  if (shim !== null) {
    const brought = new Set<string>();
    for (const a of shim.addresses) {
      // A /32 (the usual shim address) brings no route: no parsing for it.
      const net = a.endsWith('/32') || a.endsWith('/128') ? null : broughtPrefix(a);
      if (net === null) continue;
      brought.add(net);
      out.push({ prefix: net, id: 'Shim.Address', key: 'Address', value: a, brought: true });
    }
    const [id, key] = shim.routesExplicit ? ['Shim.Route', 'Route'] : ['Network.IPRange', 'IPRange'];
    const seen = new Set<string>();
    // Route= and IPRange= are in network form already (network.ts refuses host bits).
    for (const r of shim.routesExplicit ? shim.routes : [...shim.routes, ...n.ipRanges]) {
      // A prefix its own address already routes is not added again (plan/desired.ts).
      if (seen.has(r) || brought.has(r)) continue;
      seen.add(r);
      out.push({ prefix: r, id, key, value: r, brought: false });
    }
  }
  routedMemo.set(n, out);
  return out;
}

/** Configs are never changed once loaded: computed once per network, not once per pair. */
const routedMemo = new WeakMap<NetworkConfig, Routed[]>();
const ipsMemo = new WeakMap<NetworkConfig, Map<string, string>>();

/** The shim's IPs (without prefix lengths) → the address as written: one IP on two shims answers ARP twice. */
function shimIps(n: NetworkConfig): Map<string, string> {
  let m = ipsMemo.get(n);
  if (m === undefined) {
    m = new Map();
    for (const a of n.shim?.addresses ?? []) if (!m.has(ipOf(a))) m.set(ipOf(a), a);
    ipsMemo.set(n, m);
  }
  return m;
}

type Conflict = { place: Place; message: string };

/** Exported for the test that checks validateSet() against every pair. */
export function conflictsWith(n: NetworkConfig, m: NetworkConfig): Conflict[] {
  const out = ownConflicts(n, m);
  if (n.name === m.name) return out;
  for (const c of parentConflicts(n, m)) out.push(c);
  return out;
}

/** What two networks claim alike: a name, a link, a MAC, a shim address, a routed prefix. */
function ownConflicts(n: NetworkConfig, m: NetworkConfig): Conflict[] {
  const out: Conflict[] = [];
  if (n.name === m.name) {
    out.push({ place: placeOf(n, 'Network.Name'), message: `network "${n.name}" is already defined by ${m.file}` });
    return out;
  }
  for (const a of claims(n)) {
    for (const b of claims(m)) {
      if (a.name !== b.name || !(a.exclusive || b.exclusive)) continue;
      const message = a.id === 'Shim.Name' && b.id === 'Shim.Name'
        ? `shim name "${a.name}" is already used by ${m.file}`
        : `the ${a.text} name "${a.name}" is already the ${b.text} of network "${m.name}" in ${m.file}`;
      out.push({ place: placeOf(n, a.id), message });
    }
  }
  // Two links with one MAC on one LAN: the kernel refuses the second on a
  // shared parent ("Address already in use"), and on two parents the LAN's
  // switches would flap between them. Either way, not at the kernel's word.
  const mac = n.shim?.mac ?? null;
  if (mac !== null && mac === (m.shim?.mac ?? null)) {
    out.push({ place: placeOf(n, 'Shim.MACAddress', 'MACAddress', mac), message: `${m.file} already gives its shim this MAC address` });
  }
  if (n.shim !== null && m.shim !== null) {
    const theirIps = shimIps(m);
    for (const [ip, value] of shimIps(n)) {
      if (!theirIps.has(ip)) continue;
      out.push({
        place: placeOf(n, 'Shim.Address', 'Address', value),
        message: `${ip} is already the address of shim "${m.shim.name}" at ${placeText(m, 'Shim.Address')}, and one address on two shims answers ARP from two MACs`,
      });
    }
    const theirs = new Map<string, Routed[]>();
    for (const r of routedPrefixes(m)) {
      const list = theirs.get(r.prefix);
      if (list === undefined) theirs.set(r.prefix, [r]);
      else list.push(r);
    }
    for (const a of routedPrefixes(n)) {
      const b = theirs.get(a.prefix)?.find((r) => !(r.brought && a.brought));
      if (b === undefined) continue;
      const how = b.brought ? `the address ${b.value} of shim "${m.shim.name}" already routes ${a.prefix}` : `${a.prefix} is already routed through shim "${m.shim.name}"`;
      out.push({
        place: placeOf(n, a.id, a.key, a.value),
        message: `${how} (${b.key}= at ${placeText(m, b.id)}), and the kernel keeps one route per prefix and metric`,
      });
    }
  }
  return out;
}

/** What two networks on one effective parent cannot both have: driver, modes, the VLAN link's MTU, promiscuity. */
function parentConflicts(n: NetworkConfig, m: NetworkConfig): Conflict[] {
  const out: Conflict[] = [];
  if (n.parent === null || m.parent === null) return out;
  const ep = effectiveParentName(n);
  if (ep !== effectiveParentName(m)) return out;
  if (n.driver !== m.driver) {
    const both = shimKinds().map((k) => k.kind).filter((d) => d === n.driver || d === m.driver);
    out.push({
      place: placeOf(n, 'Network.Driver', 'Driver', n.driver),
      message: `${m.file} already puts ${m.driver} on ${ep} and the kernel refuses ${both.join(' and ')} on one parent`,
    });
    return out;
  }
  const byKind = (c: KindConflict): { place: Place; message: string } => ({ place: placeOf(n, c.id, c.key, c.value), message: c.message });
  out.push(...(driverKind(n.driver).conflicts?.(n, m, ep) ?? []).map(byKind));
  for (const k of parentKinds()) out.push(...(k.conflicts?.(n, m, ep) ?? []).map(byKind));
  if (n.promiscuous !== null && m.promiscuous !== null && n.promiscuous !== m.promiscuous) {
    out.push({ place: placeOf(n, 'Network.Promiscuous'), message: `${m.file} sets Promiscuous=${yesNo(m.promiscuous)} on ${ep}` });
  }
  return out;
}

/**
 * What ownConflicts() compares: two networks with no key in common cannot
 * conflict there. `stored` are the keys a kept network is found by, `sought`
 * the keys a later one looks up. A link two networks share (a parent, a VLAN
 * link) is no conflict in itself, only when one of them takes that name for a
 * link of its own (a shim, a dummy): shared claims are found by exclusive
 * ones, never by each other. Sharing an effective parent is parentConflicts()'
 * business (validateSet's groups). Shim addresses and routed prefixes are keys
 * of their own.
 */
function conflictKeys(n: NetworkConfig): { stored: string[]; sought: string[] } {
  const stored: string[] = [];
  const sought: string[] = [];
  const both = (k: string): void => {
    stored.push(k);
    sought.push(k);
  };
  both(`name ${n.name}`);
  for (const c of claims(n)) {
    if (c.exclusive) {
      stored.push(`link ${c.name}`);
      sought.push(`link ${c.name}`, `shared ${c.name}`);
    } else {
      stored.push(`shared ${c.name}`);
      sought.push(`link ${c.name}`);
    }
  }
  const mac = n.shim?.mac ?? null;
  if (mac !== null) both(`mac ${mac}`);
  // Bare (an IP has no space and no '/', a prefix no space): no new string
  // per address, which a drop-in with 40,000 Address= lines felt.
  for (const ip of shimIps(n).keys()) both(ip);
  for (const r of routedPrefixes(n)) both(r.prefix);
  return { stored, sought };
}

/**
 * What parentConflicts() reads of a kept network `m` besides its file: its
 * driver, its promiscuity and what each kind says its conflicts() reads. Two
 * networks on one parent with the same profile conflict with a later one
 * alike, so it is compared with one of them, and with the others only when
 * that one conflicts (their messages name each file). A kind with conflicts()
 * that does not say what they read puts every network in a group of its own.
 */
function parentProfile(m: NetworkConfig, index: number): string {
  const parts = [m.driver, String(m.promiscuous)];
  for (const k of [driverKind(m.driver), ...parentKinds()]) {
    if (k.conflicts === undefined) continue;
    if (k.conflictProfile === undefined) return `#${index}`;
    parts.push(k.conflictProfile(m));
  }
  return parts.join(' ');
}

function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

export function validateSet(networks: readonly NetworkConfig[]): ValidatedSet {
  const sorted = [...networks].sort((a, b) => compareFiles(a.file, b.file));
  const valid: NetworkConfig[] = [];
  const rejected: Rejected[] = [];
  const diagnostics: Diagnostic[] = [];
  // Each network is checked in file order against the kept ones it shares a
  // key with (ownConflicts compares nothing else) and, on its effective
  // parent, against one kept network per profile: comparing every pair grows
  // with the square of the drop-ins, and a hundred networks on one NIC all
  // share it.
  const byKey = new Map<string, number[]>();
  const byParent = new Map<string, Map<string, number[]>>();
  for (const n of sorted) {
    const keys = conflictKeys(n);
    const own = new Set<number>();
    for (const k of keys.sought) for (const i of byKey.get(k) ?? []) own.add(i);
    const others = new Set(own);
    const groups = n.parent === null ? undefined : byParent.get(effectiveParentName(n));
    for (const members of groups?.values() ?? []) {
      const first = valid[members[0] ?? -1];
      if (first !== undefined && parentConflicts(n, first).length > 0) for (const i of members) others.add(i);
    }
    const problems: Diagnostic[] = [...others].sort((a, b) => a - b).flatMap((i) => {
      const m = valid[i] as NetworkConfig;
      return (own.has(i) ? conflictsWith(n, m) : parentConflicts(n, m)).map(({ place, message }) => ({
        severity: 'error' as const,
        code: 'duplicate' as const,
        ...place,
        message: `${message}; this network is rejected, ${baseName(m.file)} keeps working`,
        network: n.name,
      }));
    });
    if (problems.length === 0) {
      const index = valid.push(n) - 1;
      for (const k of keys.stored) add(byKey, k, index);
      if (n.parent !== null) {
        const ep = effectiveParentName(n);
        let g = byParent.get(ep);
        if (g === undefined) byParent.set(ep, (g = new Map()));
        add(g, parentProfile(n, index), index);
      }
    } else {
      rejected.push({ network: n, diagnostics: problems });
      diagnostics.push(...problems);
    }
  }
  return { valid, rejected, diagnostics };
}
