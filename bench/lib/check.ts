// Is the kernel right? One dump of links, addresses and routes, then every
// network's shim checked the way a user would: a macvlan on its parent, up,
// with its address and the route to the containers' range. A fast wrong
// answer is not a result, so every scenario ends here.

import { ipJson } from './netns.js';
import type { BenchNet } from './topology.js';

interface IpLink {
  ifname: string;
  link?: string;
  flags?: string[];
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
}
interface IpAddr { ifname: string; addr_info?: { family?: string; local?: string; prefixlen?: number }[] }
interface IpRoute { dst?: string; dev?: string; protocol?: string }

export interface CheckOptions {
  /** Made by flatnetd: the alias `flatnet:<net>` and route protocol 233 are required too. */
  owned: boolean;
  /** false: the shim's address may still be missing (at READY=1 it waits for the ARP probe's answer). */
  addresses?: boolean;
}

export async function checkNetworks(ns: string, nets: readonly BenchNet[], o: CheckOptions): Promise<string[]> {
  const [links, addrs, routes] = await Promise.all([
    ipJson<IpLink[]>(ns, ['-details', 'link', 'show']),
    ipJson<IpAddr[]>(ns, ['-4', 'address', 'show']),
    ipJson<IpRoute[]>(ns, ['-N', '-4', 'route', 'show']),
  ]);
  const linkBy = new Map(links.map((l) => [l.ifname, l]));
  const addrBy = new Map(addrs.map((a) => [a.ifname, (a.addr_info ?? []).filter((i) => i.family === 'inet').map((i) => `${i.local ?? '?'}/${i.prefixlen ?? '?'}`)]));
  const problems: string[] = [];
  for (const n of nets) {
    const l = linkBy.get(n.shim);
    if (l === undefined) { problems.push(`${n.shim}: missing`); continue; }
    if (l.linkinfo?.info_kind !== 'macvlan') problems.push(`${n.shim}: kind ${l.linkinfo?.info_kind ?? 'none'}, want macvlan`);
    if (l.link !== n.parent) problems.push(`${n.shim}: on ${l.link ?? 'no parent'}, want ${n.parent}`);
    if (!(l.flags ?? []).includes('UP')) problems.push(`${n.shim}: not up`);
    const alias = l.ifalias ?? '';
    if (o.owned && !(alias.startsWith('flatnet:') && alias.slice('flatnet:'.length).split(',').includes(n.name))) {
      problems.push(`${n.shim}: alias ${JSON.stringify(l.ifalias ?? '')}, want flatnet:${n.name}`);
    }
    if (o.addresses !== false && !(addrBy.get(n.shim) ?? []).includes(n.address)) problems.push(`${n.shim}: no address ${n.address} (has ${(addrBy.get(n.shim) ?? []).join(' ') || 'none'})`);
    const r = routes.find((x) => x.dst === n.range && x.dev === n.shim);
    if (r === undefined) problems.push(`${n.shim}: no route ${n.range} dev ${n.shim}`);
    else if (o.owned && r.protocol !== '233') problems.push(`${n.shim}: route ${n.range} has protocol ${r.protocol ?? '?'}, want 233`);
  }
  return problems;
}

/** Throws with the first problems when the kernel is not right. */
export async function assertCorrect(what: string, ns: string, nets: readonly BenchNet[], o: CheckOptions): Promise<void> {
  const p = await checkNetworks(ns, nets, o);
  if (p.length > 0) throw new IncorrectError(`${what}: ${p.length} problem(s): ${p.slice(0, 5).join('; ')}${p.length > 5 ? '; …' : ''}`);
}

/** The daemon (or the recipe) left the kernel wrong: the bench must exit non-zero. */
export class IncorrectError extends Error {}
