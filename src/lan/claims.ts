// Pure: which shim IPv4 addresses must be asked about on the LAN before they
// are assigned (RFC 5227), and what a network looks like with the addresses
// another host holds taken out. No I/O; the guard (guard.ts) does the asking.

import type { Diagnostic } from '../errors.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import { canonical, familyOf } from '../plan/cidr.js';
import { indexKernel } from '../model/observed-index.js';

/** One IPv4 address a network's shim wants. */
export interface Claim {
  network: string;
  shim: string;
  /** The effective parent: probes go out of it, the shim may not exist yet. */
  parent: string;
  /** `192.168.88.192/32` as the drop-in gives it, canonical. */
  cidr: string;
  /** `192.168.88.192`. */
  addr: string;
  /** Identity of the claim: the address for this shim with this MAC. A new
   *  drop-in, an edited address or a shim re-made with another MAC is a new
   *  claim and is probed again; a heal of the same shim is not. */
  key: string;
  /** The address is on the shim now: it is ours, nothing to ask. */
  assigned: boolean;
  /** The parent exists, so a probe can be sent out of it (one made this run exists from the next round on). */
  parentExists: boolean;
}

const bare = (cidr: string): string => cidr.split('/')[0] ?? cidr;

export function claimsOf(networks: readonly NetworkConfig[], observed: Observed): Claim[] {
  const k = indexKernel(observed);
  const out: Claim[] = [];
  for (const n of networks) {
    // An internal network (dummy parent) has no LAN to ask.
    if (n.shim === null || n.parent === null) continue;
    const parent = effectiveParentName(n);
    const p = k.byName.get(parent);
    const s = k.byName.get(n.shim.name);
    const onShim = new Set((s === undefined ? [] : k.addresses.get(s.ifindex) ?? []).map((a) => bare(a.cidr)));
    for (const raw of n.shim.addresses) {
      const cidr = canonical(raw);
      if (familyOf(cidr) !== 4) continue;
      const addr = bare(cidr);
      out.push({
        network: n.name, shim: n.shim.name, parent, cidr, addr,
        key: `${n.name}\0${n.shim.name}\0${addr}\0${n.driver}\0${n.shim.mac ?? ''}`,
        assigned: onShim.has(addr),
        parentExists: p !== undefined,
      });
    }
  }
  return out;
}

/** A shim IPv6 address the kernel's own DAD found duplicated (`dadfailed`). */
export interface DadFailure { network: string; shim: string; cidr: string; addr: string }

export function dadFailures(networks: readonly NetworkConfig[], observed: Observed): DadFailure[] {
  const k = indexKernel(observed);
  const out: DadFailure[] = [];
  for (const n of networks) {
    if (n.shim === null) continue;
    const s = k.byName.get(n.shim.name);
    if (s === undefined) continue;
    const want = new Set(n.shim.addresses.map(canonical));
    for (const a of k.addresses.get(s.ifindex) ?? []) {
      if (a.dadFailed === true && want.has(canonical(a.cidr))) out.push({ network: n.name, shim: n.shim.name, cidr: canonical(a.cidr), addr: bare(a.cidr) });
    }
  }
  return out;
}

export function dadDiagnostic(net: NetworkConfig | undefined, f: DadFailure): Diagnostic {
  const where = net?.where['Shim.Address'];
  return {
    ...(where === undefined ? { object: f.shim } : { ...where, value: f.addr }),
    severity: 'error', code: 'address-in-use', network: f.network,
    message: `${f.addr} failed duplicate address detection on ${f.shim}: another host on the LAN has it (the kernel keeps it unused); \`flatnetctl reconcile\` tries again`,
  };
}

/** The networks with the withheld addresses taken out of their shims (new objects; the input is not touched). */
export function withhold(networks: readonly NetworkConfig[], withheld: ReadonlyMap<string, ReadonlySet<string>>): NetworkConfig[] {
  return networks.map((n) => {
    const w = withheld.get(n.name);
    if (n.shim === null || w === undefined || w.size === 0) return n;
    return { ...n, shim: { ...n.shim, addresses: n.shim.addresses.filter((a) => !w.has(canonical(a))) } };
  });
}

/** `192.168.88.192 is in use on the LAN by 02:…` with the drop-in's place. */
export function heldDiagnostic(net: NetworkConfig | undefined, c: Claim, mac: string): Diagnostic {
  const where = net?.where['Shim.Address'];
  return {
    ...(where === undefined ? { object: c.shim } : { ...where, value: c.addr }),
    severity: 'error', code: 'address-in-use', network: c.network,
    message: `${c.addr} is in use on the LAN by ${mac} (it answered an ARP probe on ${c.parent}); not assigned to ${c.shim}; \`flatnetctl reconcile\` asks again`,
  };
}
