// The `podman network create` argv that matches a network, for Podman's
// netavark backend as Debian 12 ships it (podman 4.3, netavark 1.4): macvlan
// only (netavark 1.4 has no ipvlan driver), --subnet required, and --subnet,
// --gateway and --ip-range paired by position. Podman has no --aux-address, so
// a shim address it could hand out is an error here rather than a clash later.

import { FlatnetError } from '../errors.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import { driverKind } from '../kinds/registry.js';
import { familyOfText, hostsOf, inSpan, largestPrefixWithout, one, poolOf, shimHosts, spanOf,
  subnetOf, subtract, toInt, toText, type Span } from './pool.js';
import { placeOf } from '../config/place.js';
import { isRefusal, refusal, shimAddressPlace } from './place.js';

/** A free address just past the range (or before it) for the fix text; null when the subnet has none. */
function addressOutside(range: Span, subnet: string, taken: readonly Span[]): string | null {
  const free = subtract([hostsOf(subnet)], [range, ...taken]);
  const after = free.find((s) => s.first > range.last);
  const before = [...free].reverse().find((s) => s.last < range.first);
  if (after !== undefined) return toText(after.first, after.family);
  return before === undefined ? null : toText(before.last, before.family);
}

function shimInPool(net: NetworkConfig, subnets: readonly string[]): void {
  const taken = [...net.gateways, ...shimHosts(net)].map(one);
  for (const addr of shimHosts(net)) {
    const subnet = subnetOf(subnets, addr);
    if (subnet === undefined) continue;
    const fam = familyOfText(addr);
    const n = toInt(addr);
    const range = net.ipRanges.find((r) => subnetOf([subnet], r) !== undefined && inSpan(spanOf(r), fam, n));
    const pool = poolOf(net, subnet);
    if (!pool.some((s) => inSpan(s, fam, n))) continue;
    const bits = fam === 4 ? 32 : 128;
    const where = range === undefined ? `inside Subnet=${subnet} with no IPRange= of its own, so Podman hands out the whole subnet`
      : `inside IPRange=${range}`;
    const outside = addressOutside(range === undefined ? hostsOf(subnet) : spanOf(range), subnet, taken);
    const narrower = range === undefined ? null : largestPrefixWithout(range, taken);
    const fixes = [
      outside === null ? null : `Address=${outside}/${bits}`,
      narrower === null ? null : `IPRange=${narrower}`,
      range === undefined ? 'an IPRange= that leaves it out' : null,
    ].filter((f): f is string => f !== null);
    throw new FlatnetError('invalid-value',
      `${where}: Podman has no --aux-address and can give this address to a container; use ${fixes.join(' or ')}`,
      shimAddressPlace(net, addr));
  }
}

/**
 * @param subnets the network's subnets: Subnet= or, when it follows its parent, the parent's current prefixes
 * @throws FlatnetError when netavark 1.4 cannot make this network, or could hand out the shim's address
 */
export function podmanNetworkCreateArgs(net: NetworkConfig, subnets: readonly string[]): string[] {
  const options = driverKind(net.driver).engine.podman(net);
  if (isRefusal(options)) throw refusal(net, options);
  if (subnets.length === 0) {
    throw new FlatnetError('invalid-value',
      `netavark's macvlan needs --subnet and ${effectiveParentName(net)} has no address to follow now; set Subnet=`,
      { file: net.file, key: 'Subnet', value: '' });
  }
  // Paired by position: the i-th --gateway and --ip-range belong to the i-th --subnet.
  const gateways = subnets.map((s) => net.gateways.filter((g) => subnetOf([s], g) !== undefined));
  const ranges = subnets.map((s) => net.ipRanges.filter((r) => subnetOf([s], r) !== undefined));
  ranges.forEach((rs, i) => {
    const second = rs[1];
    if (second !== undefined) {
      throw new FlatnetError('unsupported', `a second IPRange= in Subnet=${subnets[i] ?? ''}: Podman takes one --ip-range per --subnet; use one prefix that covers both`,
        placeOf(net, 'Network.IPRange', 'IPRange', second));
    }
  });
  const lastGateway = gateways.reduce((last, g, i) => (g.length > 0 ? i : last), -1);
  gateways.forEach((g, i) => {
    if (g.length === 0 && i < lastGateway) {
      throw new FlatnetError('unsupported', `Subnet=${subnets[i] ?? ''} has no Gateway= but a later subnet has one: Podman pairs --gateway with --subnet by position; give it a Gateway=`,
        { file: net.file, key: 'Subnet', value: subnets[i] ?? '' });
    }
  });
  shimInPool(net, subnets);

  const argv = ['podman', 'network', 'create', '-d', net.driver];
  const lastRange = ranges.reduce((last, r, i) => (r.length > 0 ? i : last), -1);
  subnets.forEach((s, i) => {
    argv.push(`--subnet=${s}`);
    const g = gateways[i]?.[0];
    if (g !== undefined) argv.push(`--gateway=${g}`);
    // A subnet without a range before one with a range gets its whole self, to keep the pairing.
    const r = ranges[i]?.[0] ?? (i < lastRange ? s : undefined);
    if (r !== undefined) argv.push(`--ip-range=${r}`);
  });
  if (subnets.some((s) => s.includes(':'))) argv.push('--ipv6');
  argv.push('-o', `parent=${effectiveParentName(net)}`);
  for (const o of options) argv.push('-o', o);
  if (net.mtu !== null) argv.push('-o', `mtu=${net.mtu}`);
  argv.push(net.name);
  return argv;
}
