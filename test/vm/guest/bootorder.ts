// Scenario 1 (and again in the second boot): with flatnetd enabled, the VLAN
// parents and shims exist, with their addresses and routes, before
// docker.service starts. Judged by what docker.service's ExecStartPre
// recorded (before-docker.sh) and by systemd's own timestamps, not by sleeps.

import { existsSync, readFileSync } from 'node:fs';
import { run, unitProp, type IpAddr, type IpLink, type IpRoute, type Reporter } from './lib.js';
import { monotonicS } from './flatnet.js';
import { NETS, addrIndex, netProblems } from './topology.js';

interface BeforeDocker {
  uptime: number;
  flatnetd: string;
  flatnetdActiveEnter: number;
  links: IpLink[];
  addrs: IpAddr[];
  routes: IpRoute[];
}

export function bootOrder(r: Reporter, boot: string): void {
  const enabled = run(['systemctl', 'is-enabled', 'flatnetd.service']).stdout.trim();
  r.check('flatnetd.service is enabled', enabled === 'enabled', `systemctl is-enabled flatnetd.service: ${enabled}`);
  const from = existsSync('/var/lib/flatnet-vm/installed-from') ? readFileSync('/var/lib/flatnet-vm/installed-from', 'utf8').trim() : 'unknown';
  r.info('flatnetd installed from', from);

  const file = `/var/lib/flatnet-vm/before-docker.${boot}.json`;
  if (!existsSync(file)) {
    const err = existsSync(`${file}.err`) ? readFileSync(`${file}.err`, 'utf8').trim() : '';
    r.check('docker.service ExecStartPre recorded the kernel state', false,
      `${file} missing (docker.service ActiveState=${unitProp('docker.service', 'ActiveState')}${err ? `; ${err}` : ''})`);
    return;
  }
  let rec: BeforeDocker;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as BeforeDocker;
  } catch (e) {
    r.check('docker.service ExecStartPre recorded the kernel state', false, `${file}: ${String(e)}`);
    return;
  }
  r.check('flatnetd was active (had sent READY=1) when docker.service started', rec.flatnetd === 'active',
    `flatnetd.service ActiveState at docker's ExecStartPre (${rec.uptime} s): ${rec.flatnetd}`);

  const addrOf = addrIndex(rec.addrs);
  for (const n of NETS) {
    // A shim on a LAN gets its address once the ARP probe answered, which
    // READY=1 (and so docker.service) does not wait for; an internal network
    // (dummy parent) has no LAN to ask. flatnet-online.target waits for both.
    const probed = n.parentKind !== 'dummy';
    const problems = netProblems(n, rec.links, addrOf, rec.routes, !probed);
    const what = n.shim === null ? `${n.parent}` : `${n.parent} and ${n.shim}${probed ? '' : ` with ${n.shimAddrs.join(',')}`} and route ${n.routes.join(',')}`;
    r.check(`before docker.service started: ${n.name} (${what})`, problems.length === 0,
      problems.length === 0 ? `present at ${rec.uptime} s after kernel start` : problems.join('; '));
  }

  const flActive = rec.flatnetdActiveEnter / 1e6;
  const dkStart = monotonicS('docker.service', 'InactiveExitTimestampMonotonic');
  const dkActive = monotonicS('docker.service', 'ActiveEnterTimestampMonotonic');
  r.check('systemd timestamps: flatnetd.service active before docker.service began starting',
    flActive > 0 && dkStart > 0 && flActive <= dkStart,
    `flatnetd ActiveEnter ${flActive.toFixed(2)} s, docker InactiveExit ${dkStart.toFixed(2)} s, docker ActiveEnter ${dkActive.toFixed(2)} s (monotonic)`);
  r.info('boot order', `flatnetd active at ${flActive.toFixed(1)} s, docker starting at ${dkStart.toFixed(1)} s, docker active at ${dkActive.toFixed(1)} s`);
}
