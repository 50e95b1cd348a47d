// What a run did for one network, as one clause a person reads in the
// journal: `docker-link made again (macvlan bridge on enp3s0), address
// 192.168.88.192/32, route 192.168.88.192/27`. The single steps are logged
// at debug level by the loop; this is the line for everyone else.

import { kindOf } from '../kinds/registry.js';
import { dispatchOp, type Op } from './ops.js';

function words(kind: 'address' | 'route', items: readonly string[]): string {
  if (items.length === 0) return '';
  const name = kind === 'address' ? (items.length === 1 ? 'address' : 'addresses') : (items.length === 1 ? 'route' : 'routes');
  return `${name} ${items.join(', ')}`;
}

export function summarizeOps(ops: readonly Op[]): string {
  const deleted = new Set<string>();
  const made: string[] = [];
  const removed: string[] = [];
  const set: string[] = [];
  const addrs: string[] = [];
  const addrsGone: string[] = [];
  const routes: string[] = [];
  const routesGone: string[] = [];
  for (const op of ops) {
    dispatchOp<void>(op, {
      'link-add': (o) => {
        const l = o.link;
        made.push(`${l.name} ${deleted.has(l.name) ? 'made again' : 'made'} (${kindOf(l).describe(l)})`);
        deleted.delete(l.name);
      },
      'link-set': (o) => {
        // Setting up a just-made link is part of making it, not news.
        if (made.some((m) => m.startsWith(`${o.name} `))) return;
        const news = Object.entries(o.changes).map(([k, v]) =>
          k === 'up' ? (v === true ? 'up' : 'down') : k === 'alias' ? 'marked as flatnetd\'s' : k === 'promisc' ? `promiscuous ${v === true ? 'on' : 'off'}` : `${k} ${String(v)}`);
        if (news.length > 0) set.push(`${o.name} ${news.join(', ')}`);
      },
      'link-del': (o) => {
        deleted.add(o.name);
      },
      'addr-add': (o) => { addrs.push(o.cidr); },
      'addr-del': (o) => { addrsGone.push(o.cidr); },
      'route-add': (o) => { routes.push(o.route.dst); },
      'route-del': (o) => { routesGone.push(o.route.dst); },
    });
  }
  for (const name of deleted) removed.push(`${name} removed`);
  const parts = [...made, ...set, words('address', addrs), words('route', routes), ...removed];
  if (addrsGone.length > 0) parts.push(`${words('address', addrsGone)} removed`);
  if (routesGone.length > 0) parts.push(`${words('route', routesGone)} removed`);
  return parts.filter((p) => p !== '').join(', ');
}
