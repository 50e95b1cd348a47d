// A container engine on a real unix socket that answers the calls flatnetd
// makes the way Docker 20.10 does: the bodies start from the ones recorded
// from the real engine (test/fixtures/engine/), and connect/disconnect change
// them as Docker would (the endpoint goes, comes back with the address asked
// for, a `network` event each time). Tests script its faults: an error status
// with the engine's own body, a call that never answers, the event stream
// closed, the engine stopped and started again.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export function engineFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${root}test/fixtures/engine/${name}`, 'utf8')) as Record<string, unknown>;
}

/** The recorded event stream of one re-attach (disconnect, disconnect, connect), one object per line. */
export function engineEvents(): Record<string, unknown>[] {
  return readFileSync(`${root}test/fixtures/engine/events-reattach.jsonl`, 'utf8').split('\n').filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? v as Obj : {});

export interface Fault {
  method: string;
  /** Matched against the path without the `/vX.Y` prefix. */
  path: RegExp;
  /** An HTTP status with this body, or 'hang' (never answers). */
  answer: { status: number; body: unknown } | 'hang';
  /** How many calls it hits (default: all). */
  times?: number;
}

export interface CallLog {
  method: string;
  path: string;
  body: unknown;
}

export class FakeEngine {
  readonly socket: string;
  readonly apiVersion: string;
  readonly networks = new Map<string, Obj>();
  readonly containers = new Map<string, Obj>();
  readonly calls: CallLog[] = [];
  /** Called on every request as it arrives (a test can look at the world at that moment). */
  onCall: ((c: CallLog) => void | Promise<void>) | undefined;
  private faults: Fault[] = [];
  private server: Server | undefined;
  private streams = new Set<ServerResponse>();
  private hung = new Set<ServerResponse>();

  /** What /_ping's headers say the engine is ('bare': nothing, as a proxy might answer). */
  pingSays: 'docker' | 'podman' | 'bare' = 'docker';

  constructor(socket: string, apiVersion = '1.41') {
    this.socket = socket;
    this.apiVersion = apiVersion;
  }

  /** The recorded lan200 network with the recorded c-lan200 on it. */
  seedRecorded(): { networkId: string; containerId: string } {
    const net = engineFixture('network-lan200.json');
    const c = engineFixture('container-c-lan200.json');
    this.networks.set(String(net['Id']), net);
    this.containers.set(String(c['Id']), c);
    return { networkId: String(net['Id']), containerId: String(c['Id']) };
  }

  /** Another container on a network, made from the recorded one. */
  addContainer(id: string, name: string, networkName: string, ipv4: string, startedAt: string): void {
    const net = this.networkByName(networkName);
    if (net === undefined) throw new Error(`no network ${networkName}`);
    const c = engineFixture('container-c-lan200.json');
    c['Id'] = id;
    c['Name'] = `/${name}`;
    obj(c['State'])['StartedAt'] = startedAt;
    const mac = macFor(ipv4);
    obj(c['NetworkSettings'])['Networks'] = { [networkName]: { IPAMConfig: null, Aliases: [id.slice(0, 12)], NetworkID: net['Id'], EndpointID: `ep-${id}`, IPAddress: ipv4, MacAddress: mac, GlobalIPv6Address: '' } };
    this.containers.set(id, c);
    obj(net['Containers'])[id] = { Name: name, EndpointID: `ep-${id}`, MacAddress: mac, IPv4Address: `${ipv4}/24`, IPv6Address: '' };
  }

  /** A network copied from the recorded one under another name/id/parent. */
  addNetwork(name: string, id: string, parent: string): void {
    const net = engineFixture('network-lan200.json');
    net['Name'] = name;
    net['Id'] = id;
    net['Containers'] = {};
    obj(net['Options'])['parent'] = parent;
    this.networks.set(id, net);
  }

  fault(f: Fault): void {
    this.faults.push(f);
  }

  clearFaults(): void {
    this.faults = [];
  }

  networkByName(idOrName: string): Obj | undefined {
    return this.networks.get(idOrName) ?? [...this.networks.values()].find((n) => n['Name'] === idOrName);
  }

  async start(): Promise<void> {
    rmSync(this.socket, { force: true });
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(this.socket, () => res());
    });
  }

  /** Stops like an engine going down: streams cut, socket removed. */
  async stop(): Promise<void> {
    for (const s of [...this.streams, ...this.hung]) s.destroy();
    this.streams.clear();
    this.hung.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((res) => server.close(() => res()));
    rmSync(this.socket, { force: true });
  }

  /** Ends every event stream (the engine's side closes it) but stays up. */
  closeStreams(): void {
    for (const s of this.streams) s.end();
    this.streams.clear();
  }

  streamCount(): number {
    return this.streams.size;
  }

  emit(event: Obj): void {
    const line = JSON.stringify(event) + '\n';
    for (const s of this.streams) s.write(line);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const method = req.method ?? 'GET';
    const call = { method, path: url.pathname + url.search, body };
    this.calls.push(call);
    // Awaited, so a test can make what the real engine makes (an interface) before it answers.
    await this.onCall?.(call);
    const fault = this.faults.find((f) => f.method === method && f.path.test(path) && (f.times === undefined || f.times > 0));
    if (fault !== undefined) {
      if (fault.times !== undefined) fault.times--;
      if (fault.answer === 'hang') {
        this.hung.add(res);
        return;
      }
      return this.send(res, fault.answer.status, fault.answer.body);
    }
    this.route(method, path, body, res);
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Api-Version': this.apiVersion, Server: 'Docker/20.10.24+dfsg1 (linux)' });
    res.end(text);
  }

  private route(method: string, path: string, body: unknown, res: ServerResponse): void {
    let m: RegExpExecArray | null;
    if (method === 'GET' && path === '/_ping') {
      // Podman 4.3's compat API: API-Version and Libpod-API-Version on every answer.
      if (this.pingSays === 'podman') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Api-Version': this.apiVersion, 'Libpod-Api-Version': '4.3.1', 'Docker-Experimental': 'true' });
        return void res.end('OK');
      }
      if (this.pingSays === 'bare') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
        return void res.end('OK');
      }
      return this.send(res, 200, 'OK');
    }
    if (method === 'GET' && path === '/version') return this.send(res, 200, { ...engineFixture('version.json'), ApiVersion: this.apiVersion });
    if (method === 'GET' && path === '/events') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': this.apiVersion });
      res.flushHeaders();
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    if (method === 'GET' && path === '/networks') return this.send(res, 200, [...this.networks.values()]);
    if (method === 'GET' && (m = /^\/networks\/([^/]+)$/.exec(path)) !== null) {
      const id = decodeURIComponent(m[1] ?? '');
      const n = this.networkByName(id);
      return n === undefined ? this.send(res, 404, { message: `network ${id} not found` }) : this.send(res, 200, n);
    }
    if (method === 'GET' && (m = /^\/containers\/([^/]+)\/json$/.exec(path)) !== null) {
      const id = decodeURIComponent(m[1] ?? '');
      const c = this.containers.get(id);
      return c === undefined ? this.send(res, 404, { message: `No such container: ${id}` }) : this.send(res, 200, c);
    }
    if (method === 'POST' && (m = /^\/networks\/([^/]+)\/(dis)?connect$/.exec(path)) !== null) {
      const net = this.networkByName(decodeURIComponent(m[1] ?? ''));
      if (net === undefined) return this.send(res, 404, { message: `network ${m[1] ?? ''} not found` });
      const b = obj(body);
      const cid = String(b['Container']);
      const c = this.containers.get(cid);
      if (c === undefined) return this.send(res, 404, { message: `No such container: ${cid}` });
      const name = String(net['Name']);
      const nets = obj(obj(c['NetworkSettings'])['Networks']);
      if (m[2] === 'dis') {
        if (nets[name] === undefined) return this.send(res, 403, { message: `container ${cid} is not connected to network ${name}` });
        delete nets[name];
        delete obj(net['Containers'])[cid];
      } else {
        if (nets[name] !== undefined) return this.send(res, 403, { message: `endpoint with name ${String(c['Name']).slice(1)} already exists in network ${name}` });
        const ep = obj(b['EndpointConfig']);
        const ipam = obj(ep['IPAMConfig']);
        const ip = typeof ipam['IPv4Address'] === 'string' ? ipam['IPv4Address'] : '192.168.200.200';
        const aliases = Array.isArray(ep['Aliases']) ? ep['Aliases'] : [];
        nets[name] = { IPAMConfig: ipam, Aliases: [...aliases, cid.slice(0, 12)], NetworkID: net['Id'], EndpointID: `ep2-${cid}`, IPAddress: ip, MacAddress: macFor(ip), GlobalIPv6Address: '' };
        obj(net['Containers'])[cid] = { Name: String(c['Name']).slice(1), EndpointID: `ep2-${cid}`, MacAddress: macFor(ip), IPv4Address: `${ip}/24`, IPv6Address: '' };
      }
      const now = Date.now();
      this.emit({ Type: 'network', Action: m[2] === 'dis' ? 'disconnect' : 'connect', Actor: { ID: net['Id'], Attributes: { container: cid, name, type: net['Driver'] } }, scope: 'local', time: Math.floor(now / 1000), timeNano: now * 1e6 });
      return this.send(res, 200, '');
    }
    if (method === 'POST' && path === '/networks/create') {
      const b = obj(body);
      if (this.networkByName(String(b['Name'])) !== undefined) return this.send(res, 409, engineFixture('error-create-409.json'));
      const id = `net-${String(b['Name'])}`;
      this.networks.set(id, { ...b, Id: id, Containers: {} });
      return this.send(res, 201, { Id: id, Warning: '' });
    }
    this.send(res, 404, { message: 'page not found' });
  }
}

/** Docker's MAC for an IPv4 endpoint: 02:42 and the four address bytes. */
export function macFor(ipv4: string): string {
  return ['02', '42', ...ipv4.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}
