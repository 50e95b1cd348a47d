// The bus's typed records (dbus/*.xml: a{sv} with documented keys) as plain
// data for flatnetctl. Pure: a value is read by its key, a key we do not know
// is ignored and one that is missing gets its empty value, so a daemon newer or
// older than this flatnetctl still decodes.

import type { Diagnostic, ErrorCode, Severity } from '../errors.js';

/** A dbus-next Variant, or anything else as it is. */
function plain(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'signature' in v && 'value' in v) return plain((v as { value: unknown }).value);
  return v;
}

function dict(v: unknown): Record<string, unknown> {
  const d = plain(v);
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return {};
  return Object.fromEntries(Object.entries(d).map(([k, x]) => [k, plain(x)]));
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => str(plain(x))) : []);
const list = (v: unknown): unknown[] => { const l = plain(v); return Array.isArray(l) ? l : []; };

/** One entry of the Manager's Diagnostics (aa{sv}). */
export function diagnosticFromBus(v: unknown): Diagnostic {
  const d = dict(v);
  const out: Diagnostic = { severity: str(d['Severity']) as Severity, code: str(d['Code']) as ErrorCode, message: str(d['Message']) };
  if (typeof d['File'] === 'string') out.file = d['File'];
  if (num(d['Line']) > 0) out.line = num(d['Line']);
  if (typeof d['Key'] === 'string') { out.key = d['Key']; out.value = str(d['Value']); }
  if (typeof d['Object'] === 'string') out.object = d['Object'];
  if (typeof d['Network'] === 'string') out.network = d['Network'];
  return out;
}

export function diagnosticsFromBus(v: unknown): Diagnostic[] {
  return list(v).map(diagnosticFromBus);
}

/** The Manager's Engines (aa{sv}): one followed engine socket each. */
export function enginesFromBus(v: unknown): { Socket: string; State: string; Engine: string; Message: string }[] {
  return list(v).map((e) => {
    const d = dict(e);
    return { Socket: str(d['Socket']), State: str(d['State']), Engine: str(d['Engine']), Message: str(d['Message']) };
  });
}

export interface PlannedOp {
  action: string;
  link: string;
  networks: string[];
  reason: string;
  description: string;
  /** Every key the daemon sent, as plain values (Kind, Address, Destination…). */
  fields: Record<string, unknown>;
}

export interface BlockedNetwork {
  network: string;
  state: string;
  reason: string;
}

export interface PlanReply {
  operations: PlannedOp[];
  blocked: BlockedNetwork[];
}

/** The reply of Manager.Plan: (aa{sv} operations, aa{sv} blocked). */
export function planFromBus(body: readonly unknown[]): PlanReply {
  const operations = list(body[0]).map((x) => {
    const d = dict(x);
    return { action: str(d['Action']), link: str(d['Link']), networks: strs(d['Networks']), reason: str(d['Reason']),
      description: str(d['Description']), fields: d };
  });
  const blocked = list(body[1]).map((x) => {
    const d = dict(x);
    return { network: str(d['Network']), state: str(d['State']), reason: str(d['Reason']) };
  });
  return { operations, blocked };
}

export interface ProbeReply {
  scanned: number;
  occupants: { address: string; mac: string; owner: string; detail: string }[];
  errors: string[];
}

/** The reply of Manager.Probe: (u scanned, aa{sv} occupants, as errors). */
export function probeFromBus(body: readonly unknown[]): ProbeReply {
  const occupants = list(body[1]).map((x) => {
    const d = dict(x);
    return { address: str(d['Address']), mac: str(d['MACAddress']), owner: str(d['Owner']), detail: str(d['Detail']) };
  });
  return { scanned: num(plain(body[0])), occupants, errors: strs(body[2]) };
}
