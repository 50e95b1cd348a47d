// What the router on the far side of the cable needs for a network, written in
// the router's own syntax for a person to review: the VLAN interface on the
// bridge, the gateway address on it, and a DHCP pool that stays out of the
// addresses the containers and the shim use. Nothing here is sent anywhere.
//
// Syntax checked against the vendors' documentation: RouterOS 7
// (help.mikrotik.com: /interface/vlan add interface= vlan-id= name=;
// /ip/address add address=A/LEN interface=; /ip/pool add ranges=A-B,C-D) and
// OpenWrt 21.02+ (openwrt.org network and DHCP guides: an interface whose
// device is `br-lan.<vid>` gets its 802.1Q device from netifd; `ipaddr` takes
// CIDR; dnsmasq's pool is `start` (offset from the network address) and `limit`).

import { FlatnetError } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import { familyOfText, hostsOf, one, prefixLen, shimHosts, size, spanOf, spanText, subnetOf, subtract, type Span } from './pool.js';

export const ROUTERS = ['routeros', 'openwrt'] as const;
export type Router = (typeof ROUTERS)[number];

export function isRouter(s: string): s is Router {
  return (ROUTERS as readonly string[]).includes(s);
}

/** The facts both routers' hints are made of. */
interface Facts {
  name: string;
  vlan: number | null;
  /** Each IPv4 subnet with what its DHCP pool must leave alone and what it may use. */
  v4: { subnet: string; gateway: string | undefined; hasRange: boolean; reserved: string[]; free: Span[] }[];
  v6: { subnet: string; gateway: string | undefined }[];
}

function facts(net: NetworkConfig, subnets: readonly string[]): Facts {
  const gatewayIn = (s: string): string | undefined => net.gateways.find((g) => subnetOf([s], g) !== undefined);
  const v4 = subnets.filter((s) => familyOfText(s) === 4).map((subnet) => {
    const ranges = net.ipRanges.filter((r) => subnetOf([subnet], r) !== undefined);
    const shims = shimHosts(net).filter((a) => subnetOf([subnet], a) !== undefined);
    const shimsOutside = shims.filter((a) => subnetOf(ranges, a) === undefined);
    const gateway = gatewayIn(subnet);
    const cut = [...ranges.map(spanOf), ...shims.map(one), ...(gateway === undefined ? [] : [one(gateway)])];
    // With no IPRange= the engine may hand out the whole subnet: no pool is safe.
    const free = ranges.length === 0 ? [] : subtract([hostsOf(subnet)], cut);
    const reserved = [...ranges.map((r) => `IPRange=${r} (${spanText(spanOf(r))})`), ...shimsOutside.map((a) => `the shim's ${a}`)];
    return { subnet, gateway, hasRange: ranges.length > 0, reserved, free };
  });
  const v6 = subnets.filter((s) => familyOfText(s) === 6).map((subnet) => ({ subnet, gateway: gatewayIn(subnet) }));
  return { name: net.name, vlan: net.vlan, v4, v6 };
}

function largest(spans: readonly Span[]): Span | undefined {
  return spans.reduce<Span | undefined>((best, s) => (best === undefined || size(s) > size(best) ? s : best), undefined);
}

function poolAdvice(f: Facts, check: (subnet: string) => string[]): string[] {
  const out: string[] = [];
  for (const s of f.v4) {
    out.push(`# DHCP on ${s.subnet}: the pool must not reach ${s.reserved.join(', ') || 'the shim'}.`);
    if (s.free.length === 0) {
      out.push(`#   ${!s.hasRange ? 'No IPRange= is set, so containers may get any address of the subnet: set IPRange= and keep DHCP out of it.' : 'No address is left for a DHCP pool in this subnet.'}`);
      continue;
    }
    out.push(`#   Addresses it may use: ${s.free.map(spanText).join(', ')}.`);
    out.push(...check(s.subnet));
  }
  if (f.v6.length > 0) {
    out.push(`# IPv6 (${f.v6.map((s) => s.subnet).join(', ')}): containers take static addresses from IPRange=; keep DHCPv6 ranges out of it too.`);
  }
  return out;
}

function routeros(f: Facts): string[] {
  const out = [`# RouterOS hints for flatnetd network "${f.name}": advice to review, not configuration pushed anywhere.`];
  if (f.vlan !== null) {
    const iface = `vlan${f.vlan}-${f.name}`;
    out.push(
      `# VLAN ${f.vlan} on the bridge the host's port belongs to ("bridge" in the default configuration; use yours).`,
      `/interface/vlan/add interface=bridge vlan-id=${f.vlan} name=${iface}`,
      `# With vlan-filtering=yes on the bridge, the VLAN must also be tagged on the bridge and the host's port (ether2 here: use yours):`,
      `#   /interface/bridge/vlan/add bridge=bridge tagged=bridge,ether2 vlan-ids=${f.vlan}`,
    );
    for (const s of [...f.v4, ...f.v6]) {
      if (s.gateway === undefined) out.push(`# Subnet=${s.subnet} has no Gateway=: give the router an address in it (outside IPRange=) and name it in Gateway=.`);
      else out.push(`${familyOfText(s.subnet) === 4 ? '/ip/address/add' : '/ipv6/address/add'} address=${s.gateway}/${prefixLen(s.subnet)} interface=${iface}${familyOfText(s.subnet) === 6 ? ' advertise=no' : ''}`);
    }
    for (const s of f.v4) {
      const pool = largest(s.free);
      if (pool === undefined) continue;
      out.push(`# A DHCP server for VLAN ${f.vlan} (leave it out if the containers' static addresses are all it carries):`,
        `/ip/pool/add name=${iface} ranges=${s.free.map(spanText).join(',')}`,
        `/ip/dhcp-server/add name=${iface} interface=${iface} address-pool=${iface}`,
        `/ip/dhcp-server/network/add address=${s.subnet}${s.gateway === undefined ? '' : ` gateway=${s.gateway}`}`);
    }
  }
  out.push(...poolAdvice(f, () => ['#   Check the pools in use: /ip/pool/print']));
  return out;
}

function uciName(name: string): string {
  return `fn_${name.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
}

function openwrt(f: Facts): string[] {
  const out = [`# OpenWrt hints for flatnetd network "${f.name}": advice to review, not configuration pushed anywhere.`];
  const sec = uciName(f.name);
  if (f.vlan !== null) {
    const device = `br-lan.${f.vlan}`;
    out.push(
      `# VLAN ${f.vlan} on br-lan (use your bridge); netifd makes ${device} from the name. With DSA bridge`,
      `# VLAN filtering, also tag VLAN ${f.vlan} on the host's port in a bridge-vlan section.`,
      `uci set network.${sec}=interface`,
      `uci set network.${sec}.device='${device}'`,
      `uci set network.${sec}.proto='static'`,
    );
    for (const s of [...f.v4, ...f.v6]) {
      if (s.gateway === undefined) out.push(`# Subnet=${s.subnet} has no Gateway=: give the router an address in it (outside IPRange=) and name it in Gateway=.`);
      else if (familyOfText(s.subnet) === 4) out.push(`uci set network.${sec}.ipaddr='${s.gateway}/${prefixLen(s.subnet)}'`);
      else out.push(`uci add_list network.${sec}.ip6addr='${s.gateway}/${prefixLen(s.subnet)}'`);
    }
    out.push('uci commit network');
    for (const s of f.v4) {
      const pool = largest(s.free);
      if (pool === undefined) continue;
      const base = spanOf(s.subnet).first;
      out.push(
        `# A DHCP pool for VLAN ${f.vlan}: ${spanText(pool)} (start and limit count from ${s.subnet.split('/')[0] ?? ''}).`,
        `uci set dhcp.${sec}=dhcp`,
        `uci set dhcp.${sec}.interface='${sec}'`,
        `uci set dhcp.${sec}.start='${pool.first - base}'`,
        `uci set dhcp.${sec}.limit='${size(pool)}'`,
        'uci commit dhcp',
      );
      break;
    }
  }
  out.push(...poolAdvice(f, (subnet) => {
    const base = spanOf(subnet).first;
    const s = f.v4.find((x) => x.subnet === subnet);
    const bounds = (s?.free ?? []).map((p) => `start=${p.first - base} limit<=${size(p)}`);
    return [`#   In dnsmasq's terms (offsets from ${subnet.split('/')[0] ?? ''}): ${bounds.join(', or ')}.`,
      '#   Check the pool in use: uci show dhcp | grep -E "\\.(interface|start|limit)="'];
  }));
  return out;
}

/** @throws FlatnetError for a router this does not know */
export function routerHints(net: NetworkConfig, subnets: readonly string[], router: string): string {
  if (!isRouter(router)) throw new FlatnetError('invalid-value', `unknown router "${router}": one of ${ROUTERS.join(', ')}`);
  const f = facts(net, subnets);
  if (subnets.length === 0) {
    return `# ${net.name}: no Subnet= and the parent has no address to follow now: nothing to advise yet.`;
  }
  return (router === 'routeros' ? routeros(f) : openwrt(f)).join('\n');
}
