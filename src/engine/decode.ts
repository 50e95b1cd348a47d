// The engine's JSON → the plain types of types.ts. Pure: every field is
// checked, a missing or odd one becomes '' / [] / false rather than a throw,
// because a newer engine adding or dropping a field must not stop flatnetd.

import type { EngineAttachment, EngineContainer, EngineEndpoint, EngineEvent, EngineNetwork, EnginePool, EngineVersion } from './types.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bool = (v: unknown): boolean => v === true;
const strRecord = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string') out[k] = x;
  return out;
};
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** `192.168.200.193/24` → `192.168.200.193`. */
const bare = (v: unknown): string => str(v).split('/')[0] ?? '';

function pool(v: unknown): EnginePool {
  const p = obj(v);
  return { subnet: str(p['Subnet']), ipRange: str(p['IPRange']), gateway: str(p['Gateway']), aux: strRecord(p['AuxiliaryAddresses']) };
}

function endpoint(containerId: string, v: unknown): EngineEndpoint {
  const e = obj(v);
  return { containerId, name: str(e['Name']), endpointId: str(e['EndpointID']), mac: str(e['MacAddress']).toLowerCase(), ipv4: bare(e['IPv4Address']), ipv6: bare(e['IPv6Address']) };
}

export function decodeNetwork(v: unknown): EngineNetwork {
  const n = obj(v);
  const ipam = obj(n['IPAM']);
  return {
    id: str(n['Id']) || str(n['ID']),
    name: str(n['Name']),
    driver: str(n['Driver']),
    options: strRecord(n['Options']),
    pools: Array.isArray(ipam['Config']) ? ipam['Config'].map(pool) : [],
    internal: bool(n['Internal']),
    ipv6: bool(n['EnableIPv6']),
    endpoints: Object.entries(obj(n['Containers'])).map(([id, e]) => endpoint(id, e)),
  };
}

export function decodeNetworkList(v: unknown): EngineNetwork[] {
  return Array.isArray(v) ? v.map(decodeNetwork) : [];
}

function attachment(v: unknown): EngineAttachment {
  const a = obj(v);
  const ipam = obj(a['IPAMConfig']);
  return {
    networkId: str(a['NetworkID']),
    requestedIpv4: str(ipam['IPv4Address']),
    requestedIpv6: str(ipam['IPv6Address']),
    ipv4: str(a['IPAddress']),
    ipv6: str(a['GlobalIPv6Address']),
    mac: str(a['MacAddress']).toLowerCase(),
    aliases: strList(a['Aliases']),
  };
}

/** RFC 3339 with nanoseconds (`2026-12-06T21:10:03.123456789Z`); Docker's zero time is 0001-01-01. */
export function parseEngineTime(v: unknown): number {
  const ms = Date.parse(str(v));
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

export function decodeContainer(v: unknown): EngineContainer {
  const c = obj(v);
  const state = obj(c['State']);
  const nets: Record<string, EngineAttachment> = {};
  for (const [name, a] of Object.entries(obj(obj(c['NetworkSettings'])['Networks']))) nets[name] = attachment(a);
  return {
    id: str(c['Id']),
    name: str(c['Name']).replace(/^\//, ''),
    running: bool(state['Running']),
    startedAtMs: parseEngineTime(state['StartedAt']),
    networks: nets,
  };
}

export function decodeEvent(v: unknown): EngineEvent | null {
  const e = obj(v);
  const type = str(e['Type']);
  const action = str(e['Action']) || str(e['status']);
  if (type === '' || action === '') return null;
  const actor = obj(e['Actor']);
  const nano = e['timeNano'];
  const timeMs = typeof nano === 'number' ? Math.floor(nano / 1e6) : typeof e['time'] === 'number' ? e['time'] * 1000 : 0;
  return { type, action, actorId: str(actor['ID']), attributes: strRecord(actor['Attributes']), timeMs };
}

export function decodeVersion(v: unknown): EngineVersion {
  const o = obj(v);
  const components = Array.isArray(o['Components']) ? o['Components'] : [];
  // Docker: Platform.Name "Docker Engine - Community" or "", Components[0] "Engine";
  // Podman: Components[0] "Podman Engine". Both kept, so either can be recognised.
  const product = [str(obj(o['Platform'])['Name']), str(obj(components[0])['Name'])].filter((x) => x !== '').join(' / ');
  return { version: str(o['Version']), apiVersion: str(o['ApiVersion']), minApiVersion: str(o['MinAPIVersion']), product };
}
