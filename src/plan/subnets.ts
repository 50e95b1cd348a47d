// Pure: the subnets a network uses. Subnet= when it says; otherwise the
// global prefixes its parent has now (a network that follows its parent's
// DHCP prefix). The planner routes them, and the status and the emitters
// (docker-args, podman-args, cni-config) show them.

import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import { indexKernel } from '../model/observed-index.js';
import { familyOf, isLinkLocal6, kernelPrefixRoute } from './cidr.js';

/** The network's subnets: Subnet=, or the parent's current prefixes when it follows them. */
export function followedSubnets(net: NetworkConfig, observed: Observed): string[] {
  return net.subnets.length > 0 ? net.subnets : followedPrefixes(effectiveParentName(net), observed);
}

/** Global prefixes on a link now, v4 first: what a network without Subnet= follows. */
export function followedPrefixes(link: string, observed: Observed): string[] {
  const k = indexKernel(observed);
  const l = k.byName.get(link);
  if (l === undefined) return [];
  const out = (k.addresses.get(l.ifindex) ?? [])
    .filter((a) => a.scope === 'global' && !isLinkLocal6(a.cidr))
    .map((a) => kernelPrefixRoute(a.cidr))
    .filter((p): p is string => p !== null);
  return [...new Set(out)].sort((a, b) => familyOf(a) - familyOf(b));
}
