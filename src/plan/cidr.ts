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

function parseUncached(cidr: string): Parsed | null {
  const slash = cidr.indexOf('/');
  const addrText = slash < 0 ? cidr : cidr.slice(0, slash);
  if (!ipaddr.isValid(addrText)) return null;
  const addr = ipaddr.parse(addrText);
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  const len = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  return { bytes: addr.toByteArray(), family, len };
}

function text(bytes: readonly number[], len: number): string {
  return `${ipaddr.fromByteArray([...bytes]).toString()}/${len}`;
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

/** Is the whole of `inner` inside `outer`? */
export function contains(outer: string, inner: string): boolean {
  const o = parse(outer);
  const i = parse(inner);
  if (o === null || i === null || o.family !== i.family || i.len < o.len) return false;
  return networkOf(`${text(i.bytes, i.len).split('/')[0] ?? ''}/${o.len}`) === networkOf(outer);
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
