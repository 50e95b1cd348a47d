// Pure: what `flatnetctl probe NAME` asks the LAN about (the network's IPv4
// IPRange= addresses and gateways) and how each answer is read: this host's
// own (its shim, its parent, or a container: a macvlan sibling of the shim,
// which answers a probe sent out of the shim but never one sent out of the
// parent, because the kernel does not pass a lower link's own frames to its
// macvlan children) or foreign (another host, a DHCP lease, another host's
// containers).

import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import { familyOf, networkOf, prefixLength } from '../plan/cidr.js';
import { indexKernel } from '../model/observed-index.js';

/** More addresses than a /22 is refused unless forced: a scan is ARP traffic on someone's LAN. */
export const SCAN_MAX_ADDRESSES = 1024;

export interface ScanPlan {
  network: string;
  /** Where the probes go out: the shim (sees this host's containers too) and the parent (sees only other hosts). */
  shim: string | null;
  parent: string;
  targets: string[];
  /** MACs that are this host's own links. */
  ownMacs: Map<string, string>;
  /** The shim's own addresses among the targets: it cannot hear itself, so they are listed as they are. */
  ownAddresses: Occupant[];
}

export type ScanRefusal = { code: 'too-large' | 'nothing-to-scan' | 'no-parent'; message: string };

const toInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export function rangeAddresses(cidr: string): string[] {
  const len = prefixLength(cidr);
  const base = toInt(networkOf(cidr).split('/')[0] ?? '0.0.0.0');
  const count = 2 ** (32 - len);
  return Array.from({ length: count }, (_, i) => toIp(base + i));
}

export function planScan(net: NetworkConfig, observed: Observed, force: boolean): ScanPlan | ScanRefusal {
  const v4ranges = net.ipRanges.filter((r) => familyOf(r) === 4);
  const size = v4ranges.reduce((n, r) => n + 2 ** (32 - prefixLength(r)), 0);
  if (size > SCAN_MAX_ADDRESSES && !force) {
    return { code: 'too-large', message: `${net.name}: IPRange= holds ${size} addresses, more than a /22 (${SCAN_MAX_ADDRESSES}); ask again with --force to scan them` };
  }
  const targets = [...new Set([...net.gateways.filter((g) => !g.includes(':')), ...v4ranges.flatMap(rangeAddresses)])];
  if (targets.length === 0) return { code: 'nothing-to-scan', message: `${net.name}: no IPv4 IPRange= or Gateway= to scan` };
  const k = indexKernel(observed);
  const parent = effectiveParentName(net);
  const p = k.byName.get(parent);
  if (net.parent === null || p === undefined) return { code: 'no-parent', message: `${net.name}: its parent ${parent} is not there; nothing to scan from` };
  const ownMacs = new Map<string, string>([[p.mac, `this host (${parent})`]]);
  const s = net.shim === null ? undefined : k.byName.get(net.shim.name);
  const ownAddresses: Occupant[] = [];
  if (s !== undefined) {
    ownMacs.set(s.mac, `this host (${s.name})`);
    const mine = new Set((k.addresses.get(s.ifindex) ?? []).map((a) => a.cidr.split('/')[0] ?? ''));
    for (const t of targets) if (mine.has(t)) ownAddresses.push({ address: t, mac: s.mac, owner: 'this-host', detail: `this host (${s.name})` });
  }
  return { network: net.name, shim: s?.name ?? null, parent, targets, ownMacs, ownAddresses };
}

export interface Heard { address: string; viaShim: string | null; viaParent: string | null }

export interface Occupant {
  address: string;
  mac: string;
  owner: 'this-host' | 'foreign';
  /** Why: `this host (docker-link)`, `a container of this host`, `another host`. */
  detail: string;
}

export function classify(plan: ScanPlan, heard: readonly Heard[]): Occupant[] {
  const out: Occupant[] = [];
  for (const h of heard) {
    const mac = h.viaParent ?? h.viaShim;
    if (mac === null) continue;
    const own = plan.ownMacs.get(mac);
    if (own !== undefined) out.push({ address: h.address, mac, owner: 'this-host', detail: own });
    else if (h.viaParent === null && plan.shim !== null) out.push({ address: h.address, mac, owner: 'this-host', detail: `a container of this host (answers on ${plan.shim} only)` });
    else out.push({ address: h.address, mac, owner: 'foreign', detail: 'another host on the LAN' });
  }
  return out;
}
