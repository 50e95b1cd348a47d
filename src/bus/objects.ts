// The dbus-next Interface classes. Members are configured from the tables in
// api.ts with Interface.configureMembers (dbus-next's decorators crash under
// TypeScript). Properties get a getter and NO setter: dbus-next writes a
// read-only property anyway when it has a setter.

import { interface as dbusInterface, type Variant } from 'dbus-next';
import type { NetworkStatus } from '../model/status.js';
import { MANAGER, NETWORK, OBJECT_MANAGER, type InterfaceSpec, type ManagerView, type MethodSpec,
  inSignature, outSignature } from './api.js';

/** What the bus objects need from the exporter. */
export interface Host {
  managerView(): ManagerView;
  networkStatus(name: string): NetworkStatus;
  /** Runs a method for the caller the router captured just before dbus-next called us. */
  invoke(iface: string, method: MethodSpec, network: string | null, args: unknown[]): Promise<unknown>;
}

export type ManagedObjects = Record<string, Record<string, Record<string, Variant>>>;

export class ManagerObject extends dbusInterface.Interface {
  constructor(readonly host: Host) {
    super(MANAGER.name);
  }
}

export class NetworkObject extends dbusInterface.Interface {
  constructor(readonly host: Host, readonly network: string) {
    super(NETWORK.name);
  }
}

export class ObjectManagerObject extends dbusInterface.Interface {
  constructor(readonly host: Host, private readonly objects: () => ManagedObjects) {
    super(OBJECT_MANAGER.name);
  }
  GetManagedObjects(): ManagedObjects {
    return this.objects();
  }
  // dbus-next emits whatever these return as the signal's body.
  InterfacesAdded(path: string, ifaces: Record<string, Record<string, Variant>>): unknown[] {
    return [path, ifaces];
  }
  InterfacesRemoved(path: string, ifaces: string[]): unknown[] {
    return [path, ifaces];
  }
}

interface MemberConfig {
  properties: Record<string, { signature: string; access: 'read' }>;
  methods: Record<string, { inSignature: string; outSignature: string }>;
  signals: Record<string, { signature: string }>;
}

function memberConfig(spec: InterfaceSpec<unknown>): MemberConfig {
  const cfg: MemberConfig = { properties: {}, methods: {}, signals: {} };
  for (const p of spec.properties) cfg.properties[p.name] = { signature: p.type, access: 'read' };
  for (const m of spec.methods) cfg.methods[m.name] = { inSignature: inSignature(m), outSignature: outSignature(m) };
  for (const s of spec.signals) cfg.signals[s.name] = { signature: s.args.map((x) => x.type).join('') };
  return cfg;
}

function defineReadOnly<T>(proto: object, spec: InterfaceSpec<T>, read: (self: never) => T): void {
  for (const p of spec.properties) {
    Object.defineProperty(proto, p.name, {
      get(this: never) { return p.get(read(this)); },
      configurable: true,
      enumerable: false,
    });
  }
}

function defineMethods(proto: object, spec: InterfaceSpec<unknown>, network: (self: never) => string | null): void {
  for (const m of spec.methods) {
    Object.defineProperty(proto, m.name, {
      value(this: { host: Host }, ...args: unknown[]): Promise<unknown> {
        return this.host.invoke(spec.name, m, network(this as never), args);
      },
      configurable: true,
      writable: true,
    });
  }
}

defineReadOnly(ManagerObject.prototype, MANAGER, (self: ManagerObject) => self.host.managerView());
defineMethods(ManagerObject.prototype, MANAGER, () => null);
ManagerObject.configureMembers(memberConfig(MANAGER));

defineReadOnly(NetworkObject.prototype, NETWORK, (self: NetworkObject) => self.host.networkStatus(self.network));
defineMethods(NetworkObject.prototype, NETWORK, (self: NetworkObject) => self.network);
NetworkObject.configureMembers(memberConfig(NETWORK));

ObjectManagerObject.configureMembers(memberConfig(OBJECT_MANAGER));

/** Emit PropertiesChanged for the given properties (already bus-typed values). */
export function emitChanged(iface: dbusInterface.Interface, changed: Record<string, unknown>): void {
  if (Object.keys(changed).length > 0) dbusInterface.Interface.emitPropertiesChanged(iface, changed, []);
}
