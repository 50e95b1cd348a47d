// `flatnetctl check --kernel`: the drop-ins against the kernel running here,
// as the daemon would meet it on its next reconcile: a Parent= that does not
// exist (with the NICs that do), an MTU= above the parent's, a Wi-Fi parent
// for macvlan, a shim name held by a link flatnetd did not make. Read-only:
// one `ip -json -details link show`.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { checkAgainstKernel } from '../plan/kernel-checks.js';
import { placeOf } from '../config/place.js';
import { nearest, parentCandidates } from '../config/suggest.js';
import type { Diagnostic } from '../errors.js';
import { parseLinks } from '../kernel/parse.js';
import type { NetworkConfig } from '../model/config.js';
import type { ObservedLink } from '../model/observed.js';
import { isOwnedAlias } from '../model/ownership.js';

/** The links of this network namespace, or an error saying why they could not be read. */
export function readLinks(ip = 'ip'): ObservedLink[] | Diagnostic {
  const r = spawnSync(ip, ['-json', '-details', 'link', 'show'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return { severity: 'error', code: 'kernel', object: 'ip link show', message: `cannot read the kernel's links: ${r.error?.message ?? r.stderr.trim()}` };
  }
  const links = parseLinks(JSON.parse(r.stdout) as unknown);
  for (const l of links) l.wireless = existsSync(`/sys/class/net/${l.name}/wireless`) || existsSync(`/sys/class/net/${l.name}/phy80211`);
  return links;
}

/** Pure: what the running kernel would make of these networks. */
export function kernelDiagnostics(networks: readonly NetworkConfig[], links: readonly ObservedLink[]): Diagnostic[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const nics = parentCandidates(links);
  const out: Diagnostic[] = [];
  for (const net of networks) {
    if (net.parent !== null) {
      const parent = byName.get(net.parent);
      if (parent === undefined) {
        const near = nearest(net.parent, nics);
        out.push({
          severity: 'error', code: 'parent-missing', network: net.name, ...placeOf(net, 'Network.Parent', 'Parent', net.parent),
          message: `no interface ${net.parent} here (interfaces here: ${nics.length > 0 ? nics.join(', ') : 'none'}${near !== null ? `; did you mean ${near}?` : ''}); flatnetd would wait for it`,
        });
      } else {
        out.push(...checkAgainstKernel(net, parent));
      }
    }
    const shim = net.shim === null ? undefined : byName.get(net.shim.name);
    if (net.shim !== null && shim !== undefined && !isOwnedAlias(shim.alias) && shim.kind !== net.driver) {
      out.push({
        severity: 'error', code: 'conflict', network: net.name, ...placeOf(net, 'Shim.Name', 'Name', net.shim.name),
        message: `${net.shim.name} exists here as a ${shim.kind ?? 'NIC'} link not made by flatnetd, which leaves it alone; delete it (ip link delete ${net.shim.name}) or set another Name=`,
      });
    }
  }
  return out;
}
