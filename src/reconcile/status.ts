// Status is derived, never stored as truth: from the config in use, the last
// run's outcome and what the kernel showed at its end.

import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { effectiveParentName, type NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import type { BlockedNetwork, NetworkState, NetworkStatus } from '../model/status.js';
import type { NetworkOutcome } from './run.js';
import { indexKernel } from '../model/observed-index.js';
import { followedSubnets } from '../plan/subnets.js';
import { nearest, parentCandidates } from '../config/suggest.js';

export interface StatusInput {
  name: string;
  file: string;
  /** The config in use (valid, or the last good one); null when there is none. */
  net: NetworkConfig | null;
  /** The drop-in currently has errors (these). */
  configErrors: Diagnostic[];
  down: boolean;
  outcome: NetworkOutcome | undefined;
  observed: Observed;
  prev: NetworkStatus | undefined;
  restoreCount: number;
  nowUsec: bigint;
}

/**
 * `waiting for eht0 to appear (Parent= at /etc/flatnet.d/10-lan.conf:3;
 * interfaces here: eth0, wlp2s0; did you mean eth0?)`: a typo in Parent=
 * waits forever, so the message names the line and what exists. Links made
 * per container are not listed (parentCandidates), so the message, and the
 * one journal line it earns, stays the same as containers come and go.
 */
export function waitingMessage(missing: string, net: NetworkConfig, observed: Observed): string {
  const nics = parentCandidates(observed.links).filter((n) => n !== missing);
  const where = net.parent === missing ? net.where['Network.Parent'] : undefined;
  const hints: string[] = [];
  if (where?.file !== undefined) hints.push(`Parent= at ${where.file}${where.line !== undefined ? `:${where.line}` : ''}`);
  if (nics.length > 0) hints.push(`interfaces here: ${nics.slice(0, 8).join(', ')}${nics.length > 8 ? ', …' : ''}`);
  const near = nearest(missing, nics);
  if (near !== null) hints.push(`did you mean ${near}?`);
  return `waiting for ${missing} to appear${hints.length > 0 ? ` (${hints.join('; ')})` : ''}`;
}

/**
 * A link flatnetd did not make holds a name the drop-in asks for: say where
 * the drop-in asks for it and the two ways out, so the person reading
 * `flatnetctl status` or the journal does not have to work them out.
 */
export function conflictMessage(d: Diagnostic, net: NetworkConfig): string {
  if (d.file !== undefined || d.object === undefined) return formatDiagnostic(d);
  const isShim = net.shim !== null && net.shim.name === d.object;
  const isVlan = net.vlan !== null && effectiveParentName(net) === d.object;
  // Only a link the drop-in names has a line and these ways out (a route conflict has neither).
  if (!isShim && !isVlan) return formatDiagnostic(d);
  const id = isShim ? 'Shim.Name' : 'Network.VLAN';
  const place = net.where[id] ?? { file: net.file };
  const key = isShim ? 'Name=' : 'VLAN=';
  return `${formatDiagnostic({ ...d, ...place, message: `${d.object}: ${d.message}` })}; delete it (ip link delete ${d.object}) and flatnetd makes its own, or set another ${key} there`;
}

function pickState(i: StatusInput): { state: NetworkState; error: string } {
  const first = (ds: Diagnostic[]): string => (ds[0] === undefined ? '' : formatDiagnostic(ds[0]));
  if (i.down) return { state: 'down', error: '' };
  if (i.net === null) return { state: 'invalid', error: first(i.configErrors) };
  const o = i.outcome;
  if (o?.waitingFor) return { state: 'waiting-for-parent', error: waitingMessage(o.waitingFor, i.net, i.observed) };
  if (o !== undefined && o.errors.length > 0) {
    const shimMissing = i.net.shim !== null && !indexKernel(i.observed).byName.has(i.net.shim.name);
    const hard = o.errors.some((d) => d.code === 'conflict' || d.code === 'unsupported' || d.code === 'invalid-value');
    const e = o.errors[0];
    const error = e !== undefined && e.code === 'conflict' && e.severity === 'error' ? conflictMessage(e, i.net) : first(o.errors);
    return { state: hard || (o.failed && shimMissing) ? 'failed' : 'degraded', error };
  }
  if (i.configErrors.length > 0) return { state: 'degraded', error: `drop-in has errors, keeping its last good version: ${first(i.configErrors)}` };
  // Transient, and no error: the shim is up, its address follows the probe's answer.
  if (o?.probing !== undefined && o.probing.length > 0) return { state: 'probing', error: '' };
  // As networkd's no-carrier: everything is in place, but nothing reaches the LAN.
  const parentName = effectiveParentName(i.net);
  const parent = indexKernel(i.observed).byName.get(parentName);
  if (parent !== undefined && !parent.carrier) {
    return { state: 'no-carrier', error: `${parentName} has no carrier (cable, switch port or peer down): the containers cannot be reached` };
  }
  return { state: 'configured', error: '' };
}

/** The shim's addresses in the kernel, as `ip addr` would list them (not IPv6 link-local). */
function liveAddresses(observed: Observed, ifindex: number | undefined): string[] {
  if (ifindex === undefined) return [];
  const addrs = indexKernel(observed).addresses.get(ifindex) ?? [];
  return addrs.filter((a) => !(a.family === 6 && a.scope === 'link')).map((a) => a.cidr);
}

export type { BlockedNetwork } from '../model/status.js';

/** What keeps each network from being configured: for `flatnetctl plan` when it has nothing to do. */
export function blockedNetworks(statuses: readonly NetworkStatus[]): BlockedNetwork[] {
  return statuses.filter((s) => s.state !== 'configured').map((s) => ({
    name: s.name,
    state: s.state,
    reason: s.state === 'down' ? `taken down; flatnetctl up ${s.name} brings it back`
      : s.lastError !== '' ? s.lastError
      : s.state === 'waiting-for-parent' ? `waiting for ${s.parent} to appear`
      : s.state,
  }));
}

export function deriveStatus(i: StatusInput): NetworkStatus {
  const { state, error } = pickState(i);
  const net = i.net;
  const parentName = net === null ? '' : effectiveParentName(net);
  const links = indexKernel(i.observed).byName;
  const parent = links.get(parentName);
  const shimName = net?.shim?.name ?? '';
  const shim = shimName === '' ? undefined : links.get(shimName);
  const changed = i.prev === undefined || i.prev.state !== state || i.prev.lastError !== error;
  return {
    name: i.name,
    state,
    configFile: i.file,
    parent: parentName,
    parentIfIndex: parent?.ifindex ?? 0,
    vlan: net?.vlan ?? 0,
    driver: net?.driver ?? '',
    mode: net?.mode ?? '',
    shim: shimName,
    shimIfIndex: shim?.ifindex ?? 0,
    carrier: parent?.carrier ?? false,
    addresses: net?.shim?.addresses ?? [],
    liveAddresses: liveAddresses(i.observed, shim?.ifindex),
    routes: net?.shim?.routes ?? [],
    ipRanges: net?.ipRanges ?? [],
    subnets: net === null ? [] : followedSubnets(net, i.observed),
    gateways: net?.gateways ?? [],
    lastError: error,
    lastChangeUSec: changed ? i.nowUsec : (i.prev?.lastChangeUSec ?? i.nowUsec),
    restoreCount: i.restoreCount,
  };
}

/** `3 networks configured, 1 waiting for enp5s0` — the sd_notify STATUS= line. */
export function summaryLine(statuses: readonly NetworkStatus[]): string {
  if (statuses.length === 0) return 'no networks configured (no drop-ins)';
  const count = (s: NetworkState): NetworkStatus[] => statuses.filter((n) => n.state === s);
  const parts: string[] = [];
  // No carrier is configured all the same (and said below).
  const configured = count('configured').length + count('no-carrier').length;
  parts.push(`${configured} network${configured === 1 ? '' : 's'} configured`);
  const probing = count('probing').length;
  if (probing) parts.push(`${probing} probing the LAN for ${probing === 1 ? 'its' : 'their'} shim address`);
  const waiting = count('waiting-for-parent');
  if (waiting.length) parts.push(`${waiting.length} waiting for ${[...new Set(waiting.map((n) => n.parent))].join(', ')}`);
  for (const s of ['degraded', 'failed', 'invalid', 'down'] as const) {
    const n = count(s).length;
    if (n) parts.push(`${n} ${s}`);
  }
  const noCarrier = count('no-carrier').length;
  if (noCarrier) parts.push(`${noCarrier} without carrier`);
  return parts.join(', ');
}

/** Field by field (every field is a primitive or a list of strings): a JSON
 *  text of both, per network per run, was most of a run's status cost. */
export function sameStatus(a: NetworkStatus, b: NetworkStatus): boolean {
  for (const key of Object.keys(a) as (keyof NetworkStatus)[]) {
    const x = a[key];
    const y = b[key];
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (x !== y) {
      return false;
    }
  }
  return Object.keys(a).length === Object.keys(b).length;
}
