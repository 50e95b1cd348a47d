// Strict IP and CIDR text handling for drop-ins. ipaddr.js does the
// arithmetic, but it accepts forms that `net.isIP` (and a careful reader)
// refuse: `1.2.3`, octal-looking `010.1.1.1`, five-digit IPv6 groups, zone ids.
// So the text is checked here first, with the same grammar Node uses.

import ipaddr from '../ipaddr.js';
import type { IPv4, IPv6 } from 'ipaddr.js';

export type Family = 4 | 6;
export type Addr = IPv4 | IPv6;

export interface ParsedAddr {
  addr: Addr;
  family: Family;
  /** Canonical text: dotted quad, or RFC 5952 lower-case IPv6. */
  text: string;
}

export interface ParsedPrefix extends ParsedAddr {
  len: number;
}

const V4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4_RE = new RegExp(`^${V4_OCTET}(?:\\.${V4_OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function groupsOk(side: string): number | null {
  if (side === '') return 0;
  const groups = side.split(':');
  return groups.every((g) => HEX_GROUP.test(g)) ? groups.length : null;
}

function isStrictV6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  let s = text;
  if (s.includes('.')) {
    // An embedded IPv4 tail (`::ffff:192.0.2.1`) counts as two groups.
    const lastColon = s.lastIndexOf(':');
    if (lastColon < 0 || !V4_RE.test(s.slice(lastColon + 1))) return false;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  if (halves.length === 1) return groupsOk(s) === 8;
  const left = groupsOk(halves[0] ?? '');
  const right = groupsOk(halves[1] ?? '');
  return left !== null && right !== null && left + right <= 7;
}

export function parseAddr(text: string): ParsedAddr | null {
  if (V4_RE.test(text)) {
    // Four decimal octets without leading zeros: the text is its own canonical
    // form, and its octets all ipaddr.js's parser (a string of regexes) would
    // find. A drop-in's every address comes through here, and the kernel's.
    return { addr: new ipaddr.IPv4(text.split('.').map(Number)), family: 4, text };
  }
  if (!isStrictV6(text)) return null;
  const addr = ipaddr.IPv6.parse(text);
  return { addr, family: 6, text: addr.toString() };
}

export function maxPrefix(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** The network address of addr/len. */
export function networkAddr(addr: Addr, len: number): Addr {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.max(0, Math.min(8, len - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

/**
 * The prefix a bare network address most likely meant: its trailing zero
 * octets (IPv4) or groups (IPv6) are the host part, so `192.168.88.0` reads
 * as /24 and `2001:db8:1::` as /48. With none, the common LAN size (/24, /64)
 * of the address's network. Never /32 or /128: a one-address "subnet" is not
 * what anyone writing Subnet= means.
 */
export function likelyPrefix(a: ParsedAddr): string {
  const bytes = a.addr.toByteArray();
  const unit = a.family === 4 ? 1 : 2;
  let zeroUnits = 0;
  for (let i = bytes.length - unit; i >= 0; i -= unit) {
    if (bytes.slice(i, i + unit).some((b) => b !== 0)) break;
    zeroUnits++;
  }
  const max = maxPrefix(a.family);
  let len = max - zeroUnits * unit * 8;
  if (len === max) len = a.family === 4 ? 24 : 64;
  if (len === 0) len = a.family === 4 ? 8 : 16;
  return `${networkAddr(a.addr, len).toString()}/${len}`;
}

export type PrefixParse = { ok: true; prefix: ParsedPrefix; hasLen: boolean } | { ok: false; message: string };

/** `addr/len`, or a bare address when lenOptional (then /32 or /128). */
export function parsePrefixText(text: string, lenOptional: boolean): PrefixParse {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const a = parseAddr(addrText);
  if (a === null) return { ok: false, message: slash < 0 && !lenOptional ? 'must be a prefix, address/length' : 'not an IP address' };
  const max = maxPrefix(a.family);
  if (slash < 0) {
    if (!lenOptional) return { ok: false, message: `must be a prefix, address/length (e.g. ${likelyPrefix(a)})` };
    return { ok: true, prefix: { ...a, len: max }, hasLen: false };
  }
  const lenText = text.slice(slash + 1);
  const len = /^(?:0|[1-9][0-9]{0,2})$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 0 && len <= max)) return { ok: false, message: `prefix length must be 0..${max}` };
  return { ok: true, prefix: { ...a, len }, hasLen: true };
}

/** Parse a canonical CIDR we produced ourselves. */
export function cidr(text: string): ParsedPrefix {
  const r = parsePrefixText(text, true);
  if (!r.ok) throw new Error(`internal: not a CIDR: ${text}`);
  return r.prefix;
}

export function prefixText(p: { text: string; len: number }): string {
  return `${p.text}/${p.len}`;
}

export function containsAddr(net: ParsedPrefix, a: ParsedAddr): boolean {
  return net.family === a.family && a.addr.match(net.addr, net.len);
}

export function containsPrefix(outer: ParsedPrefix, inner: ParsedPrefix): boolean {
  return outer.family === inner.family && inner.len >= outer.len && inner.addr.match(outer.addr, outer.len);
}

/** Up to this many prefixes, firstContaining() asks each in turn. */
const FEW = 8;

/**
 * A lookup of the first prefix, in the order given, that contains an address.
 * Each lookup masks the address to every prefix length present (at most 33 or
 * 129) instead of testing every prefix: a drop-in with thousands of IPRange=
 * and Address= lines stays linear.
 */
export function firstContaining<T>(items: readonly T[], prefixOf: (item: T) => ParsedPrefix): (a: ParsedAddr) => T | undefined {
  // A drop-in's usual one or two IPRange=: asking each is cheaper than an index.
  if (items.length <= FEW) return (a) => items.find((item) => containsAddr(prefixOf(item), a));
  const first = new Map<string, { index: number; item: T }>();
  const lengths: Record<Family, Set<number>> = { 4: new Set(), 6: new Set() };
  items.forEach((item, index) => {
    const p = prefixOf(item);
    const key = `${networkAddr(p.addr, p.len).toString()}/${p.len}`;
    if (!first.has(key)) first.set(key, { index, item });
    lengths[p.family].add(p.len);
  });
  return (a) => {
    let best: { index: number; item: T } | undefined;
    for (const len of lengths[a.family]) {
      const hit = first.get(`${networkAddr(a.addr, len).toString()}/${len}`);
      if (hit !== undefined && (best === undefined || hit.index < best.index)) best = hit;
    }
    return best?.item;
  };
}
