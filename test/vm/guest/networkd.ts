// Scenario 6: systemd-networkd running with a broad configuration
// (test/vm/guest/networkd/: the NICs configured, a catch-all for every other
// link) leaves flatnetd's links, addresses and routes alone — when it starts,
// when it reloads, and when flatnetd re-creates a link while networkd runs.
// "Alone" is strict: same ifindexes, same addresses and routes, and flatnetd
// did not have to heal anything (RestoreCount unchanged).

import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { must, run, waitFor, type Reporter } from './lib.js';
import { netStatuses, restoreCounts } from './flatnet.js';
import { allProblems, diffSnapshots, ownedLinks, snapshot } from './topology.js';

const SHARE = '/usr/local/share/flatnet-vm/networkd';

/** networkd's setup state per link (`networkctl list`: IDX LINK TYPE OPERATIONAL SETUP). */
function setupStates(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of run(['networkctl', 'list', '--no-legend', '--no-pager']).stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 5 && f[1] !== undefined && f[4] !== undefined) out[f[1]] = f[4];
  }
  return out;
}

/** Waits until networkd has decided about every link flatnetd owns (and configured the NICs). */
function settled(): Record<string, string> {
  let last: Record<string, string> = {};
  waitFor('networkd to settle on every link', () => {
    last = setupStates();
    const nics = ['lan0', 'lan1', 'lan2'].every((n) => last[n] === 'configured');
    const ours = ownedLinks().every((n) => ['unmanaged', 'configured', 'failed', 'linger'].includes(last[n] ?? 'absent'));
    return nics && ours;
  }, 90_000);
  return last;
}

function statesOfOwned(s: Record<string, string>): string {
  return ownedLinks().map((n) => `${n}=${s[n] ?? 'absent'}`).join(' ');
}

export function networkdScenario(r: Reporter): void {
  mkdirSync('/etc/systemd/network', { recursive: true });
  for (const f of readdirSync(SHARE)) copyFileSync(`${SHARE}/${f}`, `/etc/systemd/network/${f}`);

  let before = snapshot();
  let counts = restoreCounts(netStatuses());
  const started = r.step('systemd-networkd starts with a catch-all .network', () => {
    must(['systemctl', 'start', 'systemd-networkd.service'], { timeoutMs: 90_000 });
    return statesOfOwned(settled());
  });
  if (!started) return;
  const judge = (what: string): void => {
    const diff = diffSnapshots(before, snapshot());
    const counts2 = restoreCounts(netStatuses());
    r.check(`networkd ${what}: flatnetd's links and the addresses and routes on them stay untouched`, diff === '' && counts2 === counts,
      diff !== '' ? `changed: ${diff}; networkd setup states: ${statesOfOwned(setupStates())}` : counts2 !== counts ? `flatnetd had to heal: RestoreCount ${counts} -> ${counts2}` : `unchanged; networkd setup states: ${statesOfOwned(setupStates())}`);
  };
  judge('started');
  const atStart = setupStates();
  const taken = ownedLinks().filter((n) => atStart[n] !== 'unmanaged');
  r.check('networkd started: it leaves every link flatnetd made unmanaged', taken.length === 0,
    taken.length === 0 ? statesOfOwned(atStart) : `networkd manages ${taken.map((n) => `${n} (${atStart[n] ?? 'absent'})`).join(', ')}: udev had not marked them (ID_NET_MANAGED_BY) when networkd looked; all: ${statesOfOwned(atStart)}`);

  r.step('networkd reload and udev "change" events on every link', () => {
    must(['udevadm', 'trigger', '--action=change', '--subsystem-match=net'], { timeoutMs: 60_000 });
    must(['udevadm', 'settle', '--timeout=60'], { timeoutMs: 70_000 });
    must(['networkctl', 'reload']);
    return statesOfOwned(settled());
  });
  judge('reloaded');

  // A link flatnetd makes while networkd watches: udev sees it (maybe before
  // its alias is set) and networkd decides about it at once.
  r.step('with networkd running, a shim deleted by someone else comes back and keeps its address and route', () => {
    must(['ip', 'link', 'del', 'ipvl2-shim']);
    waitFor('ipvl2-shim to be restored', () => allProblems().filter((x) => x.startsWith('ipvl2:')).length === 0, 30_000);
    const s = settled();
    // networkd may act on the new link a moment after deciding; look again once it has settled.
    must(['udevadm', 'settle', '--timeout=30'], { timeoutMs: 40_000 });
    const left = allProblems();
    if (left.length > 0) throw new Error(`${left.join('; ')} (networkd: ipvl2-shim=${s['ipvl2-shim'] ?? '?'})`);
    return `restored; networkd setup state ipvl2-shim=${s['ipvl2-shim'] ?? '?'}`;
  });
  r.check('networkd leaves a shim flatnetd re-created while it runs unmanaged', setupStates()['ipvl2-shim'] === 'unmanaged',
    `networkd setup state of the re-created ipvl2-shim: ${setupStates()['ipvl2-shim'] ?? 'absent'} (a "configured" link loses foreign addresses and routes when networkd restarts or reconfigures it)`);

  before = snapshot();
  counts = restoreCounts(netStatuses());
  r.step('systemd-networkd restarted (as a package upgrade does)', () => {
    must(['systemctl', 'restart', 'systemd-networkd.service'], { timeoutMs: 90_000 });
    return statesOfOwned(settled());
  });
  judge('restarted');

  // The second boot starts networkd at boot, racing flatnetd.
  must(['systemctl', 'enable', 'systemd-networkd.service']);
}
