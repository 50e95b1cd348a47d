// Prefix arithmetic the planner needs, on text it got from the config or the
// kernel: canonical forms (so `fd00:0::1/64` and `fd00::1/64` are one
// address), the network a prefix covers, IPv6 link-local. Input is already
// validated (drop-ins by src/config, observations by the kernel), so a text
// that does not parse is passed through unchanged rather than thrown on.

import ipaddr from '../ipaddr.js';
import { memo } from './memo.js';

export type Family = 4 | 6;

interface Parsed {
  readonly bytes: readonly number[];
  readonly family: Family;
  readonly len: number;
}

// ipaddr.js parsing was most of a no-op reconcile's time: every answer below is memoised.
const parsed = new Map<string, Parsed | null>();
const canonicals = new Map<string, string>();
const networks = new Map<string, string>();

function parse(cidr: string): Parsed | null {
  return memo(parsed, cidr, parseUncached);
}

const V4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
/** Four decimal octets without leading zeros: how the kernel prints an IPv4
 *  address and the config keeps one. Its octets are read directly; any other
 *  text goes to ipaddr.js's parser (a string of regexes), which also reads
 *  the odd forms it accepts (`1.2.3`, `010.1.1.1`). */
const V4_RE = new RegExp(`^${V4_OCTET}(?:\\.${V4_OCTET}){3}$`);

function parseUncached(cidr: string): Parsed | null {
  const slash = cidr.indexOf('/');
  const addrText = slash < 0 ? cidr : cidr.slice(0, slash);
  // One run of one family's parser (ipaddr.isValid and then ipaddr.parse ran
  // three); ipaddr.parse, too, takes a text with a colon for IPv6, else IPv4.
  const family: Family = addrText.includes(':') ? 6 : 4;
  let bytes: number[];
  if (family === 4 && V4_RE.test(addrText)) bytes = addrText.split('.').map(Number);
  else {
    try {
      bytes = (family === 6 ? ipaddr.IPv6.parse(addrText) : ipaddr.IPv4.parse(addrText)).toByteArray();
    } catch {
      return null;
    }
  }
  const max = family === 4 ? 32 : 128;
  const len = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  return { bytes, family, len };
}

function text(bytes: readonly number[], len: number): string {
  // An IPv4 address's text is its octets (ipaddr.js's IPv4 toString).
  return `${bytes.length === 4 ? bytes.join('.') : ipaddr.fromByteArray([...bytes]).toString()}/${len}`;
}

export function familyOf(cidr: string): Family {
  return cidr.includes(':') ? 6 : 4;
}

/** `FD00:0::1/64` → `fd00::1/64`; a bare address gets /32 or /128. */
export function canonical(cidr: string): string {
  return memo(canonicals, cidr, canonicalUncached);
}

function canonicalUncached(cidr: string): string {
  const p = parse(cidr);
  return p === null ? cidr.toLowerCase() : text(p.bytes, p.len);
}

/** `192.168.88.9/24` → `192.168.88.0/24`. */
export function networkOf(cidr: string): string {
  return memo(networks, cidr, networkUncached);
}

function networkUncached(cidr: string): string {
  const p = parse(cidr);
  if (p === null) return cidr.toLowerCase();
  const bytes = p.bytes.map((b, i) => b & ((0xff << (8 - Math.max(0, Math.min(8, p.len - i * 8)))) & 0xff));
  return text(bytes, p.len);
}

export function prefixLength(cidr: string): number {
  return parse(cidr)?.len ?? (familyOf(cidr) === 4 ? 32 : 128);
}

/** Is the whole of `inner` inside `outer`? On the bytes: no text is made
 *  (isLinkLocal6 asks it of every observed address, every round). */
export function contains(outer: string, inner: string): boolean {
  const o = parse(outer);
  const i = parse(inner);
  if (o === null || i === null || o.family !== i.family || i.len < o.len) return false;
  for (let k = 0; k * 8 < o.len; k++) {
    const mask = (0xff << (8 - Math.min(8, o.len - k * 8))) & 0xff;
    if (((o.bytes[k] ?? 0) & mask) !== ((i.bytes[k] ?? 0) & mask)) return false;
  }
  return true;
}

/** fe80::/10: the kernel makes these itself on every IPv6 link; never ours to remove. */
export function isLinkLocal6(cidr: string): boolean {
  return familyOf(cidr) === 6 && contains('fe80::/10', cidr);
}

/** The prefix route the kernel adds by itself for an address, or null for a
 *  host address (/32, /128), which gets none. */
export function kernelPrefixRoute(addressCidr: string): string | null {
  const len = prefixLength(addressCidr);
  const max = familyOf(addressCidr) === 4 ? 32 : 128;
  return len >= max ? null : networkOf(addressCidr);
}
