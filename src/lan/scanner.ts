// Runs a ScanPlan on the LAN: one RFC 5227 probe per address out of the parent
// and one out of the shim, a bounded number at a time (a /27 in about two
// probe waits), so a scan is never a flood.

import type { Arp } from './arp.js';
import { classify, type Heard, type Occupant, type ScanPlan } from './scan.js';

/** Probes (arping processes) at once: a /27 in one probe wait per link. */
export const SCAN_PARALLEL = 32;

export interface ScanReport { network: string; scanned: number; occupants: Occupant[]; errors: string[] }

export async function runScan(arp: Arp, plan: ScanPlan, parallel = SCAN_PARALLEL): Promise<ScanReport> {
  const errors = new Set<string>();
  const own = new Set(plan.ownAddresses.map((o) => o.address));
  const targets = plan.targets.filter((t) => !own.has(t));
  // Out of the parent first, then out of the shim, never both at once for an
  // address: the two answers are compared, and each must be to its own probe.
  const sweep = async (dev: string | null): Promise<Map<string, string>> => {
    const heard = new Map<string, string>();
    if (dev === null) return heard;
    const queue = [...targets];
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        const a = await arp.probe(dev, t);
        if (a.kind === 'error') errors.add(`${dev}: ${a.message}`);
        else if (a.kind === 'held') heard.set(t, a.mac);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, worker));
    return heard;
  };
  const viaParent = await sweep(plan.parent);
  const viaShim = await sweep(plan.shim);
  const heard: Heard[] = targets.map((address) => ({ address, viaShim: viaShim.get(address) ?? null, viaParent: viaParent.get(address) ?? null }));
  const order = new Map(plan.targets.map((t, i) => [t, i] as const));
  const occupants = [...plan.ownAddresses, ...classify(plan, heard)].sort((a, b) => (order.get(a.address) ?? 0) - (order.get(b.address) ?? 0));
  return { network: plan.network, scanned: plan.targets.length, occupants, errors: [...errors] };
}
