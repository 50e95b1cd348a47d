// What the kernel says is there, as plain data. Built by a Kernel backend
// (iproute2, or the fake one in tests) and read by the pure planner.

export type LinkKindName = 'vlan' | 'macvlan' | 'ipvlan' | 'dummy' | 'veth' | 'bridge' | string;

export interface ObservedLink {
  ifindex: number;
  name: string;
  /** `linkinfo.info_kind`; null for a physical NIC or loopback. */
  kind: LinkKindName | null;
  /** ifindex of the lower device (`link` in `ip -d link`), null when none or in another namespace. */
  parentIndex: number | null;
  /** 802.1Q id, for vlan links. */
  vlanId: number | null;
  /** macvlan mode (bridge|vepa|private|passthru|source) or ipvlan mode (l2|l3|l3s). */
  mode: string | null;
  /** ipvlan flag (bridge|private|vepa). */
  ipvlanFlag: string | null;
  mtu: number;
  /** Lower-case colon MAC. */
  mac: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Lower layer up (carrier): operstate UP/UNKNOWN with LOWER_UP. */
  carrier: boolean;
  /** IFF_PROMISC set by someone (not the promiscuity counter). */
  promisc: boolean;
  /** ifalias; ours are `flatnet:<network>[,<network>…]`. */
  alias: string | null;
  /** The largest MTU the driver allows (IFLA_MAX_MTU, `max_mtu` in ip -details; 0 = not reported). */
  maxMtu: number;
  /** An 802.11 device (/sys/class/net/<name>/wireless or phy80211 present). */
  wireless: boolean;
}

export interface ObservedAddress {
  ifindex: number;
  /** `192.168.88.192/27`, `fd00::1/64`. */
  cidr: string;
  family: 4 | 6;
  scope: string;
  /** From DHCP/SLAAC (has a finite valid lifetime). */
  dynamic: boolean;
  /** IPv6: the kernel's duplicate address detection found another host with it (`dadfailed`). */
  dadFailed?: boolean;
}

export interface ObservedRoute {
  /** Destination prefix in canonical CIDR form (`0.0.0.0/0` for default). */
  dst: string;
  family: 4 | 6;
  ifindex: number;
  /** Numeric protocol; 2 = kernel (prefix routes), ours is ROUTE_PROTO. */
  proto: number;
  table: number;
  metric: number;
  scope: string;
  gateway: string | null;
  src: string | null;
}

export interface Observed {
  links: ObservedLink[];
  addresses: ObservedAddress[];
  routes: ObservedRoute[];
  /** How many other network namespaces this one has ids for (`ip netns list-id`).
   *  A container's macvlan on our VLAN parent lives in such a namespace and is
   *  invisible in our dumps, so while any exist a parent is never deleted or
   *  re-made (0 or absent: none). */
  peerNamespaces?: number;
}

export const emptyObserved = (): Observed => ({ links: [], addresses: [], routes: [] });
