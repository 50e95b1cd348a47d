// Ways the world breaks what flatnetd made, as "another process" would: an
// admin with `ip`, Docker, a DHCP client, a NIC unplugged. Each picks its
// target at random among what exists; one that cannot apply (no target, or
// the kernel refuses) returns null and changes nothing.

import { isOwnedAlias, ROUTE_PROTO } from '../../src/model/ownership.js';
import type { FakeKernel } from './fake-kernel.js';
import { KernelRefusal, type FakeLink } from './fake-net.js';
import type { Rng } from './prng.js';

export type Perturbation = (k: FakeKernel, r: Rng) => string | null;

function owned(k: FakeKernel, filter: (l: FakeLink) => boolean = () => true): FakeLink[] {
  return [...k.net.links.values()].filter((l) => isOwnedAlias(l.alias) && filter(l));
}

const isShim = (l: FakeLink): boolean => l.kind === 'macvlan' || l.kind === 'ipvlan';

function parentName(k: FakeKernel, l: FakeLink): string | null {
  return l.parentIndex === null ? null : k.net.links.get(l.parentIndex)?.name ?? null;
}

/** Delete `l` and make a link of the same name from `spec` (ours when `keepAlias`). */
function remake(k: FakeKernel, l: FakeLink, over: Parameters<FakeKernel['addForeignLink']>[0], keepAlias: boolean): void {
  const alias = l.alias;
  k.deleteLink(l.name);
  k.addForeignLink({ ...over, alias: keepAlias ? alias : null });
}

export const PERTURBATIONS: Readonly<Record<string, Perturbation>> = {
  'delete link': (k, r) => {
    const l = owned(k);
    if (l.length === 0) return null;
    const t = r.pick(l);
    k.deleteLink(t.name);
    return `deleted ${t.name}`;
  },
  'wrong mtu': (k, r) => {
    const t = owned(k);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setMtu(l.name, l.mtu - 100);
    return `mtu of ${l.name} to ${l.mtu}`;
  },
  'wrong mode': (k, r) => {
    const t = owned(k, (l) => isShim(l) && k.net.childrenOf(l.ifindex).length === 0);
    if (t.length === 0) return null;
    const l = r.pick(t);
    const mode = l.kind === 'macvlan' ? (l.mode === 'vepa' ? 'private' : 'vepa') : (l.mode === 'l2' ? 'l3s' : 'l2');
    remake(k, l, { name: l.name, kind: l.kind, parent: parentName(k, l), mode, ipvlanFlag: l.ipvlanFlag }, true);
    return `${l.name} re-made in mode ${mode}`;
  },
  'wrong vlan id': (k, r) => {
    const t = owned(k, (l) => l.kind === 'vlan');
    if (t.length === 0) return null;
    const l = r.pick(t);
    const id = (l.vlanId ?? 0) + 1000;
    // Made again by another tool, with the children that were on it (ours, re-made as they were).
    const kids = k.net.childrenOf(l.ifindex).filter((c) => isOwnedAlias(c.alias)).map((c) => ({ ...c }));
    remake(k, l, { name: l.name, kind: 'vlan', parent: parentName(k, l), vlanId: id }, true);
    for (const c of kids) k.addForeignLink({ name: c.name, kind: c.kind, parent: l.name, mode: c.mode, mac: c.mac, alias: c.alias });
    return `${l.name} re-made with VLAN id ${id} (and ${kids.map((c) => c.name).join(', ') || 'no children'})`;
  },
  'wrong parent': (k, r) => {
    const t = owned(k, (l) => l.kind === 'macvlan' && k.net.childrenOf(l.ifindex).length === 0);
    if (t.length === 0) return null;
    const l = r.pick(t);
    const other = parentName(k, l) === 'enp3s0' ? 'enp3s0.77' : 'enp3s0';
    if (other === 'enp3s0.77' && k.link(other) === undefined) k.addForeignLink({ name: other, kind: 'vlan', parent: 'enp3s0', vlanId: 77 });
    remake(k, l, { name: l.name, kind: 'macvlan', parent: other, mode: l.mode }, true);
    return `${l.name} re-made on ${other}`;
  },
  'foreign link with our name': (k, r) => {
    const t = owned(k);
    if (t.length === 0) return null;
    const l = r.pick(t);
    remake(k, l, { name: l.name, kind: 'bridge' }, false);
    return `${l.name} replaced by someone's bridge`;
  },
  'hand-made twin': (k, r) => {
    const t = owned(k);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setAlias(l.name, null);
    return `${l.name} lost its mark (as if hand-made)`;
  },
  'wrong mark': (k, r) => {
    const t = owned(k);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setAlias(l.name, 'flatnet:someone-else');
    return `${l.name} marked for someone-else`;
  },
  'address missing': (k, r) => {
    const t = owned(k, isShim).flatMap((l) => k.addressesOf(l.name).filter((a) => !a.startsWith('fe80')).map((a) => [l.name, a] as const));
    if (t.length === 0) return null;
    const [name, cidr] = r.pick(t);
    k.removeAddress(name, cidr);
    return `removed ${cidr} from ${name}`;
  },
  'address prefix changed': (k, r) => {
    const t = owned(k, isShim).flatMap((l) => k.addressesOf(l.name).filter((a) => !a.startsWith('fe80')).map((a) => [l.name, a] as const));
    if (t.length === 0) return null;
    const [name, cidr] = r.pick(t);
    const [ip, len] = cidr.split('/');
    const other = `${ip ?? ''}/${Number(len) === 64 || Number(len) === 24 ? Number(len) + 2 : cidr.includes(':') ? 64 : 24}`;
    k.removeAddress(name, cidr);
    k.addAddress(name, other);
    return `${cidr} on ${name} became ${other}`;
  },
  'extra address': (k, r) => {
    const t = owned(k, isShim);
    if (t.length === 0) return null;
    const l = r.pick(t);
    const cidr = r.chance(0.5) ? `198.51.100.${1 + r.int(200)}/24` : `2001:db8::${(1 + r.int(200)).toString(16)}/64`;
    k.addAddress(l.name, cidr);
    return `added ${cidr} to ${l.name}`;
  },
  'dynamic address': (k, r) => {
    const t = owned(k, isShim);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.addAddress(l.name, '2001:db8:88::5e/64', { dynamic: true });
    return `SLAAC gave ${l.name} 2001:db8:88::5e/64`;
  },
  'route missing': (k, r) => {
    const t = k.net.routes.filter((x) => x.proto === ROUTE_PROTO);
    if (t.length === 0) return null;
    const x = r.pick(t);
    const dev = k.net.links.get(x.ifindex)?.name ?? '';
    k.removeRoute({ dst: x.dst, dev, metric: x.metric, proto: ROUTE_PROTO });
    return `removed route ${x.dst} dev ${dev}`;
  },
  'extra route': (k, r) => {
    const t = owned(k, (l) => isShim(l) && l.up);
    if (t.length === 0) return null;
    const l = r.pick(t);
    const ours = r.chance(0.5);
    k.addRoute({ dst: ours ? '203.0.113.0/24' : '198.18.0.0/15', dev: l.name, metric: 7, proto: ours ? ROUTE_PROTO : 3 });
    return `added a ${ours ? 'flatnet' : 'boot'} route on ${l.name}`;
  },
  'link down': (k, r) => {
    const t = owned(k, (l) => l.up);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setUp(l.name, false);
    return `${l.name} set down`;
  },
  'promisc flipped': (k, r) => {
    const t = owned(k);
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setPromisc(l.name, !l.promisc);
    return `promisc of ${l.name} flipped`;
  },
  'wrong mac': (k, r) => {
    const t = owned(k, (l) => l.kind === 'macvlan' && l.mode !== 'passthru');
    if (t.length === 0) return null;
    const l = r.pick(t);
    k.setMac(l.name, '02:00:5e:00:53:01');
    return `MAC of ${l.name} changed`;
  },
  'container on our parent': (k, r) => {
    const t = owned(k, (l) => l.kind === 'vlan' || l.kind === 'dummy');
    if (t.length === 0) return null;
    const l = r.pick(t);
    const name = `ctr${r.int(1000)}`;
    k.addForeignLink({ name, kind: 'macvlan', parent: l.name, mode: 'bridge' });
    return `container link ${name} on ${l.name}`;
  },
  'DHCP moved the LAN': (k) => {
    if (!k.addressesOf('enp3s0').includes('192.168.88.9/24')) return null;
    k.removeAddress('enp3s0', '192.168.88.9/24');
    k.addAddress('enp3s0', '192.168.77.9/24', { dynamic: true, metric: 1024 });
    return 'enp3s0 now 192.168.77.9/24';
  },
  'NIC unplugged': (k) => {
    if (k.link('eth1') === undefined) return null;
    k.deleteLink('eth1');
    return 'eth1 unplugged';
  },
  'shim renamed': (k, r) => {
    const t = owned(k, (l) => isShim(l) && l.name.length <= 11 && k.net.childrenOf(l.ifindex).length === 0);
    if (t.length === 0) return null;
    const l = r.pick(t);
    const name = l.name;
    const routes = k.net.routes.filter((x) => x.ifindex === l.ifindex && x.proto === ROUTE_PROTO);
    k.setUp(name, false);
    k.renameLink(name, `old-${name}`);
    k.setUp(`old-${name}`, true);
    for (const x of routes) k.addRoute({ dst: x.dst, dev: `old-${name}`, metric: x.metric, proto: ROUTE_PROTO });
    return `${name} renamed old-${name}, routes kept`;
  },
};

/** Apply one named perturbation; null when it did not apply. */
export function perturb(k: FakeKernel, r: Rng, name: string): string | null {
  const p = PERTURBATIONS[name];
  if (p === undefined) throw new Error(`no perturbation ${name}`);
  try {
    return p(k, r);
  } catch (e) {
    if (e instanceof KernelRefusal) return null;
    throw e;
  }
}
