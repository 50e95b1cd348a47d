// Address arithmetic the emitters share: which addresses a container engine,
// an IPAM plugin or a router's DHCP server may hand out, as inclusive
// [first, last] spans of integers, so "every address of IPRange= but the
// shim's" is a subtraction rather than a guess.

import ipaddr from '../ipaddr.js';
import type { NetworkConfig } from '../model/config.js';

export type Family = 4 | 6;

/** An inclusive run of addresses of one family. */
export interface Span {
  family: Family;
  first: bigint;
  last: bigint;
}

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function familyOfText(text: string): Family {
  return text.includes(':') ? 6 : 4;
}

/** `192.168.88.192` or `192.168.88.192/32` → the address as an integer. */
export function toInt(text: string): bigint {
  const addr = text.split('/')[0] ?? text;
  return ipaddr.parse(addr).toByteArray().reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

export function toText(n: bigint, family: Family): string {
  const bytes: number[] = [];
  let v = n;
  for (let i = 0; i < bitsOf(family) / 8; i++) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** The address without its prefix length. */
export function hostOf(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

export function prefixLen(cidr: string): number {
  const len = cidr.split('/')[1];
  return len === undefined ? bitsOf(familyOfText(cidr)) : Number(len);
}

/** Every address a prefix covers, network and broadcast included. */
export function spanOf(cidr: string): Span {
  const family = familyOfText(cidr);
  const hostBits = BigInt(bitsOf(family) - prefixLen(cidr));
  const first = (toInt(cidr) >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** The addresses of a subnet a host may use: IPv4 loses the network and broadcast addresses, IPv6 its Subnet-Router anycast. */
export function hostsOf(subnet: string): Span {
  const s = spanOf(subnet);
  if (s.last - s.first < 2n) return s;
  return s.family === 4 ? { ...s, first: s.first + 1n, last: s.last - 1n } : { ...s, first: s.first + 1n };
}

export function inSpan(s: Span, family: Family, n: bigint): boolean {
  return s.family === family && n >= s.first && n <= s.last;
}

export function size(s: Span): bigint {
  return s.last - s.first + 1n;
}

/** `a` with the addresses of `cut` taken out, in order. */
export function subtract(a: readonly Span[], cut: readonly Span[]): Span[] {
  let out = [...a];
  for (const c of cut) {
    out = out.flatMap((s) => {
      if (s.family !== c.family || c.last < s.first || c.first > s.last) return [s];
      const parts: Span[] = [];
      if (c.first > s.first) parts.push({ ...s, last: c.first - 1n });
      if (c.last < s.last) parts.push({ ...s, first: c.last + 1n });
      return parts;
    });
  }
  return out;
}

export function one(text: string): Span {
  const n = toInt(text);
  return { family: familyOfText(text), first: n, last: n };
}

export function spanText(s: Span): string {
  return s.first === s.last ? toText(s.first, s.family) : `${toText(s.first, s.family)}-${toText(s.last, s.family)}`;
}

/** The subnet (of those given) an address or prefix lies in. */
export function subnetOf(subnets: readonly string[], text: string): string | undefined {
  const fam = familyOfText(text);
  const n = toInt(text);
  return subnets.find((s) => inSpan(spanOf(s), fam, n));
}

/**
 * What an allocator given this network hands out in one subnet: the IPRange=
 * prefixes inside it, or the whole subnet when none is (Docker's and Podman's
 * rule), cut to the addresses a host may have.
 */
export function poolOf(net: Pick<NetworkConfig, 'ipRanges'>, subnet: string): Span[] {
  const hosts = hostsOf(subnet);
  const ranges = net.ipRanges.filter((r) => subnetOf([subnet], r) !== undefined).map(spanOf);
  const chosen = ranges.length > 0 ? ranges : [hosts];
  return chosen.map((r) => ({ ...r, first: r.first > hosts.first ? r.first : hosts.first, last: r.last < hosts.last ? r.last : hosts.last }));
}

/** The shim's addresses, without prefix lengths. */
export function shimHosts(net: Pick<NetworkConfig, 'shim'>): string[] {
  return (net.shim?.addresses ?? []).map(hostOf);
}

/**
 * The largest aligned prefix inside `range` that holds none of `avoid`: a
 * ready-to-paste IPRange= that leaves the shim out.
 */
export function largestPrefixWithout(range: string, avoid: readonly Span[]): string | null {
  const fam = familyOfText(range);
  const walk = (first: bigint, len: number): { first: bigint; len: number } | null => {
    const last = first + (1n << BigInt(bitsOf(fam) - len)) - 1n;
    if (!avoid.some((a) => a.family === fam && a.last >= first && a.first <= last)) return { first, len };
    if (len >= bitsOf(fam)) return null;
    const half = 1n << BigInt(bitsOf(fam) - len - 1);
    const lo = walk(first, len + 1);
    const hi = walk(first + half, len + 1);
    if (lo === null) return hi;
    if (hi === null) return lo;
    return hi.len < lo.len ? hi : lo;
  };
  const found = walk(spanOf(range).first, prefixLen(range));
  return found === null || found.len > bitsOf(fam) - 2 ? null : `${toText(found.first, fam)}/${found.len}`;
}
