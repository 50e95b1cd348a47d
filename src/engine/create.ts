// `docker network create …` argv (src/docker/args.ts, what flatnetctl
// docker-args prints) → the Engine API's NetworkCreate body, so that a network
// flatnetd creates ([Engine] Create=yes) is exactly the one the user would
// have made by hand. Pure. Like the docker CLI, each --ip-range, --gateway and
// --aux-address goes to the pool whose --subnet contains it.

import { cidr, containsAddr, containsPrefix, parseAddr } from '../config/ip.js';

interface Pool {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export function createBody(argv: readonly string[]): Record<string, unknown> {
  const pools: Pool[] = [];
  const ranges: string[] = [];
  const gateways: string[] = [];
  const aux: [string, string][] = [];
  const options: Record<string, string> = {};
  let driver = 'bridge';
  let internal = false;
  let ipv6 = false;
  let name = '';
  const words = argv.slice(3); // docker network create
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const value = (flag: string): string | null => (w.startsWith(`${flag}=`) ? w.slice(flag.length + 1) : null);
    let v: string | null;
    if (w === '-d') driver = words[++i] ?? driver;
    else if (w === '-o') {
      const [k, ...rest] = (words[++i] ?? '').split('=');
      if (k !== undefined && k !== '') options[k] = rest.join('=');
    } else if ((v = value('--subnet')) !== null) pools.push({ Subnet: v });
    else if ((v = value('--ip-range')) !== null) ranges.push(v);
    else if ((v = value('--gateway')) !== null) gateways.push(v);
    else if ((v = value('--aux-address')) !== null) {
      const eq = v.indexOf('=');
      aux.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (w === '--ipv6') ipv6 = true;
    else if (w === '--internal') internal = true;
    else if (!w.startsWith('-')) name = w;
  }
  const poolOfPrefix = (p: string): Pool | undefined => pools.find((x) => containsPrefix(cidr(x.Subnet), cidr(p)));
  const poolOfAddr = (a: string): Pool | undefined => {
    const addr = parseAddr(a);
    return addr === null ? undefined : pools.find((x) => containsAddr(cidr(x.Subnet), addr));
  };
  for (const r of ranges) { const p = poolOfPrefix(r); if (p !== undefined) p.IPRange = r; }
  for (const g of gateways) { const p = poolOfAddr(g); if (p !== undefined) p.Gateway = g; }
  for (const [k, a] of aux) {
    const p = poolOfAddr(a);
    if (p !== undefined) p.AuxiliaryAddresses = { ...(p.AuxiliaryAddresses ?? {}), [k]: a };
  }
  return {
    Name: name,
    CheckDuplicate: true,
    Driver: driver,
    Internal: internal,
    EnableIPv6: ipv6,
    IPAM: { Driver: 'default', Config: pools, Options: {} },
    Options: options,
    Labels: { 'org.flatnet.created-by': 'flatnetd' },
  };
}
