// What flatnetctl shows, built from what the bus says. Pure: the commands fetch,
// these shape and render.

import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { NETWORK_STATES } from '../model/status.js';
import { diagnosticsFromBus, enginesFromBus } from './decode.js';
import { fields, formatTimestamp, paint, plural, stateColour, table, type Cell, type Style } from './format.js';

export interface NetworkView {
  Path: string;
  Name: string;
  State: string;
  ConfigFile: string;
  Parent: string;
  ParentIfIndex: number;
  VLAN: number;
  Driver: string;
  Mode: string;
  Shim: string;
  ShimIfIndex: number;
  Carrier: boolean;
  Addresses: string[];
  Routes: string[];
  IPRanges: string[];
  Subnets: string[];
  Gateways: string[];
  LastError: string;
  LastChangeUSec: bigint;
  RestoreCount: number;
  ReattachCount: number;
  LastReattachUSec: bigint;
  ReattachPending: number;
  ReattachError: string;
  EngineDiagnostics: Diagnostic[];
}

/** One container engine as the Manager's Engines property gives it. */
export interface EngineInfo {
  Socket: string;
  State: string;
  Engine: string;
  Message: string;
}

export interface ManagerInfo {
  Version: string;
  State: string;
  Networks: string[];
  Diagnostics: Diagnostic[];
  Engines: EngineInfo[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : 0n);

export function networkView(path: string, p: Record<string, unknown>): NetworkView {
  return {
    Path: path, Name: str(p['Name']), State: str(p['State']), ConfigFile: str(p['ConfigFile']), Parent: str(p['Parent']),
    ParentIfIndex: num(p['ParentIfIndex']), VLAN: num(p['VLAN']), Driver: str(p['Driver']), Mode: str(p['Mode']),
    Shim: str(p['Shim']), ShimIfIndex: num(p['ShimIfIndex']), Carrier: p['Carrier'] === true,
    Addresses: strs(p['Addresses']), Routes: strs(p['Routes']), IPRanges: strs(p['IPRanges']),
    Subnets: strs(p['Subnets']), Gateways: strs(p['Gateways']), LastError: str(p['LastError']),
    LastChangeUSec: big(p['LastChangeUSec']), RestoreCount: num(p['RestoreCount']),
    ReattachCount: num(p['ReattachCount']), LastReattachUSec: big(p['LastReattachUSec']),
    ReattachPending: num(p['ReattachPending']), ReattachError: str(p['ReattachError']),
    EngineDiagnostics: diagnosticsFromBus(p['EngineDiagnostics']),
  };
}

export function managerInfo(p: Record<string, unknown>): ManagerInfo {
  const diags = diagnosticsFromBus(p['Diagnostics']);
  const engines: EngineInfo[] = enginesFromBus(p['Engines']);
  return { Version: str(p['Version']), State: str(p['State']), Networks: strs(p['Networks']), Diagnostics: diags, Engines: engines };
}

function stateCell(state: string): Cell {
  return { text: state, paint: stateColour(state) };
}

/** `error: /etc/flatnet.d/10-lan.conf:7: VLAN=5000: must be 1..4094`, as the rest of flatnetd writes it. */
export function renderDiagnostic(style: Style, d: Diagnostic): string {
  const sev = d.severity === 'error' ? paint(style, 'red', 'error')
    : d.severity === 'note' ? paint(style, 'cyan', 'note') : paint(style, 'yellow', 'warning');
  return `${sev}: ${formatDiagnostic(d)}`;
}

const STATE_ORDER: readonly string[] = NETWORK_STATES;

export interface ListOptions {
  /** Column headers (off with --no-legend). */
  header?: boolean;
  /** The trailing "N networks listed." (only for a person at a terminal). */
  summary?: boolean;
  /** Shorten columns to this width; null or absent: never (--full). */
  width?: number | null;
}

export function renderList(style: Style, nets: NetworkView[], opts: ListOptions = {}): string[] {
  const rows = nets.map((n) => [n.Name, stateCell(n.State), n.Driver, n.Mode, n.Parent || '-', n.Shim || '-',
    n.ParentIfIndex > 0 ? (n.Carrier ? 'yes' : 'no') : '-']);
  const lines = table(style, ['NAME', 'STATE', 'DRIVER', 'MODE', 'PARENT', 'SHIM', 'CARRIER'], rows,
    { header: opts.header !== false, width: opts.width ?? null, keep: [1] });
  return opts.summary === false ? lines : [...lines, '', `${plural(nets.length, 'network')} listed.`];
}

export function renderNetworkStatus(style: Style, n: NetworkView, nowMs: number, timeZone?: string): string[] {
  const dot = paint(style, stateColour(n.State), '●');
  const parent = n.Parent === '' ? ''
    : n.ParentIfIndex > 0 ? `${n.Parent} (index ${n.ParentIfIndex}, carrier ${n.Carrier ? 'yes' : 'no'})`
    : `${n.Parent} (missing)`;
  const shim = n.Shim === '' ? '' : n.ShimIfIndex > 0 ? `${n.Shim} (index ${n.ShimIfIndex})` : `${n.Shim} (missing)`;
  const rows: [string, string | string[] | Cell][] = [
    ['State', stateCell(n.State)],
    ['Config File', n.ConfigFile],
    ['Driver', n.Mode === '' ? n.Driver : `${n.Driver} (${n.Mode})`],
    ['Parent', parent],
    ['VLAN', n.VLAN > 0 ? String(n.VLAN) : ''],
    ['Shim', shim],
    ['Addresses', n.Addresses],
    ['Routes', n.Routes],
    ['IP Ranges', n.IPRanges],
    ['Subnets', n.Subnets],
    ['Gateways', n.Gateways],
    ['Restored', n.RestoreCount > 0 ? plural(n.RestoreCount, 'time') : ''],
    ['Re-attached', n.ReattachCount > 0 ? `${plural(n.ReattachCount, 'container')}, last ${formatTimestamp(n.LastReattachUSec, nowMs, timeZone)}` : ''],
    ['Re-attaching', n.ReattachPending > 0 ? plural(n.ReattachPending, 'container') : ''],
    ['Last Change', formatTimestamp(n.LastChangeUSec, nowMs, timeZone)],
    ['Last Error', { text: n.LastError, paint: 'red' }],
    ['Engine Error', { text: n.ReattachError, paint: 'red' }],
  ];
  const out = [`${dot} ${n.Name}`, ...fields(style, rows)];
  if (n.EngineDiagnostics.length > 0) out.push('', ...n.EngineDiagnostics.map((d) => renderDiagnostic(style, d)));
  return out;
}

export function renderManagerStatus(style: Style, m: ManagerInfo, nets: NetworkView[], opts: ListOptions = {}): string[] {
  const counts = new Map<string, number>();
  for (const n of nets) counts.set(n.State, (counts.get(n.State) ?? 0) + 1);
  const rank = (s: string): number => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
  const summary = [...counts].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)).map(([s, c]) => `${c} ${s}`).join(', ');
  const errors = m.Diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = m.Diagnostics.length - errors;
  const diag = m.Diagnostics.length === 0 ? 'none'
    : [errors > 0 ? plural(errors, 'error') : '', warnings > 0 ? plural(warnings, 'warning') : ''].filter(Boolean).join(', ');
  const out = [`${paint(style, stateColour(m.State), '●')} flatnetd ${m.Version}`, ...fields(style, [
    ['State', stateCell(m.State)],
    ['Networks', nets.length === 0 ? '0' : `${nets.length} (${summary})`],
    ['Diagnostics', diag],
    ['Engines', m.Engines.map(engineLine)],
  ])];
  if (nets.length > 0) out.push('', ...renderList(style, nets, { ...opts, summary: false }));
  if (m.Diagnostics.length > 0) out.push('', ...m.Diagnostics.map((d) => renderDiagnostic(style, d)));
  return out;
}

/** `Docker 20.10.24 (API 1.41) at /run/docker.sock`, or why not. */
export function engineLine(e: EngineInfo): string {
  if (e.State === 'attached') return `${e.Engine} at ${e.Socket}`;
  if (e.State === 'absent') return `none at ${e.Socket}`;
  return `${e.State} at ${e.Socket}${e.Message ? `: ${e.Message}` : ''}`;
}

/** A property value as one short word or list for `monitor`. */
export function shortValue(v: unknown): string {
  if (typeof v === 'string') return v === '' ? '""' : /\s/.test(v) ? JSON.stringify(v) : v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : v.every((x) => typeof x === 'string') ? v.join(',') : plural(v.length, 'entry', 'entries');
  return JSON.stringify(v) ?? '';
}

export type MonitorEvent =
  | { event: 'changed'; object: 'manager' | 'network'; name: string; changes: Record<string, { from: unknown; to: unknown }> }
  | { event: 'added'; object: 'network'; name: string; state: string }
  | { event: 'removed'; object: 'network'; name: string }
  | { event: 'daemon'; running: boolean };

/** Properties that change with every other change and would only add noise to a text line. */
const QUIET = new Set(['LastChangeUSec']);

export function monitorText(style: Style, ev: MonitorEvent, when: Date): string {
  const t = `${String(when.getHours()).padStart(2, '0')}:${String(when.getMinutes()).padStart(2, '0')}:${String(when.getSeconds()).padStart(2, '0')}`;
  switch (ev.event) {
    case 'daemon': return `${t} flatnetd ${ev.running ? 'started' : 'stopped'}`;
    case 'added': return `${t} ${ev.name}: added (${paint(style, stateColour(ev.state), ev.state)})`;
    case 'removed': return `${t} ${ev.name}: removed`;
    case 'changed': {
      const who = ev.object === 'manager' ? 'flatnetd' : ev.name;
      const parts = Object.entries(ev.changes).filter(([k]) => !QUIET.has(k)).map(([k, { from, to }]) => {
        // A heal: say so first, in words, rather than as a counter going up.
        if (k === 'RestoreCount' && typeof to === 'number' && (typeof from !== 'number' || to > from)) return `restored (${plural(to, 'time')} in all)`;
        if (k === 'ShimIfIndex' && typeof to === 'number' && typeof from === 'number' && from > 0 && to > 0) return `shim re-made (index ${from} → ${to})`;
        const shown = k === 'State' ? paint(style, stateColour(String(to)), shortValue(to)) : shortValue(to);
        return from === undefined ? `${k} ${shown}` : `${k} ${shortValue(from)} → ${shown}`;
      }).sort((a, b) => Number(b.startsWith('restored')) - Number(a.startsWith('restored')));
      return parts.length === 0 ? '' : `${t} ${who}: ${parts.join(', ')}`;
    }
  }
}
