// Pure: the MAC a macvlan shim without MACAddress= should have. A MAC is what
// the LAN knows the host's side of a network by (the ARP caches of containers
// and routers, DHCP reservations): changing it costs every neighbour its ARP
// entry, a container pinging the host lost most packets for seconds (issue 12).
// So flatnetd picks a MAC only when it makes a shim, and then the one the
// network already had where it can:
// 1. a shim that exists keeps the MAC it has (hand-made and adopted, made
//    before the network's Name= changed, or set by hand): MACAddress= is the
//    only way to have flatnetd change it;
// 2. a shim made because its Name= changed takes the MAC of the owned shim of
//    the same network it replaces on the same parent (diff.ts deletes that one
//    first: two macvlans with one MAC cannot both be up on a parent);
// 3. otherwise the stable MAC (desired.ts stableMac: machine id + network);
// 4. and if a link that stays has that one up on the same parent, a spare
//    stable MAC (the same hash with a counter), so the shim can come up.

import type { DesiredLink } from '../model/desired.js';
import type { ObservedLink } from '../model/observed.js';
import { aliasNetworks, isOwnedAlias } from '../model/ownership.js';
import type { KernelIndex } from '../model/observed-index.js';

/** A macvlan with a MAC of its own (a passthru child has its parent's). */
function ownsMac(l: ObservedLink): boolean {
  return l.kind === 'macvlan' && l.mode !== 'passthru';
}

/** How many other stable MACs a shim may try when its own is taken. */
const SPARE_MACS = 8;

/** The MAC `link` (a macvlan shim, not named by MACAddress=) keeps or takes
 *  over; null when it has none to keep. `wanted`: every desired link's name. */
function previousMac(link: DesiredLink, wanted: ReadonlySet<string>, k: KernelIndex): string | null {
  const have = k.byName.get(link.name);
  if (have !== undefined) return ownsMac(have) ? have.mac.toLowerCase() : null;
  const parent = link.parent === null ? undefined : k.byName.get(link.parent);
  if (parent === undefined) return null;
  const before = (k.children.get(parent.ifindex) ?? []).find((o) => !wanted.has(o.name) && ownsMac(o)
    && aliasNetworks(o.alias).some((n) => link.networks.includes(n)));
  return before === undefined ? null : before.mac.toLowerCase();
}

/**
 * Sets the MAC of every shim in `derived` (macvlans without MACAddress=):
 * the one it keeps or takes over, else its stable MAC, else (both taken) the
 * first free one of `spare(1)`, `spare(2)` … A MAC is taken on a parent when
 * the parent has it, when a macvlan that stays there is up with it (anyone's,
 * or another wanted one's; an owned one going away goes first, macHolder), or
 * when a shim decided before has it: the kernel would refuse to bring this one
 * up, and the plan would fail the same way every round. `links`: every
 * desired link, those with MACAddress= included (they are never moved).
 */
export function chooseMacs(links: readonly DesiredLink[], derived: ReadonlySet<DesiredLink>, k: KernelIndex,
  spare: (link: DesiredLink, i: number) => string): void {
  const wanted = new Set(links.map((l) => l.name));
  // Per parent name, built once: MAC → names of the macvlans that hold it and
  // stay (one walk of the children per parent, not one per shim per MAC).
  const held = new Map<string, Map<string, string[]>>();
  const holders = (parent: ObservedLink): Map<string, string[]> => {
    let m = held.get(parent.name);
    if (m !== undefined) return m;
    m = new Map([[parent.mac.toLowerCase(), [parent.name]]]);
    for (const c of k.children.get(parent.ifindex) ?? []) {
      if (!c.up || !ownsMac(c) || (!wanted.has(c.name) && isOwnedAlias(c.alias))) continue;
      const mac = c.mac.toLowerCase();
      m.set(mac, [...(m.get(mac) ?? []), c.name]);
    }
    held.set(parent.name, m);
    return m;
  };
  const claimed = new Map<string, Set<string>>();
  const claim = (l: DesiredLink): void => {
    if (l.mac === null || l.parent === null) return;
    const set = claimed.get(l.parent) ?? new Set<string>();
    set.add(l.mac);
    claimed.set(l.parent, set);
  };
  for (const l of links) if (l.kind === 'macvlan' && !derived.has(l)) claim(l);
  for (const l of links) {
    if (!derived.has(l) || l.mac === null) continue;
    const parent = l.parent === null ? undefined : k.byName.get(l.parent);
    if (parent === undefined) continue;
    const taken = (mac: string): boolean => claimed.get(parent.name)?.has(mac) === true
      || (holders(parent).get(mac) ?? []).some((name) => name !== l.name);
    const stable = l.mac;
    const before = previousMac(l, wanted, k);
    let mac = before !== null && !taken(before) ? before : stable;
    for (let i = 1; i <= SPARE_MACS && taken(mac); i++) mac = spare(l, i);
    l.mac = taken(mac) ? stable : mac;
    claim(l);
  }
}

/** For the owned links going away: which must go before anything is made,
 *  because a wanted macvlan on the same parent will have its MAC (the kernel
 *  refuses to bring up, or give a MAC to, a macvlan whose MAC an up sibling
 *  has: `Address already in use`, test/fixtures/kernel/macvlan-mac-busy.txt).
 *  The function returned names the wanted link that needs `o`'s MAC, or null. */
export function macHolders(links: readonly DesiredLink[], k: KernelIndex): (o: ObservedLink) => string | null {
  const needs = new Map<string, string>();
  for (const l of links) if (l.kind === 'macvlan' && l.mac !== null && l.parent !== null) needs.set(`${l.parent}\0${l.mac}`, l.name);
  return (o) => {
    if (o.kind !== 'macvlan' || o.parentIndex === null) return null;
    const name = needs.get(`${k.byIndex.get(o.parentIndex)?.name ?? ''}\0${o.mac.toLowerCase()}`);
    return name === undefined || name === o.name ? null : name;
  };
}
