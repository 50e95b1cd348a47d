// Scenario 4: the disk the first boot left (flatnetd installed and enabled,
// the drop-ins, Docker's networks and containers with --restart=always,
// networkd enabled) boots again: everything is restored before Docker, the
// shims keep their MACs, the containers come back and are reachable.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { link, run, waitFor, type Reporter } from './lib.js';
import { containerIp, netStatuses, pingSays, pings, statesLine } from './flatnet.js';
import { NETS, allProblems, net, ownedLinks } from './topology.js';
import { WITH_CONTAINERS, containerName } from './docker.js';

const STATE = '/var/lib/flatnet-vm/state-main.json';

interface Saved { macs: Record<string, string>; containers: Record<string, string> }

/** End of the first boot: what the second must find again. */
export function saveState(r: Reporter, containers: Record<string, string>): void {
  r.step('first boot: state saved for the second boot', () => {
    const macs: Record<string, string> = {};
    for (const n of NETS) if (n.shim !== null) macs[n.shim] = link(n.shim)?.address ?? 'absent';
    const saved: Saved = { macs, containers };
    writeFileSync(STATE, JSON.stringify(saved) + '\n');
    return JSON.stringify(saved);
  });
}

export function rebootScenario(r: Reporter): void {
  if (!existsSync(STATE)) {
    r.check('the first boot left its state on the disk', false, `${STATE} missing: the first boot did not get to its end`);
    return;
  }
  const saved = JSON.parse(readFileSync(STATE, 'utf8')) as Saved;

  const left = allProblems();
  r.check('second boot: every network is as its drop-in says', left.length === 0, left.join('; ') || 'all as asked');
  r.step('second boot: flatnetctl list shows every network configured', () => {
    const list = netStatuses();
    if (list.length !== NETS.length || list.some((n) => n.State !== 'configured')) throw new Error(statesLine(list));
    return statesLine(list);
  });
  r.step('second boot: the shims have the MACs they had in the first boot', () => {
    const now = Object.keys(saved.macs).map((s) => `${s}=${link(s)?.address ?? 'absent'}`);
    const was = Object.entries(saved.macs).map(([s, m]) => `${s}=${m}`);
    // ipvlan shims share their parent's MAC, and the veth NICs get new ones every boot.
    const macvlan = (x: string): boolean => NETS.some((n) => n.driver === 'macvlan' && x.startsWith(`${n.shim ?? '-'}=`));
    if (JSON.stringify(now.filter(macvlan)) !== JSON.stringify(was.filter(macvlan))) throw new Error(`first boot ${was.join(' ')}; now ${now.join(' ')}`);
    return now.filter(macvlan).join(' ');
  });
  const nd = run(['systemctl', 'is-active', 'systemd-networkd.service']).stdout.trim();
  if (nd === 'active') {
    // The first boot enabled it: at boot it races flatnetd for the new links.
    const states = new Map(run(['networkctl', 'list', '--no-legend', '--no-pager']).stdout.split('\n')
      .map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5).map((f) => [f[1] ?? '', f[4] ?? '']));
    const owned = ownedLinks();
    const taken = owned.filter((l) => states.get(l) !== 'unmanaged');
    r.check('second boot: systemd-networkd (enabled) leaves every link flatnetd made unmanaged', taken.length === 0,
      `${taken.length > 0 ? `networkd manages ${taken.join(', ')} (a networkd restart or reconfigure then drops their foreign addresses and routes); ` : ''}${owned.map((l) => `${l}=${states.get(l) ?? 'absent'}`).join(' ')}`);
  } else r.check('second boot: systemd-networkd (enabled by the first boot) runs', false, `systemctl is-active systemd-networkd.service: ${nd}`);

  for (const name of WITH_CONTAINERS) {
    const was = saved.containers[name];
    if (was === undefined) {
      r.skip(`second boot: ${name}'s container is back and reachable`, 'the first boot made no container on it');
      continue;
    }
    const c = containerName(name);
    const ok = r.step(`second boot: ${c} is running again on ${name} (${net(name).parent})`, () => {
      waitFor(`${c} to run`, () => run(['docker', 'inspect', '-f', '{{.State.Running}}', c]).stdout.trim() === 'true', 60_000);
      return `at ${containerIp(c)} (was ${was})`;
    });
    if (!ok) continue;
    const ip = containerIp(c);
    const p = pings(ip);
    r.check(`second boot: the host reaches ${c} through ${net(name).shim ?? '?'}`, p.code === 0, p.code === 0 ? `ping ${ip} answered` : pingSays(p));
  }
}
