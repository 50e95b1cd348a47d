// Router advertisements on shims. A shim is a second door onto the LAN: left
// to the kernel's default (accept_ra=1) it takes a SLAAC address and a second
// default route from the LAN's IPv6 router, and some of the host's own traffic
// leaves through it. So a shim accepts none unless its drop-in says
// IPv6AcceptRA=yes. The kernel has no netlink attribute for accept_ra
// (IFLA_INET6_CONF is read-only): it is the one /proc/sys file flatnetd writes,
// only for its own shims, never for a parent (the unit opens exactly
// /proc/sys/net/ipv6/conf for writing; see packaging/SECURITY-SCORE.md).

import type { NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import { indexKernel } from '../model/observed-index.js';
import type { Logger } from '../log.js';

/** Writes one per-interface IPv6 setting (`accept_ra`) of a link. */
export interface Ipv6Conf {
  set(link: string, key: 'accept_ra', value: string): Promise<void>;
}

export interface RaWrite { network: string; shim: string; ifindex: number; value: '0' | '1' }

/** Pure: the shims whose accept_ra is not yet what their drop-in says, by what was already written (ifindex → value). */
export function raWrites(networks: readonly NetworkConfig[], observed: Observed, written: ReadonlyMap<number, string>): RaWrite[] {
  const k = indexKernel(observed);
  const out: RaWrite[] = [];
  for (const n of networks) {
    if (n.shim === null) continue;
    const s = k.byName.get(n.shim.name);
    if (s === undefined) continue;
    const value = n.shim.acceptRA === true ? '1' : '0';
    if (written.get(s.ifindex) !== value) out.push({ network: n.name, shim: n.shim.name, ifindex: s.ifindex, value });
  }
  return out;
}

export class RaPolicy {
  /** ifindex → the accept_ra value written: a re-made shim has a new ifindex and is written again. */
  private readonly written = new Map<number, string>();
  constructor(private readonly conf: Ipv6Conf, private readonly log: Logger) {}

  async apply(networks: readonly NetworkConfig[], observed: Observed): Promise<void> {
    const live = new Set(observed.links.map((l) => l.ifindex));
    for (const i of this.written.keys()) if (!live.has(i)) this.written.delete(i);
    await Promise.all(raWrites(networks, observed, this.written).map(async (w) => {
      try {
        await this.conf.set(w.shim, 'accept_ra', w.value);
        this.written.set(w.ifindex, w.value);
        if (this.log.debugging !== false) this.log.debug(`${w.network}: ${w.shim} ${w.value === '0' ? 'accepts no router advertisements' : 'accepts router advertisements (IPv6AcceptRA=yes)'}`);
      } catch (e) {
        // Not retried until the shim is re-made or the drop-in changes: a
        // sandbox without the write is reported once, not at every event.
        this.written.set(w.ifindex, w.value);
        this.log.warning(`${w.network}: could not set accept_ra=${w.value} on ${w.shim}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }));
  }
}
