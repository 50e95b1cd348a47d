// Checks across drop-ins: names claimed twice and parents the kernel cannot
// share the way two files ask. Files are taken in lexical order of their names
// and each is checked against those already accepted, so when two conflict the
// earlier keeps working and the later is rejected, with both files named.

import type { Diagnostic, Place } from '../errors.js';
import { dummyParentName, effectiveParentName, type NetworkConfig } from '../model/config.js';

export interface Rejected {
  network: NetworkConfig;
  diagnostics: Diagnostic[];
}

export interface ValidatedSet {
  valid: NetworkConfig[];
  rejected: Rejected[];
  diagnostics: Diagnostic[];
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Lexical order of file names (byte order, as systemd sorts drop-ins), then full path. */
export function compareFiles(a: string, b: string): number {
  const ba = baseName(a);
  const bb = baseName(b);
  if (ba !== bb) return ba < bb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

type Role = 'shim' | 'dummy' | 'vlan' | 'parent';
interface LinkClaim {
  name: string;
  role: Role;
  /** `where` key of the setting that gives this name. */
  id: string;
}

const ROLE_TEXT: Record<Role, string> = { shim: 'shim', dummy: 'dummy parent', vlan: 'VLAN parent', parent: 'parent' };

function claims(n: NetworkConfig): LinkClaim[] {
  const out: LinkClaim[] = [];
  if (n.shim !== null) out.push({ name: n.shim.name, role: 'shim', id: 'Shim.Name' });
  if (n.parent === null) out.push({ name: dummyParentName(n.name), role: 'dummy', id: 'Network.Name' });
  else {
    out.push({ name: n.parent, role: 'parent', id: 'Network.Parent' });
    if (n.vlan !== null) out.push({ name: `${n.parent}.${n.vlan}`, role: 'vlan', id: 'Network.VLAN' });
  }
  return out;
}

/** Shared parents and VLAN links are fine; a shim or dummy of one network is nobody else's link. */
const exclusive = (r: Role): boolean => r === 'shim' || r === 'dummy';

function placeOf(n: NetworkConfig, id: string, key?: string, value?: string): Place {
  const w = n.where[id];
  if (w !== undefined) return w;
  const p: Place = { file: n.file };
  if (key !== undefined) {
    p.key = key;
    p.value = value ?? '';
  }
  return p;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** Exported for the test that checks validateSet() against every pair. */
export function conflictsWith(n: NetworkConfig, m: NetworkConfig): { place: Place; message: string }[] {
  const out: { place: Place; message: string }[] = [];
  if (n.name === m.name) {
    out.push({ place: placeOf(n, 'Network.Name'), message: `network "${n.name}" is already defined by ${m.file}` });
    return out;
  }
  for (const a of claims(n)) {
    for (const b of claims(m)) {
      if (a.name !== b.name || !(exclusive(a.role) || exclusive(b.role))) continue;
      const message = a.role === 'shim' && b.role === 'shim'
        ? `shim name "${a.name}" is already used by ${m.file}`
        : `the ${ROLE_TEXT[a.role]} name "${a.name}" is already the ${ROLE_TEXT[b.role]} of network "${m.name}" in ${m.file}`;
      out.push({ place: placeOf(n, a.id), message });
    }
  }
  // Two links with one MAC on one LAN: the kernel refuses the second on a
  // shared parent ("Address already in use"), and on two parents the LAN's
  // switches would flap between them. Either way, not at the kernel's word.
  const mac = n.shim?.mac ?? null;
  if (mac !== null && mac === (m.shim?.mac ?? null)) {
    out.push({ place: placeOf(n, 'Shim.MACAddress', 'MACAddress', mac), message: `${m.file} already gives its shim this MAC address` });
  }
  if (n.parent === null || m.parent === null) return out;
  const ep = effectiveParentName(n);
  if (ep !== effectiveParentName(m)) return out;
  if (n.driver !== m.driver) {
    out.push({
      place: placeOf(n, 'Network.Driver', 'Driver', n.driver),
      message: `${m.file} already puts ${m.driver} on ${ep} and the kernel refuses macvlan and ipvlan on one parent`,
    });
    return out;
  }
  if (n.driver === 'macvlan' && (n.mode === 'passthru' || m.mode === 'passthru')) {
    out.push(n.mode === 'passthru'
      ? { place: placeOf(n, 'Network.Mode', 'Mode', n.mode), message: `passthru needs ${ep} to itself, but ${m.file} also uses it` }
      : { place: placeOf(n, 'Network.Parent'), message: `${m.file} uses ${ep} in passthru mode, which allows no other child` });
  }
  if (n.driver === 'ipvlan' && n.mode !== m.mode) {
    out.push({
      place: placeOf(n, 'Network.Mode', 'Mode', n.mode),
      message: `${m.file} already uses ipvlan mode ${m.mode} on ${ep} and the kernel keeps one ipvlan mode per parent`,
    });
  }
  if (n.vlan !== null && m.vlan !== null && n.mtu !== null && m.mtu !== null && n.mtu !== m.mtu) {
    out.push({ place: placeOf(n, 'Network.MTU'), message: `${m.file} sets MTU=${m.mtu} on the same VLAN link ${ep}` });
  }
  if (n.promiscuous !== null && m.promiscuous !== null && n.promiscuous !== m.promiscuous) {
    out.push({ place: placeOf(n, 'Network.Promiscuous'), message: `${m.file} sets Promiscuous=${yesNo(m.promiscuous)} on ${ep}` });
  }
  return out;
}

/** Everything conflictsWith() compares: two networks with no key in common
 *  cannot conflict. The links a network names (claims) include its parent and
 *  VLAN link, so a shared effective parent is a shared key too. */
function conflictKeys(n: NetworkConfig): string[] {
  const keys = [`name ${n.name}`, ...claims(n).map((c) => `link ${c.name}`)];
  const mac = n.shim?.mac ?? null;
  if (mac !== null) keys.push(`mac ${mac}`);
  return keys;
}

export function validateSet(networks: readonly NetworkConfig[]): ValidatedSet {
  const sorted = [...networks].sort((a, b) => compareFiles(a.file, b.file));
  const valid: NetworkConfig[] = [];
  const rejected: Rejected[] = [];
  const diagnostics: Diagnostic[] = [];
  // Only networks sharing a name, a link name (parents too) or a MAC can conflict
  // (conflictsWith compares nothing else), so each is checked against those
  // alone, in file order: comparing every pair made 500 drop-ins cost 40 ms.
  const byKey = new Map<string, number[]>();
  for (const n of sorted) {
    const keys = conflictKeys(n);
    const seen = new Set<number>();
    for (const k of keys) for (const i of byKey.get(k) ?? []) seen.add(i);
    const others = [...seen].sort((a, b) => a - b).map((i) => valid[i] as NetworkConfig);
    const problems: Diagnostic[] = others.flatMap((m) =>
      conflictsWith(n, m).map(({ place, message }) => ({
        severity: 'error' as const,
        code: 'duplicate' as const,
        ...place,
        message: `${message}; this network is rejected, ${baseName(m.file)} keeps working`,
        network: n.name,
      })),
    );
    if (problems.length === 0) {
      const index = valid.push(n) - 1;
      for (const k of keys) {
        const list = byKey.get(k);
        if (list === undefined) byKey.set(k, [index]);
        else list.push(index);
      }
    } else {
      rejected.push({ network: n, diagnostics: problems });
      diagnostics.push(...problems);
    }
  }
  return { valid, rejected, diagnostics };
}
