// The Engine API calls flatnetd makes, and no others (packaging/SECURITY-SCORE.md
// lists them: the socket is root power, so the surface is kept this small).
// Docker and Podman's Docker-compatible API answer the same paths.

import { decodeContainer, decodeEvent, decodeNetwork, decodeNetworkList, decodeVersion } from './decode.js';
import { engineMessage, type HttpStream, type Transport } from './http.js';
import type { EngineContainer, EngineEvent, EngineNetwork, EngineVersion, ReconnectSpec } from './types.js';

/** Newest API version we speak: 1.44 is the first that takes EndpointConfig.MacAddress on connect. */
export const MAX_API = '1.44';
/** Oldest we accept: network filters and the IPAMConfig of connect are all there by 1.25. */
export const MIN_API = '1.25';

/** An answer from the engine that is not a success: the status and the engine's own message. */
export class EngineError extends Error {
  readonly status: number;
  readonly call: string;
  readonly engineSays: string;
  constructor(call: string, status: number, engineSays: string) {
    super(`${call}: HTTP ${status}: ${engineSays}`);
    this.name = 'EngineError';
    this.status = status;
    this.call = call;
    this.engineSays = engineSays;
  }
}

export interface EngineClient {
  /** The negotiated API version ('' before negotiate()). */
  readonly api: string;
  negotiate(): Promise<EngineVersion>;
  listNetworks(): Promise<EngineNetwork[]>;
  inspectNetwork(idOrName: string): Promise<EngineNetwork>;
  inspectContainer(idOrName: string): Promise<EngineContainer>;
  disconnect(networkId: string, containerId: string): Promise<void>;
  connect(spec: ReconnectSpec): Promise<void>;
  /** `docker network create` as an API body (see engine/create.ts). */
  createNetwork(body: Record<string, unknown>): Promise<string>;
  /** Network and container events from `sinceMs` on (0: from now). */
  events(sinceMs: number, onEvent: (e: EngineEvent) => void, onEnd: (why: string) => void): Promise<HttpStream>;
}

/** `1.41` < `1.44`: compares dotted numbers. */
export function compareApi(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The version both sides speak: the engine's own when it is not newer than ours. */
export function pickApi(engineApi: string): string | null {
  if (!/^\d+\.\d+$/.test(engineApi)) return null;
  if (compareApi(engineApi, MIN_API) < 0) return null;
  return compareApi(engineApi, MAX_API) > 0 ? MAX_API : engineApi;
}

/**
 * The engine from /_ping's headers: Podman's `Libpod-Api-Version: 4.3.1`,
 * Docker's `Server: Docker/20.10.24+dfsg1 (linux)`; null when neither.
 */
export function versionFromPing(headers: Readonly<Record<string, string>>): EngineVersion | null {
  const api = headers['api-version'] ?? '';
  const libpod = headers['libpod-api-version'] ?? '';
  if (libpod !== '' && api !== '') return { version: libpod, apiVersion: api, minApiVersion: '', product: 'Podman Engine' };
  const docker = /^Docker\/(\S+)/.exec(headers['server'] ?? '');
  if (docker !== null && docker[1] !== undefined && api !== '') return { version: docker[1], apiVersion: api, minApiVersion: '', product: 'Docker Engine' };
  return null;
}

const EVENT_FILTERS = JSON.stringify({ type: ['network', 'container'] });

export class ApiClient implements EngineClient {
  private readonly t: Transport;
  api = '';
  constructor(transport: Transport) {
    this.t = transport;
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, okStatus: readonly number[] = [200]): Promise<unknown> {
    const full = `/v${this.api || MIN_API}${path}`;
    const answer = await this.t.request(method, full, body);
    if (!okStatus.includes(answer.status)) throw new EngineError(`${method} ${path}`, answer.status, engineMessage(answer.body));
    return answer.body;
  }

  async negotiate(): Promise<EngineVersion> {
    // /_ping is unversioned and cheap; its Api-Version header is what Docker's
    // own client negotiates with, and its other headers say which engine it
    // is. /version only when they do not: Podman's gathers host information
    // (runtime versions, storage), which under load took longer than any
    // call's timeout, every time (seen in the VM with Podman 4.3).
    const ping = await this.t.request('GET', '/_ping');
    if (ping.status !== 200) throw new EngineError('GET /_ping', ping.status, engineMessage(ping.body));
    const header = ping.headers['api-version'] ?? '';
    let version = versionFromPing(ping.headers);
    let call = 'GET /_ping';
    if (version === null) {
      const v = await this.t.request('GET', '/version');
      if (v.status !== 200) throw new EngineError('GET /version', v.status, engineMessage(v.body));
      version = decodeVersion(v.body);
      call = 'GET /version';
    }
    const picked = pickApi(header || version.apiVersion);
    if (picked === null) throw new EngineError(call, 200, `API version ${header || version.apiVersion || '(none)'} is older than ${MIN_API}, the oldest flatnetd speaks`);
    this.api = picked;
    return version;
  }

  async listNetworks(): Promise<EngineNetwork[]> {
    return decodeNetworkList(await this.call('GET', '/networks'));
  }

  async inspectNetwork(idOrName: string): Promise<EngineNetwork> {
    return decodeNetwork(await this.call('GET', `/networks/${encodeURIComponent(idOrName)}`));
  }

  async inspectContainer(idOrName: string): Promise<EngineContainer> {
    return decodeContainer(await this.call('GET', `/containers/${encodeURIComponent(idOrName)}/json`));
  }

  async disconnect(networkId: string, containerId: string): Promise<void> {
    await this.call('POST', `/networks/${encodeURIComponent(networkId)}/disconnect`, { Container: containerId, Force: true });
  }

  async connect(s: ReconnectSpec): Promise<void> {
    const ipam: Record<string, string> = {};
    if (s.ipv4 !== '') ipam['IPv4Address'] = s.ipv4;
    if (s.ipv6 !== '') ipam['IPv6Address'] = s.ipv6;
    const endpoint: Record<string, unknown> = { IPAMConfig: ipam };
    if (s.aliases.length > 0) endpoint['Aliases'] = s.aliases;
    // Older engines ignore a MacAddress on connect and derive the MAC from the
    // IPv4 address (02:42:…), which gives the same one back for the same address.
    if (s.mac !== '' && compareApi(this.api, '1.44') >= 0) endpoint['MacAddress'] = s.mac;
    await this.call('POST', `/networks/${encodeURIComponent(s.networkId)}/connect`, { Container: s.containerId, EndpointConfig: endpoint });
  }

  async createNetwork(body: Record<string, unknown>): Promise<string> {
    const answer = await this.call('POST', '/networks/create', body, [200, 201]);
    const id = typeof answer === 'object' && answer !== null && 'Id' in answer && typeof answer.Id === 'string' ? answer.Id : '';
    return id;
  }

  events(sinceMs: number, onEvent: (e: EngineEvent) => void, onEnd: (why: string) => void): Promise<HttpStream> {
    const since = sinceMs > 0 ? `&since=${(sinceMs / 1000).toFixed(3)}` : '';
    return this.t.stream(`/v${this.api || MIN_API}/events?filters=${encodeURIComponent(EVENT_FILTERS)}${since}`, (line) => {
      const e = decodeEvent(line);
      if (e !== null) onEvent(e);
    }, onEnd);
  }
}
