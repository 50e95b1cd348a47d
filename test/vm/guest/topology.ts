// What the guest's drop-ins (test/vm/guest/flatnet.d/) ask for, as the
// kernel should show it, and the helpers that compare the kernel against it.

import { addrs, addrsOf, kindOf, links, routes, type IpAddr, type IpLink, type IpRoute } from './lib.js';

export interface NetExpect {
  name: string;
  /** The effective parent: the VLAN link, the dummy, or the NIC itself. */
  parent: string;
  /** Whether flatnetd creates the parent (VLAN, dummy) or it is the NIC. */
  parentOwned: boolean;
  parentKind: 'vlan' | 'dummy' | 'veth';
  vlan?: { lower: string; id: number };
  driver: 'macvlan' | 'ipvlan';
  mode: string;
  shim: string | null;
  shimAddrs: string[];
  routes: string[];
  /** The containers' --ip-range. */
  range: string;
}

export const NETS: readonly NetExpect[] = [
  {
    name: 'lan200', parent: 'lan0.200', parentOwned: true, parentKind: 'vlan', vlan: { lower: 'lan0', id: 200 },
    driver: 'macvlan', mode: 'bridge', shim: 'lan200-shim', shimAddrs: ['192.168.200.192/32'], routes: ['192.168.200.192/27'], range: '192.168.200.192/27',
  },
  {
    name: 'ipvl2', parent: 'lan1', parentOwned: false, parentKind: 'veth',
    driver: 'ipvlan', mode: 'l2', shim: 'ipvl2-shim', shimAddrs: ['10.20.0.250/32'], routes: ['10.20.0.64/26'], range: '10.20.0.64/26',
  },
  {
    name: 'ipvl3', parent: 'lan2', parentOwned: false, parentKind: 'veth',
    driver: 'ipvlan', mode: 'l3', shim: 'ipvl3-shim', shimAddrs: ['10.30.0.250/32'], routes: ['10.30.0.64/26'], range: '10.30.0.64/26',
  },
  {
    name: 'internal', parent: 'dummy-internal', parentOwned: true, parentKind: 'dummy',
    driver: 'macvlan', mode: 'bridge', shim: 'shim-internal', shimAddrs: ['10.40.0.254/32'], routes: ['10.40.0.0/25'], range: '10.40.0.0/25',
  },
  {
    name: 'lan300', parent: 'lan0.300', parentOwned: true, parentKind: 'vlan', vlan: { lower: 'lan0', id: 300 },
    driver: 'macvlan', mode: 'bridge', shim: null, shimAddrs: [], routes: [], range: '',
  },
  {
    name: 'pod210', parent: 'lan0.210', parentOwned: true, parentKind: 'vlan', vlan: { lower: 'lan0', id: 210 },
    driver: 'macvlan', mode: 'bridge', shim: 'pod210-shim', shimAddrs: ['192.168.210.224/32'], routes: ['192.168.210.192/27'], range: '192.168.210.192/27',
  },
];

export function net(name: string): NetExpect {
  const n = NETS.find((x) => x.name === name);
  if (n === undefined) throw new Error(`no expected network ${name}`);
  return n;
}

/** Every link flatnetd makes for these drop-ins. */
export function ownedLinks(): string[] {
  return NETS.flatMap((n) => [...(n.parentOwned ? [n.parent] : []), ...(n.shim ? [n.shim] : [])]);
}

/** Addresses (CIDR, no link-local) per link name, from an `ip -json addr` dump. */
export function addrIndex(dump: readonly IpAddr[]): (name: string) => string[] {
  return (name) => (dump.find((a) => a.ifname === name)?.addr_info ?? [])
    .filter((i) => !i.local.startsWith('fe80')).map((i) => `${i.local}/${i.prefixlen}`).sort();
}

/** Problems with one network as `ip -json` dumps show it; [] when all is as the drop-in asks. */
/** addresses false: the shim's addresses are not looked at (at READY=1 they wait for the ARP probe's answer). */
export function netProblems(n: NetExpect, ls: readonly IpLink[], addrOf: (name: string) => string[], rs: readonly IpRoute[], addresses = true): string[] {
  const p: string[] = [];
  const parent = ls.find((l) => l.ifname === n.parent);
  if (parent === undefined) p.push(`${n.parent}: absent`);
  else {
    if (kindOf(parent) !== n.parentKind) p.push(`${n.parent}: kind ${kindOf(parent)}, want ${n.parentKind}`);
    if (n.vlan) {
      const id = parent.linkinfo?.info_data?.['id'];
      if (id !== n.vlan.id || parent.link !== n.vlan.lower) p.push(`${n.parent}: vlan id ${String(id)} on ${parent.link ?? '?'}, want ${n.vlan.id} on ${n.vlan.lower}`);
    }
    if (n.parentOwned && !(parent.ifalias ?? '').startsWith('flatnet:')) p.push(`${n.parent}: alias "${parent.ifalias ?? ''}", want flatnet:…`);
  }
  if (n.shim !== null) {
    const shim = ls.find((l) => l.ifname === n.shim);
    if (shim === undefined) p.push(`${n.shim}: absent`);
    else {
      const mode = shim.linkinfo?.info_data?.['mode'];
      if (kindOf(shim) !== n.driver || mode !== n.mode) p.push(`${n.shim}: ${kindOf(shim)} ${String(mode)}, want ${n.driver} ${n.mode}`);
      if (shim.link !== n.parent) p.push(`${n.shim}: on ${shim.link ?? '?'}, want on ${n.parent}`);
      const have = addrOf(n.shim);
      if (addresses && JSON.stringify(have) !== JSON.stringify([...n.shimAddrs].sort())) p.push(`${n.shim}: addresses [${have.join(' ')}], want [${n.shimAddrs.join(' ')}]`);
      for (const dst of n.routes) {
        if (!rs.some((x) => x.dst === dst && x.dev === n.shim)) {
          p.push(`route ${dst} dev ${n.shim}: absent (routes via it: ${rs.filter((x) => x.dev === n.shim).map((x) => x.dst).join(' ') || 'none'})`);
        }
      }
    }
  }
  return p;
}

/** Problems of every network against the live kernel. */
export function allProblems(): string[] {
  const ls = links();
  const addrOf = addrIndex(addrs());
  const rs = routes('4');
  return NETS.flatMap((n) => netProblems(n, ls, addrOf, rs).map((x) => `${n.name}: ${x}`));
}

/**
 * The identity of everything flatnetd made: name → ifindex, kind, MAC,
 * addresses, and every route through a shim. Equal snapshots = nothing was
 * re-created, re-addressed or re-routed.
 */
export function snapshot(): Record<string, string> {
  const ls = links();
  const rs = routes('4');
  const out: Record<string, string> = {};
  for (const name of ownedLinks()) {
    const l = ls.find((x) => x.ifname === name);
    out[name] = l === undefined ? 'absent'
      : `#${l.ifindex} ${kindOf(l)} ${l.address ?? ''} [${addrsOf(name).join(' ')}] routes[${rs.filter((r) => r.dev === name).map((r) => `${r.dst}/${r.protocol ?? ''}`).sort().join(' ')}]`;
  }
  return out;
}

export function diffSnapshots(before: Record<string, string>, after: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => before[k] !== after[k]).map((k) => `${k}: ${before[k] ?? 'none'} -> ${after[k] ?? 'none'}`).join('; ');
}

/** Is the IPv4 address inside the CIDR? */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/');
  if (base === undefined || lenText === undefined) return false;
  const toInt = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const len = Number(lenText);
  const size = 2 ** (32 - len);
  const start = Math.floor(toInt(base) / size) * size;
  const x = toInt(ip);
  return x >= start && x < start + size;
}
