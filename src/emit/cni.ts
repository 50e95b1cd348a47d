// The CNI network configuration (a conflist) that matches a network on this
// node: the reference `macvlan`/`ipvlan` plugin on the effective parent, and
// `host-local` IPAM over this node's IPRange= split around every shim address
// and gateway. host-local (containernetworking-plugins 1.1.1) has no exclude
// list; a range set of several ranges in one subnet is its way to leave
// addresses out (it refuses ranges that overlap, not ranges that share a subnet).

import { FlatnetError } from '../errors.js';
import { driverKind } from '../kinds/registry.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import { familyOfText, one, poolOf, shimHosts, subnetOf, subtract, toText, type Family } from './pool.js';
import { placeOf } from '../config/place.js';
import { isRefusal, refusal } from './place.js';

/** CHECK came with spec 0.4.0; Debian 12's plugins (1.1.1), containerd 1.6 and Multus all speak it. */
export const CNI_VERSION = '0.4.0';

export interface HostLocalRange {
  subnet: string;
  rangeStart: string;
  rangeEnd: string;
  gateway?: string;
}

export interface CniConflist {
  cniVersion: string;
  name: string;
  plugins: [Record<string, unknown>];
}

function rangeSet(net: NetworkConfig, subnets: readonly string[], family: Family): HostLocalRange[] {
  const avoid = [...net.gateways, ...shimHosts(net)].map(one);
  return subnets.filter((s) => familyOfText(s) === family).flatMap((subnet) => {
    const gateway = net.gateways.find((g) => subnetOf([subnet], g) !== undefined);
    return subtract(poolOf(net, subnet), avoid).map((s) => ({
      subnet, rangeStart: toText(s.first, s.family), rangeEnd: toText(s.last, s.family),
      ...(gateway === undefined ? {} : { gateway }),
    }));
  });
}

/**
 * @param subnets the network's subnets: Subnet= or, when it follows its parent, the parent's current prefixes
 * @throws FlatnetError when the network cannot be given to a CNI runtime as it is written
 */
export function cniConflist(net: NetworkConfig, subnets: readonly string[]): CniConflist {
  if (net.ipRanges.length === 0) {
    throw new FlatnetError('missing-key',
      'cni-config needs IPRange=: host-local on each node hands out addresses on its own, so every node needs a range of its own, disjoint from the others\' and from the DHCP pool',
      { file: net.file, key: 'IPRange', value: '' });
  }
  if (subnets.length === 0) {
    throw new FlatnetError('invalid-value',
      `${effectiveParentName(net)} has no address to follow now; set Subnet= so host-local knows the subnet`,
      { file: net.file, key: 'Subnet', value: '' });
  }
  const bare = subnets.find((s) => !net.ipRanges.some((r) => subnetOf([s], r) !== undefined));
  if (bare !== undefined) {
    throw new FlatnetError('missing-key',
      `Subnet=${bare} has no IPRange= inside it: host-local would hand out the whole subnet on every node; give it a range of this node's own`,
      { file: net.file, key: 'IPRange', value: '' });
  }
  const fields = driverKind(net.driver).engine.cni(net);
  if (isRefusal(fields)) throw refusal(net, fields);
  const ranges = ([4, 6] as const).map((f) => rangeSet(net, subnets, f)).filter((r) => r.length > 0);
  if (ranges.length === 0) {
    throw new FlatnetError('invalid-value', 'IPRange= has no address left for pods once the shim\'s and the gateway are taken out',
      placeOf(net, 'Network.IPRange', 'IPRange', net.ipRanges[0] ?? ''));
  }
  const plugin: Record<string, unknown> = {
    type: net.driver,
    master: effectiveParentName(net),
    ...fields,
    ...(net.mtu === null ? {} : { mtu: net.mtu }),
    ipam: { type: 'host-local', ranges },
  };
  return { cniVersion: CNI_VERSION, name: net.name, plugins: [plugin] };
}

/**
 * A Multus NetworkAttachmentDefinition carrying the conflist. host-local keeps
 * its state per node, so spec.config with this node's range fits one node;
 * for more, see flatnetctl(1): one NAD without spec.config and each node's
 * conflist in /etc/cni/multus/net.d.
 */
export function multusAttachment(conflist: CniConflist): Record<string, unknown> {
  return {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: conflist.name },
    spec: { config: JSON.stringify(conflist, null, 2) },
  };
}

/** The same, as YAML for kubectl apply: the config as a literal block, so it reads as the JSON it is. */
export function multusAttachmentYaml(conflist: CniConflist): string {
  const config = JSON.stringify(conflist, null, 2).split('\n').map((l) => `    ${l}`);
  return [
    '# One node\'s range (host-local allocates per node). With more nodes, apply this',
    '# without spec.config and put each node\'s `flatnetctl cni-config` output in',
    `# /etc/cni/multus/net.d/${conflist.name}.conflist on that node.`,
    'apiVersion: k8s.cni.cncf.io/v1',
    'kind: NetworkAttachmentDefinition',
    'metadata:',
    `  name: ${JSON.stringify(conflist.name)}`,
    'spec:',
    '  config: |',
    ...config,
  ].join('\n');
}
