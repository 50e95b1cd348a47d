// One drop-in → one NetworkConfig, with the checks that need only this file.
// Any error leaves the network null (invalid), but every diagnostic is still
// returned so `flatnetctl check` shows all of them at once.

import type { Diagnostic, ErrorCode, Place, Severity } from '../errors.js';
import { IPVLAN_FLAGS } from '../kinds/ipvlan.js';
import type { DropinView } from '../kinds/kind.js';
import { driverKind, isDriver, parentKinds, shimKinds, type Driver, type DriverMode } from '../kinds/registry.js';
import { defaultShimName, dummyParentName, type NetworkConfig, type ShimConfig } from '../model/config.js';
import { cidr, containsAddr, containsPrefix, firstContaining, parseAddr, type ParsedPrefix } from './ip.js';
import { collectKeys, networkNameProblem, orList, type Assignment, type Collected } from './keys.js';
import type { UnitSection } from './unitfile.js';

export interface NetworkFromUnit {
  /** The network's name: Name= when it parsed, else the file's stem. */
  name: string;
  network: NetworkConfig | null;
  diagnostics: Diagnostic[];
}

/** `/etc/flatnet.d/10-lan.conf` → `10-lan`. */
export function fileStem(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.endsWith('.conf') ? base.slice(0, -'.conf'.length) : base;
}

/** Typed reads of what collectKeys gathered. */
function valuesOf(c: Collected) {
  const all = (id: string): Assignment[] => c.values.get(id) ?? [];
  const last = (id: string): Assignment | undefined => all(id).at(-1);
  const typed = <T>(id: string, is: (x: unknown) => x is T): T | null => {
    const x = last(id)?.value;
    return is(x) ? x : null;
  };
  return {
    all,
    last,
    str: (id: string): string | null => typed(id, (x): x is string => typeof x === 'string'),
    num: (id: string): number | null => typed(id, (x): x is number => typeof x === 'number'),
    bool: (id: string): boolean | null => typed(id, (x): x is boolean => typeof x === 'boolean'),
    strs: (id: string): string[] => all(id).flatMap((a) => (typeof a.value === 'string' ? [a.value] : [])),
    failed: (id: string): boolean => c.failed.has(id),
  };
}
type Values = ReturnType<typeof valuesOf>;

export function networkFromUnit(path: string, parsed: readonly UnitSection[]): NetworkFromUnit {
  const { collected, diagnostics } = collectKeys(path, parsed);
  const v = valuesOf(collected);
  const report = (severity: Severity, code: ErrorCode, place: Place, message: string): void => {
    diagnostics.push({ severity, code, ...place, message });
  };
  const at = (id: string): Place => v.last(id)?.place ?? { file: path };
  const fileLevel: Place = { file: path };

  const stem = fileStem(path);
  const name = v.str('Network.Name') ?? stem;
  if (v.last('Network.Name') === undefined && !v.failed('Network.Name')) {
    const p = networkNameProblem(stem);
    if (p !== null) report('error', 'invalid-value', fileLevel, `the file name gives the network name "${stem}": ${p}; set Name=`);
  }
  if (!collected.sections.has('Network')) report('error', 'missing-key', fileLevel, 'no [Network] section');

  const view: DropinView = { str: v.str, num: v.num, failed: v.failed, at, report };
  const parent = v.str('Network.Parent');
  const vlan = v.num('Network.VLAN');
  for (const k of parentKinds()) k.checkFile?.(view);
  const effectiveParent = parent === null ? dummyParentName(name) : vlan === null ? parent : `${parent}.${vlan}`;

  const drivers = shimKinds();
  const driverSet = v.str('Network.Driver');
  const driver: Driver = driverSet !== null && isDriver(driverSet) ? driverSet : 'macvlan';
  const kind = driverKind(driver);
  const driverKnown = !v.failed('Network.Driver');
  const modeSet = v.str('Network.Mode');
  if (modeSet !== null && driverKnown && !kind.modes.includes(modeSet)) {
    report('error', 'invalid-value', at('Network.Mode'), `not a mode of Driver=${driver}: must be ${orList(kind.modes)}`);
  }
  // Mode='s parser admits only the drivers' modes, and a default is one.
  const mode = (modeSet ?? kind.defaultMode) as DriverMode;
  // A driver's own keys (IPVlanFlag=) mean nothing to another driver.
  for (const other of drivers) {
    if (other === kind || !driverKnown) continue;
    for (const key of other.keys) {
      const id = `${key.section}.${key.key}`;
      if (v.last(id) !== undefined) report('error', 'invalid-value', at(id), `only with Driver=${other.kind}`);
    }
  }
  const flagSet = v.str('Network.IPVlanFlag');
  const ipvlanFlag = IPVLAN_FLAGS.find((f) => f === flagSet) ?? null;

  const subnets = v.strs('Network.Subnet');
  const gateways = v.strs('Network.Gateway');
  const ipRanges = v.strs('Network.IPRange');
  const mtu = v.num('Network.MTU');
  const promiscuous = v.bool('Network.Promiscuous');

  let shim: ShimConfig | null = null;
  const shimLine = collected.sections.get('Shim');
  if (shimLine !== undefined) {
    const routesExplicit = collected.assigned.has('Shim.Route');
    shim = {
      name: v.str('Shim.Name') ?? defaultShimName(name),
      addresses: v.strs('Shim.Address'),
      routes: routesExplicit ? v.strs('Shim.Route') : [...ipRanges],
      routesExplicit,
      mac: v.str('Shim.MACAddress'),
    };
    const acceptRA = v.bool('Shim.IPv6AcceptRA');
    if (acceptRA !== null) shim.acceptRA = acceptRA;
    const namePlace: Place = v.last('Shim.Name')?.place ?? { file: path, line: shimLine };
    if (shim.name === parent || shim.name === effectiveParent) {
      report('error', 'invalid-value', namePlace,
        `the shim cannot have the name of its parent${v.last('Shim.Name') === undefined ? ' (the default shim name); set Name= in [Shim]' : ''}`);
    }
    kind.checkShim?.(view, driverKnown);
  }

  checkAddresses(v, shim !== null, report);

  const anyV6 = [...subnets, ...gateways, ...ipRanges, ...(shim?.addresses ?? []), ...(shim?.routes ?? [])].some((a) => a.includes(':'));
  if (mtu !== null && mtu < 1280 && anyV6) {
    report('error', 'invalid-value', at('Network.MTU'), 'IPv6 needs an MTU of at least 1280');
  }

  for (const d of diagnostics) d.network ??= name;
  if (diagnostics.some((d) => d.severity === 'error')) return { name, network: null, diagnostics };

  const where: Record<string, Place> = {};
  for (const [id, assigns] of collected.values) {
    const last = assigns[assigns.length - 1];
    if (last !== undefined) where[id] = last.place;
  }
  const network: NetworkConfig = {
    name, file: path, parent, vlan, driver, mode, ipvlanFlag, subnets, gateways, ipRanges, mtu, promiscuous, shim, where,
  };
  const reattach = v.bool('Engine.Reattach');
  const create = v.bool('Engine.Create');
  if (reattach !== null || create !== null) network.engine = { reattach: reattach ?? true, create: create ?? false };
  return { name, network, diagnostics };
}

type Report = (severity: Severity, code: ErrorCode, place: Place, message: string) => void;

/** Gateways, ranges and shim addresses against the subnets (when Subnet= is given; else they follow the parent). */
function checkAddresses(v: Values, hasShim: boolean, report: Report): void {
  const subnetText = v.strs('Network.Subnet');
  const subnets: ParsedPrefix[] = subnetText.map(cidr);
  const checkSubnets = subnets.length > 0 && !v.failed('Network.Subnet');
  const outside = `not inside any Subnet= (${subnetText.join(', ')})`;

  const gateways = v.all('Network.Gateway');
  for (const g of gateways) {
    const a = parseAddr(String(g.value));
    if (checkSubnets && a !== null && !subnets.some((s) => containsAddr(s, a))) report('error', 'invalid-value', g.place, outside);
  }
  const ranges = v.all('Network.IPRange').map((r) => ({ a: r, p: cidr(String(r.value)) }));
  for (const r of ranges) {
    if (checkSubnets && !subnets.some((s) => containsPrefix(s, r.p))) report('error', 'invalid-value', r.a.place, outside);
  }
  if (!hasShim) return;
  const rangeOf = firstContaining(ranges, (r) => r.p);
  for (const addr of v.all('Shim.Address')) {
    const p = cidr(String(addr.value));
    if (checkSubnets && !subnets.some((s) => containsAddr(s, p))) report('error', 'invalid-value', addr.place, outside);
    const gw = gateways.find((g) => g.value === p.text);
    if (gw !== undefined) {
      report('error', 'invalid-value', addr.place, `the address of Gateway=${p.text}; the shim needs an address of its own`);
    }
    const inRange = rangeOf(p);
    if (inRange !== undefined) {
      report('note', 'invalid-value', addr.place,
        `inside IPRange=${String(inRange.a.value)}: Docker must reserve it with --aux-address (flatnetctl docker-args always adds it)`);
    }
  }
}
