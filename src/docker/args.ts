// The `docker network create` argv that matches a network, so the Docker side
// and the host side can never disagree (the README's `docker network create`, generated).

import { shimHosts, subnetOf } from '../emit/pool.js';
import { driverKind } from '../kinds/registry.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';

/**
 * @param subnets the network's subnets: Subnet= or, when it follows its parent, the parent's current prefixes
 */
export function dockerNetworkCreateArgs(net: NetworkConfig, subnets: readonly string[]): string[] {
  const argv = ['docker', 'network', 'create', '-d', net.driver];
  for (const s of subnets) argv.push(`--subnet=${s}`);
  for (const r of net.ipRanges) argv.push(`--ip-range=${r}`);
  for (const g of net.gateways) argv.push(`--gateway=${g}`);
  // Every shim address is reserved, also one outside an IPRange: Docker may hand
  // out any address of the subnet when a range is not given for that family.
  // Docker refuses an aux address outside every subnet, so only those inside go.
  const shimAddrs = shimHosts(net).filter((a) => subnetOf(subnets, a) !== undefined);
  shimAddrs.forEach((a, i) => argv.push(`--aux-address=${i === 0 ? 'host' : `host${i + 1}`}=${a}`));
  if (subnets.some((s) => s.includes(':'))) argv.push('--ipv6');
  argv.push('-o', `parent=${effectiveParentName(net)}`);
  for (const o of driverKind(net.driver).engine.docker(net)) argv.push('-o', o);
  if (net.parent === null) argv.push('--internal');
  argv.push(net.name);
  return argv;
}
