// The drop-in against the engine network of the same name. Pure. Each
// difference is a diagnostic at the drop-in line that declares the value,
// saying what the engine has and the command that fixes it. An engine network
// cannot be changed in place (`docker network create` is the only way to set
// these), so the fix is to make it again with `flatnetctl docker-args`; a
// shim address the engine may hand out, or one a container already holds, is
// an error: two hosts would answer ARP/NDP for one address.

import type { Diagnostic, Place, Severity } from '../errors.js';
import { cidr, containsAddr, parseAddr, parsePrefixText, prefixText } from '../config/ip.js';
import { driverKind } from '../kinds/registry.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { EngineNetwork } from './types.js';

export interface DriftInput {
  net: NetworkConfig;
  /** The subnets the drop-in means: Subnet= or, when it follows its parent, the parent's prefixes. */
  subnets: readonly string[];
  /** `docker network create …` as flatnetctl docker-args prints it. */
  createArgs: readonly string[];
  engine: EngineNetwork;
  /** 'Docker' | 'Podman', for the messages. */
  engineName: string;
}

/** Canonical `addr/len`, or the text as it is when it is not a prefix. */
function canonPrefix(text: string): string {
  const r = parsePrefixText(text, false);
  return r.ok ? prefixText(r.prefix) : text;
}

function canonAddr(text: string): string {
  return parseAddr(text)?.text ?? text;
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const sameSet = (a: Iterable<string>, b: Iterable<string>): boolean => sorted(a).join(' ') === sorted(b).join(' ');
const shown = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));

export function engineDrift(i: DriftInput): Diagnostic[] {
  const { net, engine } = i;
  const out: Diagnostic[] = [];
  const who = `${i.engineName} network ${engine.name}`;
  // Podman 4.3's Docker-compatible inspect leaves out what netavark keeps as
  // network_interface (the parent) and lease_range (the ip-range), and calls
  // the mode `mode` (recorded: test/fixtures/engine/podman-network-pod210.json):
  // there an absent value is unknown, not different.
  const podman = i.engineName === 'Podman';
  const recreate = podman ? `podman network rm ${net.name} && $(flatnetctl podman-args ${net.name})` : `docker network rm ${net.name} && ${i.createArgs.join(' ')}`;
  const place = (...keys: string[]): Place => {
    for (const k of keys) {
      const p = net.where[k];
      if (p !== undefined) return p;
    }
    return { file: net.file };
  };
  const report = (severity: Severity, at: Place, message: string, fix = recreate): void => {
    out.push({ severity, code: 'engine', network: net.name, ...at, message: `${message}; fix: ${fix}` });
  };

  if (engine.driver !== net.driver) report('error', place('Network.Driver'), `${who} has driver ${engine.driver}, the drop-in ${net.driver}`);
  const parent = effectiveParentName(net);
  const engineParent = engine.options['parent'] ?? '';
  if (engineParent !== parent && !(podman && engineParent === '')) report('error', place('Network.VLAN', 'Network.Parent'), `${who} has parent=${engineParent || '(none)'}, the drop-in ${parent}`);
  if (engine.driver === net.driver) {
    for (const d of driverKind(net.driver).engine.drift(net, engine.options)) report('error', place(d.id), `${who} ${d.message}`);
  }

  const engineSubnets = engine.pools.map((p) => canonPrefix(p.subnet));
  const wantSubnets = i.subnets.map(canonPrefix);
  if (wantSubnets.length > 0 && !sameSet(engineSubnets, wantSubnets)) {
    report('error', place('Network.Subnet'), `${who} has subnets ${shown(sorted(engineSubnets))}, the drop-in ${shown(sorted(wantSubnets))}`);
  }
  const engineRanges = engine.pools.map((p) => p.ipRange).filter((r) => r !== '').map(canonPrefix);
  if (!sameSet(engineRanges, net.ipRanges.map(canonPrefix)) && !(podman && engineRanges.length === 0)) {
    report('error', place('Network.IPRange'), `${who} has ip-ranges ${shown(sorted(engineRanges))}, the drop-in ${shown(sorted(net.ipRanges))}`);
  }
  if (net.gateways.length > 0) {
    const engineGws = engine.pools.map((p) => p.gateway).filter((g) => g !== '').map(canonAddr);
    if (!sameSet(engineGws, net.gateways.map(canonAddr))) {
      report('error', place('Network.Gateway'), `${who} has gateways ${shown(sorted(engineGws))}, the drop-in ${shown(sorted(net.gateways))}`);
    }
  }
  const internal = net.parent === null;
  if (engine.internal !== internal) {
    report('warning', place('Network.Parent'), `${who} is ${engine.internal ? '' : 'not '}--internal, the drop-in ${internal ? 'has no Parent= (internal)' : 'has a Parent='}`);
  }
  const v6 = wantSubnets.some((s) => s.includes(':'));
  if (engine.ipv6 !== v6 && wantSubnets.length > 0) {
    report('warning', place('Network.Subnet'), `${who} has IPv6 ${engine.ipv6 ? 'on' : 'off'}, the drop-in ${v6 ? 'an IPv6 subnet' : 'no IPv6 subnet'}`);
  }

  shimAddresses(i, who, recreate, place('Shim.Address'), out);
  return out;
}

/** Every shim address kept out of the engine's hands, and no container on one. */
function shimAddresses(i: DriftInput, who: string, recreate: string, at: Place, out: Diagnostic[]): void {
  const shim = i.net.shim;
  if (shim === null) return;
  for (const a of shim.addresses) {
    const addr = parseAddr(a.split('/')[0] ?? a);
    if (addr === null) continue;
    const holder = i.engine.endpoints.find((e) => canonAddr(e.ipv4) === addr.text || canonAddr(e.ipv6) === addr.text);
    if (holder !== undefined) {
      out.push({ severity: 'error', code: 'engine', network: i.net.name, ...at,
        message: `container ${holder.name} holds the shim's address ${addr.text} in ${who}: two hosts answer ARP/NDP for it; fix: docker network disconnect ${i.net.name} ${holder.name} && docker network connect ${i.net.name} ${holder.name}, after making the network again (${recreate})` });
      continue;
    }
    const pool = i.engine.pools.find((p) => p.subnet !== '' && containsAddr(cidr(canonPrefix(p.subnet)), addr));
    if (pool === undefined) continue; // outside every subnet: the engine never hands it out
    const aux = Object.values(pool.aux).map(canonAddr).includes(addr.text);
    const outsideRange = pool.ipRange !== '' && !containsAddr(cidr(canonPrefix(pool.ipRange)), addr);
    const isGateway = canonAddr(pool.gateway) === addr.text;
    // Podman's inspect shows no ip-range (see engineDrift): whether the address is outside it cannot be told.
    const rangeUnknown = i.engineName === 'Podman' && pool.ipRange === '';
    if (!aux && !outsideRange && !isGateway && !rangeUnknown) {
      out.push({ severity: 'error', code: 'engine', network: i.net.name, ...at,
        message: `${who} may hand the shim's address ${addr.text} to a container (no --aux-address for it${pool.ipRange !== '' ? `, and it is inside --ip-range ${pool.ipRange}` : ' and no --ip-range'}); fix: ${recreate}` });
    }
  }
}
