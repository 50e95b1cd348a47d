// The bus API as data: one table per interface, read by the exporter (to
// configure dbus-next and to serve Introspect with argument names and
// annotations, which dbus-next's own introspection leaves out) and by the tests,
// which hold it against dbus/*.xml, the published source of truth.

import type { Diagnostic } from '../errors.js';
import type { DaemonCounters, EngineSummary, ManagerState, NetworkStatus } from '../model/status.js';
import { diagnosticDict, engineDict } from './dicts.js';
import { MANAGER_IFACE, NETWORK_IFACE, OBJECT_MANAGER_IFACE, PROPERTIES_IFACE } from './path.js';

export interface ArgSpec {
  name: string;
  type: string;
}

export interface MethodSpec {
  name: string;
  in: ArgSpec[];
  out: ArgSpec[];
  /** Changes the host: root only, in the bus policy and in the daemon. */
  mutating: boolean;
}

export type EmitsChanged = 'true' | 'invalidates' | 'const' | 'false';

export interface PropertySpec<S> {
  name: string;
  type: string;
  emits: EmitsChanged;
  get(s: S): unknown;
}

export interface SignalSpec {
  name: string;
  args: ArgSpec[];
}

export interface InterfaceSpec<S = never> {
  name: string;
  methods: MethodSpec[];
  properties: PropertySpec<S>[];
  signals: SignalSpec[];
}

/** What the Manager's properties are read from. */
export interface ManagerView {
  version: string;
  state: ManagerState;
  networkPaths: string[];
  diagnostics: Diagnostic[];
  counters: Readonly<DaemonCounters>;
  engines: EngineSummary[];
}

const a = (name: string, type: string): ArgSpec => ({ name, type });
const m = (name: string, inArgs: ArgSpec[], out: ArgSpec[], mutating = false): MethodSpec =>
  ({ name, in: inArgs, out, mutating });

const u64 = (n: number): bigint => (Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : 0n);

export const MANAGER: InterfaceSpec<ManagerView> = {
  name: MANAGER_IFACE,
  methods: [
    m('ListNetworks', [], [a('networks', 'a(sso)')]),
    m('GetNetwork', [a('name', 's')], [a('path', 'o')]),
    m('Describe', [], [a('json', 's')]),
    m('Plan', [], [a('operations', 'aa{sv}'), a('blocked', 'aa{sv}')]),
    m('PlanFiles', [a('files', 'a{ss}')], [a('operations', 'aa{sv}'), a('blocked', 'aa{sv}'), a('diagnostics', 'aa{sv}')]),
    m('DockerArgs', [a('name', 's')], [a('argv', 'as')]),
    m('PodmanArgs', [a('name', 's')], [a('argv', 'as')]),
    m('CniConfig', [a('name', 's')], [a('json', 's')]),
    m('RouterHints', [a('name', 's'), a('router', 's')], [a('text', 's')]),
    m('Check', [a('name', 's'), a('text', 's')], [a('path', 's'), a('diagnostics', 'aa{sv}')]),
    m('Probe', [a('name', 's'), a('force', 'b')], [a('scanned', 'u'), a('occupants', 'aa{sv}'), a('errors', 'as')], true),
    m('Reload', [], [], true),
    m('Reconcile', [], [], true),
    m('Up', [a('name', 's')], [], true),
    m('Down', [a('name', 's')], [], true),
  ],
  properties: [
    { name: 'Version', type: 's', emits: 'const', get: (v) => v.version },
    { name: 'State', type: 's', emits: 'true', get: (v) => v.state },
    { name: 'Networks', type: 'ao', emits: 'true', get: (v) => v.networkPaths },
    { name: 'Diagnostics', type: 'aa{sv}', emits: 'true', get: (v) => v.diagnostics.map(diagnosticDict) },
    // Counters change with every event: read them, they are not signalled (as systemd's NRestarts… are not).
    { name: 'Runs', type: 't', emits: 'false', get: (v) => u64(v.counters.runs) },
    { name: 'KernelEvents', type: 't', emits: 'false', get: (v) => u64(v.counters.events) },
    { name: 'Resyncs', type: 't', emits: 'false', get: (v) => u64(v.counters.resyncs) },
    { name: 'Writes', type: 't', emits: 'false', get: (v) => u64(v.counters.writes) },
    { name: 'Engines', type: 'aa{sv}', emits: 'true', get: (v) => v.engines.map(engineDict) },
  ],
  signals: [],
};

const u32 = (n: number): number => (Number.isInteger(n) && n >= 0 ? Math.min(n, 0xffffffff) : 0);
const i32 = (n: number): number => (Number.isInteger(n) && n >= 0 && n <= 0x7fffffff ? n : 0);

export const NETWORK: InterfaceSpec<NetworkStatus> = {
  name: NETWORK_IFACE,
  methods: [m('Up', [], [], true), m('Down', [], [], true), m('Reconcile', [], [], true)],
  properties: [
    { name: 'Name', type: 's', emits: 'const', get: (s) => s.name },
    { name: 'State', type: 's', emits: 'true', get: (s) => s.state },
    { name: 'ConfigFile', type: 's', emits: 'true', get: (s) => s.configFile },
    { name: 'Parent', type: 's', emits: 'true', get: (s) => s.parent },
    { name: 'ParentIfIndex', type: 'i', emits: 'true', get: (s) => i32(s.parentIfIndex) },
    { name: 'VLAN', type: 'q', emits: 'true', get: (s) => (Number.isInteger(s.vlan) && s.vlan > 0 && s.vlan < 4095 ? s.vlan : 0) },
    { name: 'Driver', type: 's', emits: 'true', get: (s) => s.driver },
    { name: 'Mode', type: 's', emits: 'true', get: (s) => s.mode },
    { name: 'Shim', type: 's', emits: 'true', get: (s) => s.shim },
    { name: 'ShimIfIndex', type: 'i', emits: 'true', get: (s) => i32(s.shimIfIndex) },
    { name: 'Carrier', type: 'b', emits: 'true', get: (s) => s.carrier },
    { name: 'Addresses', type: 'as', emits: 'true', get: (s) => [...s.addresses] },
    { name: 'LiveAddresses', type: 'as', emits: 'true', get: (s) => [...s.liveAddresses] },
    { name: 'Routes', type: 'as', emits: 'true', get: (s) => [...s.routes] },
    { name: 'IPRanges', type: 'as', emits: 'true', get: (s) => [...s.ipRanges] },
    { name: 'Subnets', type: 'as', emits: 'true', get: (s) => [...s.subnets] },
    { name: 'Gateways', type: 'as', emits: 'true', get: (s) => [...s.gateways] },
    { name: 'LastError', type: 's', emits: 'true', get: (s) => s.lastError },
    { name: 'LastChangeUSec', type: 't', emits: 'true', get: (s) => (s.lastChangeUSec >= 0n ? s.lastChangeUSec : 0n) },
    { name: 'RestoreCount', type: 'u', emits: 'true', get: (s) => u32(s.restoreCount) },
    { name: 'ReattachCount', type: 'u', emits: 'true', get: (s) => u32(s.engine?.reattachCount ?? 0) },
    { name: 'LastReattachUSec', type: 't', emits: 'true', get: (s) => { const t = s.engine?.lastReattachUSec ?? 0n; return t >= 0n ? t : 0n; } },
    { name: 'ReattachPending', type: 'u', emits: 'true', get: (s) => u32(s.engine?.reattachPending ?? 0) },
    { name: 'ReattachError', type: 's', emits: 'true', get: (s) => s.engine?.reattachError ?? '' },
    { name: 'EngineDiagnostics', type: 'aa{sv}', emits: 'true', get: (s) => (s.engine?.diagnostics ?? []).map(diagnosticDict) },
  ],
  signals: [],
};

export const OBJECT_MANAGER: InterfaceSpec = {
  name: OBJECT_MANAGER_IFACE,
  methods: [m('GetManagedObjects', [], [a('objects', 'a{oa{sa{sv}}}')])],
  properties: [],
  signals: [
    { name: 'InterfacesAdded', args: [a('object', 'o'), a('interfaces', 'a{sa{sv}}')] },
    { name: 'InterfacesRemoved', args: [a('object', 'o'), a('interfaces', 'as')] },
  ],
};

export const PROPERTIES: InterfaceSpec = {
  name: PROPERTIES_IFACE,
  methods: [
    m('Get', [a('interface_name', 's'), a('property_name', 's')], [a('value', 'v')]),
    m('GetAll', [a('interface_name', 's')], [a('props', 'a{sv}')]),
    m('Set', [a('interface_name', 's'), a('property_name', 's'), a('value', 'v')], [], true),
  ],
  properties: [],
  signals: [{
    name: 'PropertiesChanged',
    args: [a('interface_name', 's'), a('changed_properties', 'a{sv}'), a('invalidated_properties', 'as')],
  }],
};

export const INTROSPECTABLE: InterfaceSpec = {
  name: 'org.freedesktop.DBus.Introspectable',
  methods: [m('Introspect', [], [a('xml_data', 's')])],
  properties: [],
  signals: [],
};

export const PEER: InterfaceSpec = {
  name: 'org.freedesktop.DBus.Peer',
  methods: [m('Ping', [], []), m('GetMachineId', [], [a('machine_uuid', 's')])],
  properties: [],
  signals: [],
};

export function inSignature(method: MethodSpec): string {
  return method.in.map((x) => x.type).join('');
}

export function outSignature(method: MethodSpec): string {
  return method.out.map((x) => x.type).join('');
}

export function findMethod(iface: InterfaceSpec<unknown>, member: string): MethodSpec | undefined {
  return iface.methods.find((x) => x.name === member);
}

const DOCTYPE = '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
  + ' "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n';

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function interfaceXml(iface: InterfaceSpec<unknown>): string[] {
  const out = [` <interface name="${attr(iface.name)}">`];
  for (const meth of iface.methods) {
    const args = [...meth.in.map((x) => ({ ...x, dir: 'in' })), ...meth.out.map((x) => ({ ...x, dir: 'out' }))];
    if (args.length === 0) {
      out.push(`  <method name="${attr(meth.name)}"/>`);
      continue;
    }
    out.push(`  <method name="${attr(meth.name)}">`);
    for (const x of args) out.push(`   <arg name="${attr(x.name)}" type="${attr(x.type)}" direction="${x.dir}"/>`);
    out.push('  </method>');
  }
  for (const sig of iface.signals) {
    out.push(`  <signal name="${attr(sig.name)}">`);
    for (const x of sig.args) out.push(`   <arg name="${attr(x.name)}" type="${attr(x.type)}"/>`);
    out.push('  </signal>');
  }
  for (const p of iface.properties) {
    out.push(`  <property name="${attr(p.name)}" type="${attr(p.type)}" access="read">`);
    out.push(`   <annotation name="org.freedesktop.DBus.Property.EmitsChangedSignal" value="${p.emits}"/>`);
    out.push('  </property>');
  }
  out.push(' </interface>');
  return out;
}

/** The Introspect answer for one object: its interfaces and its direct children. */
export function introspectionXml(ifaces: readonly InterfaceSpec<unknown>[], children: readonly string[]): string {
  const lines = ['<node>'];
  for (const i of ifaces) lines.push(...interfaceXml(i));
  for (const c of children) lines.push(` <node name="${attr(c)}"/>`);
  lines.push('</node>');
  return DOCTYPE + lines.join('\n') + '\n';
}
