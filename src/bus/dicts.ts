// Records on the bus as `a{sv}` dictionaries with documented keys (flatnetd(8),
// dbus/*.xml): a GLib or Python client reads them without parsing JSON, a key
// that does not apply is left out rather than sent empty, and a new key is
// added without changing any signature. Keys are PascalCase, as property names.

import { Variant } from 'dbus-next';
import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { kindOf } from '../kinds/registry.js';
import { describeOp, dispatchOp, opLink, type Op } from '../plan/ops.js';
import type { EngineSummary } from '../model/status.js';
import type { Occupant } from '../lan/scan.js';
import type { BlockedNetwork } from '../reconcile/status.js';
import { networkPath } from './path.js';

export type Dict = Record<string, Variant>;

const s = (v: string): Variant => new Variant('s', v);

/** Severity, Code, Message, Text always; File, Line, Key, Value, Object, Network when known. */
export function diagnosticDict(d: Diagnostic): Dict {
  const out: Dict = { Severity: s(d.severity), Code: s(d.code), Message: s(d.message), Text: s(formatDiagnostic(d)) };
  if (d.file !== undefined) out['File'] = s(d.file);
  if (d.line !== undefined && Number.isInteger(d.line) && d.line > 0) out['Line'] = new Variant('u', Math.min(d.line, 0xffffffff));
  if (d.key !== undefined) {
    out['Key'] = s(d.key);
    out['Value'] = s(d.value ?? '');
  }
  if (d.object !== undefined) out['Object'] = s(d.object);
  if (d.network !== undefined) out['Network'] = s(d.network);
  return out;
}

/** Socket, State always; Engine and Message when they say something. */
export function engineDict(e: EngineSummary): Dict {
  const out: Dict = { Socket: s(e.socket), State: s(e.state) };
  if (e.engine !== '') out['Engine'] = s(e.engine);
  if (e.message !== '') out['Message'] = s(e.message);
  return out;
}

/**
 * Action, Link, Networks, Reason, Description always; then by action:
 * link-add Kind, Parent, VLAN, Mode; link-set MTU, MAC, Up, Promiscuous,
 * Alias (those it changes); addr-add/addr-del Address; route-add/route-del
 * Destination, Metric.
 */
export function planOpDict(op: Op): Dict {
  const out: Dict = {
    Action: s(op.op),
    Link: s(opLink(op)),
    Networks: new Variant('as', [...op.networks]),
    Reason: s(op.reason),
    Description: s(describeOp(op)),
  };
  const extra = dispatchOp<Dict>(op, {
    'link-add': (o) => {
      const l = o.link;
      const d: Dict = { Kind: s(l.kind) };
      if (l.parent !== null) d['Parent'] = s(l.parent);
      const a = kindOf(l).attrs(l);
      if (a.vlanId !== null) d['VLAN'] = new Variant('q', a.vlanId);
      if (a.mode !== null) d['Mode'] = s(a.mode);
      return d;
    },
    'link-set': (o) => {
      const d: Dict = {};
      const c = o.changes;
      if (c.mtu !== undefined) d['MTU'] = new Variant('u', c.mtu);
      if (c.mac !== undefined) d['MAC'] = s(c.mac);
      if (c.up !== undefined) d['Up'] = new Variant('b', c.up);
      if (c.promisc !== undefined) d['Promiscuous'] = new Variant('b', c.promisc);
      if (c.alias !== undefined) d['Alias'] = s(c.alias);
      return d;
    },
    'link-del': () => ({}),
    'addr-add': (o) => ({ Address: s(o.cidr) }),
    'addr-del': (o) => ({ Address: s(o.cidr) }),
    'route-add': (o) => ({ Destination: s(o.route.dst), Metric: new Variant('u', o.route.metric) }),
    'route-del': (o) => ({ Destination: s(o.route.dst), Metric: new Variant('u', o.route.metric) }),
  });
  return { ...out, ...extra };
}

/** Network, Path, State, Reason. */
export function blockedDict(b: BlockedNetwork): Dict {
  return { Network: s(b.name), Path: new Variant('o', networkPath(b.name)), State: s(b.state), Reason: s(b.reason) };
}

/** One address that answered Manager.Probe's scan: Address, MACAddress, Owner (`this-host` or `foreign`), Detail. */
export function occupantDict(o: Occupant): Dict {
  return { Address: s(o.address), MACAddress: s(o.mac), Owner: s(o.owner), Detail: s(o.detail) };
}
