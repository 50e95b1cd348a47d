// Puts a DaemonApi on the bus: the Manager, one object per network, the
// ObjectManager, PropertiesChanged/InterfacesAdded/InterfacesRemoved driven by
// api.onChange (no polling), and the checks dbus-next leaves to us: caller uid on
// every mutating call, signatures, size caps, read-only properties, errors
// without stacks. No flatnetd logic lives here.

import { DBusError, Message, MessageType, NameFlag, RequestNameReply, Variant, type MessageBus } from 'dbus-next';
import { readFileSync } from 'node:fs';
import { describeError, FlatnetError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CandidateFile, DaemonApi, NetworkStatus } from '../model/status.js';
import { blockedNetworks } from '../reconcile/status.js';
import { blockedDict, diagnosticDict, occupantDict, planOpDict } from './dicts.js';
import { findMethod, inSignature, INTROSPECTABLE, MANAGER, NETWORK, OBJECT_MANAGER, PEER, PROPERTIES,
  introspectionXml, type InterfaceSpec, type ManagerView, type MethodSpec } from './api.js';
import { argBytes, BusErrors, checkNetworkName, DEFAULT_MAX_ARG_BYTES, isUnexpected, noSuchNetwork,
  quoteCaller, toDBusError, tooLarge } from './errors.js';
import { toJson } from './json.js';
import { authorize } from './authorize.js';
import { checkDropIn } from './check.js';
import { emitChanged, ManagerObject, NetworkObject, ObjectManagerObject, type Host, type ManagedObjects } from './objects.js';
import { BUS_NAME, MANAGER_PATH, networkPath } from './path.js';

export interface ExportOptions {
  /** Refuse calls whose arguments are larger than this (default 16 KiB). */
  maxArgBytes?: number;
  /** Where unexpected handler errors are logged (the caller only sees their message). */
  logger?: Pick<Logger, 'warning' | 'error'>;
  /** The drop-in directories in use, named where a caller is told to edit a drop-in. */
  configDirs?: readonly string[];
}

export interface ExportedDaemon {
  close(): void;
}

interface NetworkEntry {
  name: string;
  iface: NetworkObject;
  last: NetworkStatus;
  published: Record<string, unknown>;
}

type Body = unknown[];

function propertyValues<S>(spec: InterfaceSpec<S>, s: S): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of spec.properties) out[p.name] = p.get(s);
  return out;
}

function changedValues<S>(spec: InterfaceSpec<S>, before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const p of spec.properties) {
    if (p.emits !== 'true') continue;
    if (toJson(before[p.name]) !== toJson(after[p.name])) changed[p.name] = after[p.name];
  }
  return changed;
}

function variants<S>(spec: InterfaceSpec<S>, values: Record<string, unknown>): Record<string, Variant> {
  const out: Record<string, Variant> = {};
  for (const p of spec.properties) out[p.name] = new Variant(p.type, values[p.name]);
  return out;
}

function machineId(): string | null {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(f, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(id)) return id;
    } catch { /* try the next one */ }
  }
  return null;
}

class Exporter implements Host {
  private readonly manager: ManagerObject;
  private readonly objectManager: ObjectManagerObject;
  private readonly networks = new Map<string, NetworkEntry>();
  private managerPublished: Record<string, unknown>;
  private lastView: ManagerView;
  /** The method call dbus-next is about to hand to one of our objects (set and read in one tick). */
  private current: Message | null = null;
  private closed = false;
  private readonly maxArgBytes: number;
  private readonly unsubscribe: () => void;
  private readonly handler = (msg: Message): boolean => this.route(msg);

  constructor(private readonly bus: MessageBus, private readonly api: DaemonApi, private readonly opts: ExportOptions) {
    this.maxArgBytes = opts.maxArgBytes ?? DEFAULT_MAX_ARG_BYTES;
    this.manager = new ManagerObject(this);
    this.objectManager = new ObjectManagerObject(this, () => this.managedObjects());
    this.lastView = { version: api.version, state: 'starting', networkPaths: [], diagnostics: [], counters: api.counters, engines: [] };
    this.sync(false);
    this.lastView = this.managerView();
    this.managerPublished = propertyValues(MANAGER, this.lastView);
    bus.addMethodHandler(this.handler);
    bus.export(MANAGER_PATH, this.manager);
    bus.export(MANAGER_PATH, this.objectManager);
    this.unsubscribe = api.onChange(() => this.onChange());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.bus.removeMethodHandler(this.handler);
    for (const [path, entry] of this.networks) this.bus.unexport(path, entry.iface);
    this.networks.clear();
    // dbus-next drops the whole object (ObjectManager too) once one interface is unexported.
    this.bus.unexport(MANAGER_PATH, this.manager);
    this.bus.releaseName(BUS_NAME).catch(() => undefined);
  }

  /**
   * Once the name is ours: InterfacesAdded for every network and the manager's
   * properties in a PropertiesChanged, so a client that follows signals (not
   * only one that calls GetManagedObjects on NameOwnerChanged) catches up
   * after flatnetd attached late or the bus came back.
   */
  announce(): void {
    if (this.closed) return;
    this.sync(true);
    for (const [path, entry] of this.networks) {
      this.objectManager.InterfacesAdded(path, { [NETWORK.name]: variants(NETWORK, entry.published) });
    }
    const all: Record<string, unknown> = {};
    for (const p of MANAGER.properties) if (p.emits === 'true') all[p.name] = this.managerPublished[p.name];
    emitChanged(this.manager, all);
  }

  // ---- state → bus (level-based: every change re-reads everything) ----

  private onChange(): void {
    if (this.closed) return;
    try {
      this.sync(true);
    } catch (e) {
      this.opts.logger?.error(`D-Bus: could not publish a change: ${describeError(e)}`);
    }
  }

  private sync(signal: boolean): void {
    const statuses = this.api.networks();
    const want = new Map(statuses.map((s) => [networkPath(s.name), s]));
    for (const [path, entry] of [...this.networks]) {
      if (want.has(path)) continue;
      if (signal) this.objectManager.InterfacesRemoved(path, [NETWORK.name]);
      this.bus.unexport(path, entry.iface);
      this.networks.delete(path);
    }
    for (const [path, s] of want) {
      const entry = this.networks.get(path);
      const values = propertyValues(NETWORK, s);
      if (entry === undefined) {
        const iface = new NetworkObject(this, s.name);
        this.networks.set(path, { name: s.name, iface, last: s, published: values });
        this.bus.export(path, iface);
        if (signal) this.objectManager.InterfacesAdded(path, { [NETWORK.name]: variants(NETWORK, values) });
      } else {
        const changed = changedValues(NETWORK, entry.published, values);
        entry.last = s;
        entry.published = values;
        if (signal) emitChanged(entry.iface, changed);
      }
    }
    if (!signal) return;
    const view = this.managerView();
    const values = propertyValues(MANAGER, view);
    const changed = changedValues(MANAGER, this.managerPublished, values);
    this.managerPublished = values;
    emitChanged(this.manager, changed);
  }

  // ---- Host: what the objects read ----

  managerView(): ManagerView {
    try {
      this.lastView = {
        version: this.api.version,
        state: this.api.state(),
        networkPaths: this.api.networks().map((s) => networkPath(s.name)),
        diagnostics: this.api.diagnostics(),
        counters: { ...this.api.counters },
        engines: this.api.engines?.() ?? [],
      };
    } catch (e) {
      this.opts.logger?.warning(`D-Bus: reading the manager state failed, answering the last known one: ${describeError(e)}`);
    }
    return this.lastView;
  }

  networkStatus(name: string): NetworkStatus {
    const entry = this.networks.get(networkPath(name));
    try {
      const s = this.api.network(name);
      if (s !== undefined) return s;
    } catch (e) {
      this.opts.logger?.warning(`D-Bus: reading network ${name} failed, answering the last known state: ${describeError(e)}`);
    }
    // Between a network going away and the change reaching us: the last known state.
    if (entry !== undefined) return entry.last;
    throw noSuchNetwork(name);
  }

  private managedObjects(): ManagedObjects {
    const out: ManagedObjects = {};
    for (const [path, entry] of this.networks) {
      out[path] = { [NETWORK.name]: variants(NETWORK, propertyValues(NETWORK, this.networkStatus(entry.name))) };
    }
    return out;
  }

  async invoke(iface: string, method: MethodSpec, network: string | null, args: unknown[]): Promise<unknown> {
    const msg = this.current;
    this.current = null;
    try {
      if (msg === null || msg.interface !== iface || msg.member !== method.name) {
        // dbus-next called a method without the router seeing the message first: fail closed.
        throw new DBusError(BusErrors.AccessDenied, 'cannot tell who is calling; refused');
      }
      if (method.mutating) await authorize(this.bus, msg, this.opts.logger);
      return await this.run(iface, method.name, network, args);
    } catch (e) {
      if (isUnexpected(e)) this.opts.logger?.error(`D-Bus: ${iface}.${method.name} failed: ${describeError(e)}`);
      throw toDBusError(e);
    }
  }

  private knownNetwork(arg: unknown): string {
    const name = checkNetworkName(arg);
    if (this.api.network(name) === undefined) throw noSuchNetwork(name);
    return name;
  }

  private async run(iface: string, member: string, network: string | null, args: unknown[]): Promise<unknown> {
    const api = this.api;
    if (iface === NETWORK.name) {
      const name = this.knownNetwork(network);
      if (member === 'Up') return api.up(name);
      if (member === 'Down') return api.down(name);
      if (member === 'Reconcile') return api.reconcile();
    } else if (iface === MANAGER.name) {
      switch (member) {
        case 'ListNetworks': return api.networks().map((s) => [s.name, s.state, networkPath(s.name)]);
        case 'GetNetwork': return networkPath(this.knownNetwork(args[0]));
        case 'Describe': return toJson(api.describe());
        case 'Plan': {
          const ops = await api.plan();
          // Two out arguments: dbus-next sends an array as the reply's arguments.
          return [ops.map(planOpDict), blockedNetworks(api.networks()).map(blockedDict)];
        }
        case 'PlanFiles': {
          const planned = await api.planFiles(candidateFiles(args[0]));
          return [planned.operations.map(planOpDict), planned.blocked.map(blockedDict), planned.diagnostics.map(diagnosticDict)];
        }
        case 'DockerArgs': {
          const argv = api.dockerArgs(this.knownNetwork(args[0]));
          return argv.map(String);
        }
        case 'PodmanArgs': return api.podmanArgs(this.knownNetwork(args[0])).map(String);
        case 'CniConfig': return api.cniConfig(this.knownNetwork(args[0]));
        case 'RouterHints': return api.routerHints(this.knownNetwork(args[0]), String(args[1]));
        case 'Check': return checkDropIn(this.opts.configDirs, args[0], args[1]);
        case 'Probe': {
          const name = this.knownNetwork(args[0]);
          if (api.probe === undefined) throw new DBusError(BusErrors.UnknownMethod, 'this daemon does not scan the LAN');
          const r = await api.probe(name, args[1] === true);
          return [r.scanned, r.occupants.map(occupantDict), r.errors];
        }
        case 'Reload': return api.reload();
        case 'Reconcile': return api.reconcile();
        case 'Up': return api.up(this.knownNetwork(args[0]));
        case 'Down': return api.down(this.knownNetwork(args[0]));
      }
    }
    throw new DBusError(BusErrors.UnknownMethod, `no method ${member} on ${iface}`);
  }

  // ---- bus → objects: everything dbus-next would get wrong on its own ----

  private reply(msg: Message, signature: string, body: Body): true {
    this.bus.send(Message.newMethodReturn(msg, signature, body));
    return true;
  }

  private fail(msg: Message, e: unknown): true {
    const err = toDBusError(e);
    // dbus-next's typings say newError takes a string; it takes the call being answered.
    const newError = Message.newError as unknown as (call: Message, name: string, text: string) => Message;
    this.bus.send(newError(msg, err.type, err.text));
    return true;
  }

  private interfacesAt(path: string): InterfaceSpec<unknown>[] | null {
    if (path === MANAGER_PATH) return [MANAGER, OBJECT_MANAGER, PROPERTIES, INTROSPECTABLE, PEER];
    if (this.networks.has(path)) return [NETWORK, PROPERTIES, INTROSPECTABLE, PEER];
    if (this.childrenOf(path).length > 0) return [INTROSPECTABLE, PEER];
    return null;
  }

  private childrenOf(path: string): string[] {
    const prefix = path === '/' ? '/' : `${path}/`;
    const children = new Set<string>();
    for (const p of [MANAGER_PATH, ...this.networks.keys()]) {
      if (p.startsWith(prefix)) children.add(p.slice(prefix.length).split('/')[0] ?? '');
    }
    return [...children].filter((c) => c !== '').sort();
  }

  private route(msg: Message): boolean {
    try {
      return this.routeOrThrow(msg);
    } catch (e) {
      return this.fail(msg, e);
    }
  }

  private routeOrThrow(msg: Message): boolean {
    this.current = null;
    if (this.closed || msg.type !== MessageType.METHOD_CALL) return false;
    const signature = msg.signature ?? '';
    const body: Body = Array.isArray(msg.body) ? msg.body : [];
    if (argBytes(body, this.maxArgBytes) > this.maxArgBytes) throw tooLarge(this.maxArgBytes);

    const path = msg.path;
    // org.freedesktop.DBus.Peer belongs to the connection, not to an object:
    // it answers on every path, as sd-bus and GDBus do.
    if (msg.interface === PEER.name) return this.routePeer(msg, signature);
    const ifaces = this.interfacesAt(path);
    if (ifaces === null) throw new DBusError(BusErrors.UnknownObject, `no object at ${path}`);
    if (typeof msg.interface !== 'string' || msg.interface === '') {
      throw new DBusError(BusErrors.UnknownMethod, `call ${msg.member} with an interface name (busctl and gdbus do)`);
    }
    const spec = ifaces.find((i) => i.name === msg.interface);
    if (spec === undefined) {
      throw new DBusError(BusErrors.UnknownInterface, `${path} has no interface ${msg.interface}`);
    }
    const method = findMethod(spec, msg.member);
    if (method === undefined) throw new DBusError(BusErrors.UnknownMethod, `${msg.interface} has no method ${msg.member}`);
    const want = inSignature(method);
    if (signature !== want) {
      const args = method.in.map((x) => `${x.name} ${x.type}`).join(', ');
      throw new DBusError(BusErrors.InvalidArgs,
        `${msg.interface}.${msg.member} takes (${args || 'no arguments'}), signature "${want}", not "${signature}"`);
    }

    switch (spec.name) {
      case INTROSPECTABLE.name: {
        const own = ifaces.filter((i) => i !== INTROSPECTABLE && i !== PEER && i !== PROPERTIES);
        const std = ifaces.filter((i) => i === INTROSPECTABLE || i === PEER || i === PROPERTIES);
        return this.reply(msg, 's', [introspectionXml([...std, ...own], this.childrenOf(path))]);
      }
      case PROPERTIES.name:
        return this.routeProperties(msg, ifaces, body);
    }
    // One of our own methods: let dbus-next call it, with the caller kept for invoke().
    this.current = msg;
    return false;
  }

  private routePeer(msg: Message, signature: string): true {
    const method = findMethod(PEER, msg.member);
    if (method === undefined) throw new DBusError(BusErrors.UnknownMethod, `${PEER.name} has no method ${msg.member}`);
    if (signature !== inSignature(method)) {
      throw new DBusError(BusErrors.InvalidArgs, `${PEER.name}.${msg.member} takes no arguments, not "${signature}"`);
    }
    if (msg.member === 'Ping') return this.reply(msg, '', []);
    const id = machineId();
    if (id === null) throw new DBusError('org.freedesktop.DBus.Error.FileNotFound', 'this host has no /etc/machine-id');
    return this.reply(msg, 's', [id]);
  }

  private routeProperties(msg: Message, ifaces: InterfaceSpec<unknown>[], body: Body): boolean {
    const [ifaceName, prop] = body;
    const spec = ifaces.find((i) => i.name === ifaceName);
    if (spec === undefined) {
      // GetAll too, as sd-bus and GDBus answer: an empty dict would say the interface is there.
      throw new DBusError(BusErrors.UnknownInterface, `${msg.path} has no interface ${quoteCaller(String(ifaceName))}`);
    }
    if (msg.member === 'GetAll') {
      // An interface without properties (Peer, Introspectable…) has an empty dict.
      return spec.properties.length === 0 ? this.reply(msg, 'a{sv}', [{}]) : false;
    }
    if (!spec.properties.some((p) => p.name === prop)) {
      throw new DBusError(BusErrors.UnknownProperty, `${spec.name} has no property ${quoteCaller(String(prop))}`);
    }
    if (msg.member === 'Set') {
      const dirs = this.opts.configDirs ?? ['/etc/flatnet.d'];
      const where = dirs.length === 1 ? `the drop-in in ${dirs[0] ?? ''}` : `the drop-ins in ${dirs.join(', ')}`;
      throw new DBusError(BusErrors.PropertyReadOnly,
        `${spec.name}.${String(prop)} is read-only; change ${where} and run flatnetctl reload`);
    }
    return false;
  }
}

/**
 * Export `api` on `bus` and take the name org.flatnet.flatnet1. The objects are
 * in place before the name is, so a client that sees the name finds them.
 * Rejects (with a FlatnetError saying why) when the name is taken or not ours to own.
 */
export async function exportDaemon(bus: MessageBus, api: DaemonApi, opts: ExportOptions = {}): Promise<ExportedDaemon> {
  const exporter = new Exporter(bus, api, opts);
  let reply: number;
  try {
    reply = await bus.requestName(BUS_NAME, NameFlag.DO_NOT_QUEUE);
  } catch (e) {
    exporter.close();
    const text = e instanceof DBusError ? e.text : describeError(e);
    throw new FlatnetError('internal',
      `may not own ${BUS_NAME} on the system bus (${text}); flatnetd must run as root with `
      + 'org.flatnet.flatnet1.conf installed in /usr/share/dbus-1/system.d/', { object: BUS_NAME });
  }
  if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
    exporter.close();
    throw new FlatnetError('conflict',
      `${BUS_NAME} is already owned on the system bus: is another flatnetd running? `
      + `(busctl status ${BUS_NAME} shows its PID)`, { object: BUS_NAME });
  }
  exporter.announce();
  return exporter;
}

/** PlanFiles' a{ss}: path → text, as dbus-next hands it over (an object). A
 *  path is only a name to show diagnostics under, but it is shown: no control
 *  characters, and no longer than a path may be. */
function candidateFiles(arg: unknown): CandidateFile[] {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) throw new DBusError(BusErrors.InvalidArgs, 'files: expected a{ss}, path → text');
  return Object.entries(arg).map(([path, text]: [string, unknown]) => {
    if (typeof text !== 'string') throw new DBusError(BusErrors.InvalidArgs, 'files: expected a{ss}, path → text');
    if (path === '' || Buffer.byteLength(path) > 4096 || /[\u0000-\u001f\u007f-\u009f]/.test(path)) {
      throw new DBusError(BusErrors.InvalidArgs, `files: ${quoteCaller(path)} is not a path a drop-in could have`);
    }
    return { path, text };
  });
}
