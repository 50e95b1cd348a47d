// The operations a reconcile can make: a tagged union, planned by the pure
// planner, executed by a Kernel backend. Every op says which network(s) it is
// for and why, so the daemon's log line is one readable sentence.

import { kindOf } from '../kinds/registry.js';
import type { DesiredLink, DesiredRoute } from '../model/desired.js';

export interface LinkChanges {
  mtu?: number;
  mac?: string;
  up?: boolean;
  promisc?: boolean;
  alias?: string;
}

interface OpBase {
  /** Networks this op serves (for status and logs). */
  networks: string[];
  /** Why, in a few words: `missing`, `mode is vepa, want bridge`, `drop-in removed`. */
  reason: string;
}

export type Op =
  /** Create a link with its kind attributes, MTU, MAC and alias (then it is set up by a link-set). */
  | (OpBase & { op: 'link-add'; link: DesiredLink })
  /** Change attributes in place (ifindex kept). */
  | (OpBase & { op: 'link-set'; name: string; changes: LinkChanges })
  | (OpBase & { op: 'link-del'; name: string })
  | (OpBase & { op: 'addr-add'; dev: string; cidr: string })
  | (OpBase & { op: 'addr-del'; dev: string; cidr: string })
  | (OpBase & { op: 'route-add'; route: DesiredRoute })
  /** Delete one of our routes (proto ROUTE_PROTO) by dst/dev/metric. */
  | (OpBase & { op: 'route-del'; route: DesiredRoute });

export type OpKind = Op['op'];

/** Makes the compiler prove an executor handles every op kind. */
export type OpHandlers<R> = { [K in OpKind]: (op: Extract<Op, { op: K }>) => R };

export function dispatchOp<R>(op: Op, handlers: OpHandlers<R>): R {
  // The cast is sound: `op.op` selects the handler for exactly this variant.
  return (handlers[op.op] as (o: Op) => R)(op);
}

/** The link an op is about: made, changed, removed, or given an address or route. */
export function opLink(op: Op): string {
  switch (op.op) {
    case 'link-add': return op.link.name;
    case 'link-set': case 'link-del': return op.name;
    case 'addr-add': case 'addr-del': return op.dev;
    case 'route-add': case 'route-del': return op.route.dev;
  }
}

/** One line a person can read: `create docker-link (macvlan bridge on enp3s0) for lan: missing`. */
export function describeOp(op: Op): string {
  const why = op.reason ? `: ${op.reason}` : '';
  const nets = op.networks.length ? ` for ${op.networks.join(',')}` : '';
  return dispatchOp<string>(op, {
    'link-add': (o) => {
      const l = o.link;
      return `create ${l.name} (${kindOf(l).describe(l)})${nets}${why}`;
    },
    'link-set': (o) => `set ${o.name} ${Object.entries(o.changes).map(([k, v]) => `${k} ${String(v)}`).join(' ')}${nets}${why}`,
    'link-del': (o) => `delete ${o.name}${nets}${why}`,
    'addr-add': (o) => `add address ${o.cidr} to ${o.dev}${nets}${why}`,
    'addr-del': (o) => `remove address ${o.cidr} from ${o.dev}${nets}${why}`,
    'route-add': (o) => `add route ${o.route.dst} dev ${o.route.dev}${nets}${why}`,
    'route-del': (o) => `remove route ${o.route.dst} dev ${o.route.dev}${nets}${why}`,
  });
}
