// Which containers lost their interface when a network's parent was re-made,
// and what to reconnect them with. Pure.
//
// How flatnetd knows a container's interface died without entering its
// namespace: a macvlan or ipvlan link cannot outlive its lower device — the
// kernel unregisters every child of a device it unregisters (macvlan's and
// ipvlan's NETDEV_UNREGISTER handlers), in every namespace. So when the
// effective parent comes back under a new ifindex, every container interface
// made on the old one is gone, and every one made on the new one is fine. The
// engine does not notice and still lists the endpoint, so the engine's view
// alone cannot tell; the parent's ifindex change, which flatnetd itself saw
// (it re-made the parent), can. What separates the two sets is when each
// interface was made: the engine's own clock of the container's last start
// (State.StartedAt) or of its last connect event on that network, against the
// time flatnetd saw the new parent. A container started by the engine after
// the re-make (an engine restart in between restarts them) is left alone; a
// stopped container has no interface and gets a new one when it starts.
//
// That history lives in flatnetd's memory and dies with it: a flatnetd
// restarted (or killed) between the parent's re-make and the re-attach would
// never learn the old ifindex. For macvlan networks the kernel answers the
// question itself, at any time: a container's interface is alive exactly when
// its MAC is on the parent's unicast list (parent-macs.ts). That check is
// made on every look at the network (each attach, each engine event, each
// parent change); the clocks above are kept for what it cannot see (ipvlan
// children share the parent's MAC; passthru puts nothing on the list).

import type { EngineContainer, EngineNetwork, ReconnectSpec } from './types.js';
import { compareNames } from '../model/name-order.js';

export interface EndpointRecord {
  spec: ReconnectSpec;
  /** Wall-clock ms at which the container's interface on this network was made, as far as the engine says. */
  madeAtMs: number;
  running: boolean;
}

/** Docker adds the short container id as an alias on every connect by itself. */
function ownAliases(aliases: readonly string[], containerId: string): string[] {
  const short = containerId.slice(0, 12);
  return aliases.filter((a) => a !== short && a !== containerId);
}

/**
 * A record of every container on `net` from the engine's inspects, kept so a
 * reconnect can give back what a disconnect takes away (the engine forgets an
 * endpoint's addresses once it is disconnected).
 * @param connectedAtMs last `network connect` event time per container id on this network
 */
export function recordEndpoints(net: EngineNetwork, containers: readonly EngineContainer[], connectedAtMs: ReadonlyMap<string, number>): Map<string, EndpointRecord> {
  const byId = new Map(containers.map((c) => [c.id, c]));
  const out = new Map<string, EndpointRecord>();
  for (const ep of net.endpoints) {
    const c = byId.get(ep.containerId);
    const a = c?.networks[net.name];
    // Podman lists no MAC/IP in the network's Containers map: the container's own view fills them.
    const ipv4 = a?.requestedIpv4 || ep.ipv4 || a?.ipv4 || '';
    const ipv6 = a?.requestedIpv6 || ep.ipv6 || a?.ipv6 || '';
    out.set(ep.containerId, {
      spec: {
        networkId: net.id,
        networkName: net.name,
        containerId: ep.containerId,
        containerName: c?.name || ep.name,
        ipv4,
        ipv6,
        mac: ep.mac || a?.mac || '',
        aliases: ownAliases(a?.aliases ?? [], ep.containerId),
      },
      madeAtMs: Math.max(c?.startedAtMs ?? 0, connectedAtMs.get(ep.containerId) ?? 0),
      running: c?.running ?? true,
    });
  }
  return out;
}

/** The endpoints whose interface was made before the parent was re-made at `parentNewAtMs`. */
export function deadEndpoints(records: ReadonlyMap<string, EndpointRecord>, parentNewAtMs: number): ReconnectSpec[] {
  const out: ReconnectSpec[] = [];
  for (const r of records.values()) if (r.running && r.madeAtMs < parentNewAtMs) out.push(r.spec);
  return out.sort((a, b) => compareNames(a.containerName, b.containerName));
}

/** What an engine error on one reconnect step means for it. */
export type StepFate = 'done' | 'gone' | 'retry';

/** 404 on a container: it was removed meanwhile, nothing to give back. */
export function disconnectFate(status: number, engineSays: string): StepFate {
  if (status === 200) return 'done';
  // A retry after a connect that failed: the first attempt's disconnect went through.
  if (/is not connected/i.test(engineSays)) return 'done';
  if (status === 404 && /no such container|container .* not found/i.test(engineSays)) return 'gone';
  return 'retry';
}

export function connectFate(status: number, engineSays: string): StepFate {
  if (status === 200) return 'done';
  // Someone (the user, a restart policy) connected it meanwhile: it has a new interface.
  if (/already exists in network|already attached|is already connected/i.test(engineSays)) return 'done';
  if (status === 404 && /no such container|container .* not found/i.test(engineSays)) return 'gone';
  return 'retry';
}

/**
 * `bridge -json fdb show dev PARENT` → the unicast addresses on the device's
 * own list (the "self" entries; a bridge's learned entries name a master).
 */
export function unicastMacs(dump: unknown): Set<string> {
  const out = new Set<string>();
  if (!Array.isArray(dump)) return out;
  for (const e of dump) {
    if (typeof e !== 'object' || e === null) continue;
    const mac = 'mac' in e && typeof e.mac === 'string' ? e.mac.toLowerCase() : '';
    const flags = 'flags' in e && Array.isArray(e.flags) ? e.flags : [];
    if ('master' in e || !flags.includes('self')) continue;
    // The group bit: multicast entries (33:33:…, 01:00:5e:…) share the list.
    if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0) out.add(mac);
  }
  return out;
}

/**
 * The running containers whose interface is not on the parent: their MAC is
 * missing from the parent's unicast list (parent-macs.ts says why that is the
 * kernel's own answer). An endpoint with no known MAC is not judged.
 */
export function missingFromParent(records: ReadonlyMap<string, EndpointRecord>, macs: ReadonlySet<string>): ReconnectSpec[] {
  const out: ReconnectSpec[] = [];
  for (const r of records.values()) if (r.running && r.spec.mac !== '' && !macs.has(r.spec.mac.toLowerCase())) out.push(r.spec);
  return out.sort((a, b) => compareNames(a.containerName, b.containerName));
}
