// Scenario 3: the link kinds the host kernel lacks, made by flatnetd from the
// drop-ins (802.1Q parents, ipvlan l2/l3 shims, a dummy parent for an internal
// network), and the VLAN cases the namespace tier skips: parts deleted by
// someone else, the NIC replugged under a VLAN, carrier lost and regained.

import { addrs, link, links, must, routes, waitFor, type Reporter } from './lib.js';
import { netProp, netStatuses, statesLine } from './flatnet.js';
import { NETS, allProblems, diffSnapshots, net, netProblems, snapshot, addrIndex } from './topology.js';

const RESTORE_MS = 30_000;

function label(name: string): string {
  const n = net(name);
  const parent = n.parentKind === 'vlan' ? `802.1Q parent ${n.parent}` : n.parentKind === 'dummy' ? `dummy parent ${n.parent}` : `parent ${n.parent}`;
  return n.shim === null ? parent : `${parent}, ${n.driver} ${n.mode} shim ${n.shim} with address and route`;
}

function problemsOf(name: string): string[] {
  return netProblems(net(name), links(), addrIndex(addrs()), routes('4'));
}

function waitGood(name: string): void {
  waitFor(`${name} to be as its drop-in says`, () => problemsOf(name).length === 0, RESTORE_MS);
}

export function kinds(r: Reporter): void {
  for (const n of NETS) {
    const p = problemsOf(n.name);
    r.check(`${n.name}: ${label(n.name)}`, p.length === 0, p.length === 0 ? 'as the drop-in says' : p.join('; '));
  }
  r.step('flatnetctl list: every network configured', () => {
    const list = netStatuses();
    const bad = list.filter((n) => n.State !== 'configured');
    if (bad.length > 0 || list.length !== NETS.length) throw new Error(`${list.length} networks: ${statesLine(list)}`);
    return statesLine(list);
  });

  // Nothing is on these links yet (Docker comes later): deleting them costs no container.
  r.step('a VLAN parent deleted by someone else comes back (lan0.300)', () => {
    must(['ip', 'link', 'del', 'lan0.300']);
    waitGood('lan300');
    return `restored as #${link('lan0.300')?.ifindex ?? '?'}`;
  });
  r.step('an 802.1Q parent deleted with its shim on it: both come back (lan0.200, lan200-shim)', () => {
    must(['ip', 'link', 'del', 'lan0.200']);
    waitGood('lan200');
    return `restored: lan0.200 #${link('lan0.200')?.ifindex ?? '?'}, lan200-shim #${link('lan200-shim')?.ifindex ?? '?'}`;
  });
  r.step('an ipvlan l3 shim deleted by someone else comes back (ipvl3-shim)', () => {
    must(['ip', 'link', 'del', 'ipvl3-shim']);
    waitGood('ipvl3');
    return `restored as #${link('ipvl3-shim')?.ifindex ?? '?'}`;
  });
  r.step('a macvlan shim on the dummy parent deleted: it comes back with the same MAC (shim-internal)', () => {
    const mac = link('shim-internal')?.address;
    must(['ip', 'link', 'del', 'shim-internal']);
    waitGood('internal');
    const now = link('shim-internal')?.address;
    if (mac !== now) throw new Error(`MAC ${mac ?? '?'} before, ${now ?? '?'} after`);
    return `restored with MAC ${now ?? '?'}`;
  });
  r.step('the NIC under two VLANs unplugged and plugged back: VLAN parents and shim restored on the new lan0', () => {
    const old = link('lan0')?.ifindex;
    must(['ip', 'link', 'del', 'lan0']);
    // What lan.sh does for lan0: the same NIC name, a new ifindex.
    must(['ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan0-peer', 'netns', 'fnt-vm-lan']);
    must(['ip', 'addr', 'add', '192.168.88.10/24', 'dev', 'lan0']);
    must(['ip', 'link', 'set', 'lan0', 'up']);
    must(['ip', '-n', 'fnt-vm-lan', 'addr', 'add', '192.168.88.1/24', 'dev', 'lan0-peer']);
    must(['ip', '-n', 'fnt-vm-lan', 'link', 'set', 'lan0-peer', 'up']);
    must(['ip', '-n', 'fnt-vm-lan', 'link', 'add', 'link', 'lan0-peer', 'name', 'lan0-peer.200', 'type', 'vlan', 'id', '200']);
    must(['ip', '-n', 'fnt-vm-lan', 'addr', 'add', '192.168.200.1/24', 'dev', 'lan0-peer.200']);
    must(['ip', '-n', 'fnt-vm-lan', 'link', 'set', 'lan0-peer.200', 'up']);
    waitGood('lan200');
    waitGood('lan300');
    waitGood('pod210');
    return `lan0 #${old ?? '?'} -> #${link('lan0')?.ifindex ?? '?'}; lan0.200 #${link('lan0.200')?.ifindex ?? '?'}, lan0.300 #${link('lan0.300')?.ifindex ?? '?'}`;
  });
  r.step('carrier lost and regained under a VLAN: parent and shim stay (same ifindex) and report carrier', () => {
    const before = snapshot();
    must(['ip', '-n', 'fnt-vm-lan', 'link', 'set', 'lan0-peer', 'down']);
    waitFor('lan0.200 to lose its lower layer', () => (link('lan0.200')?.operstate ?? '') !== 'UP', 10_000);
    let down = '';
    try {
      waitFor('flatnetd to report no carrier on lan200', () => (down = netProp('lan200', 'Carrier')) === 'b false', RESTORE_MS);
    } finally {
      must(['ip', '-n', 'fnt-vm-lan', 'link', 'set', 'lan0-peer', 'up']);
    }
    waitFor('lan0.200 to be UP again', () => link('lan0.200')?.operstate === 'UP', 10_000);
    waitFor('flatnetd to report carrier on lan200', () => netProp('lan200', 'Carrier') === 'b true', RESTORE_MS);
    const diff = diffSnapshots(before, snapshot());
    if (diff !== '') throw new Error(`changed: ${diff}`);
    return `unchanged; Carrier ${down} while the wire was down, b true again after`;
  });
  const left = allProblems();
  r.check('after the VLAN cases every network is as its drop-in says', left.length === 0, left.join('; ') || 'all as asked');
}
