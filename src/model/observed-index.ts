// One index per observation: links by name, by ifindex and by parent,
// addresses and main-table routes by link. A view of the kernel as observed,
// read by the planner (plan/) and by the status the loop publishes
// (reconcile/status.ts) alike, so neither borrows it from the other.

import type { Observed, ObservedAddress, ObservedLink, ObservedRoute } from './observed.js';

export interface KernelIndex {
  byName: Map<string, ObservedLink>;
  byIndex: Map<number, ObservedLink>;
  children: Map<number, ObservedLink[]>;
  /** Addresses by ifindex. */
  addresses: Map<number, ObservedAddress[]>;
  /** Routes of the main table by ifindex. */
  mainRoutes: Map<number, ObservedRoute[]>;
  /** IPv4 routes of the main table by prefix: the kernel's key, with the metric, whatever the device. */
  mainV4ByDst: Map<string, ObservedRoute[]>;
  peerNamespaces: number;
}

/** The kernel's main routing table (RT_TABLE_MAIN). */
export const MAIN_TABLE = 254;

/** One index per observation (observations are never changed once made):
 *  the planner, desired state, kernel checks and status all look links up by
 *  name, which at 1,500 links and 500 networks was a walk per network each. */
const indexes = new WeakMap<Observed, KernelIndex>();
let built = 0;

/** Indexes built so far in this process: one per observation a round plans
 *  with, however many parts of the round (kernel checks, the LAN guard,
 *  planner, status) look links up (test/unit/plan/round-cost.test.ts). */
export function indexesBuilt(): number {
  return built;
}

export function indexKernel(observed: Observed): KernelIndex {
  let k = indexes.get(observed);
  if (k === undefined) {
    built++;
    k = buildIndex(observed);
    indexes.set(observed, k);
  }
  return k;
}

function buildIndex(observed: Observed): KernelIndex {
  const byName = new Map<string, ObservedLink>();
  const byIndex = new Map<number, ObservedLink>();
  const children = new Map<number, ObservedLink[]>();
  for (const l of observed.links) {
    byName.set(l.name, l);
    byIndex.set(l.ifindex, l);
    if (l.parentIndex !== null) push(children, l.parentIndex, l);
  }
  const addresses = new Map<number, ObservedAddress[]>();
  for (const a of observed.addresses) push(addresses, a.ifindex, a);
  const mainRoutes = new Map<number, ObservedRoute[]>();
  const mainV4ByDst = new Map<string, ObservedRoute[]>();
  for (const r of observed.routes) {
    if (r.table !== MAIN_TABLE) continue;
    push(mainRoutes, r.ifindex, r);
    if (r.family === 4) push(mainV4ByDst, r.dst, r);
  }
  return { byName, byIndex, children, addresses, mainRoutes, mainV4ByDst, peerNamespaces: observed.peerNamespaces ?? 0 };
}

function push<K, V>(m: Map<K, V[]>, key: K, v: V): void {
  const list = m.get(key);
  if (list === undefined) m.set(key, [v]);
  else list.push(v);
}
