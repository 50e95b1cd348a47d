// Scenario 5: flatnetd on the real system bus and under systemd's control.
// busctl as root and as an unprivileged user (reads allowed, every mutation
// refused and without effect); `systemctl reload`; `systemctl stop` leaves
// every link in place; SIGKILL → Restart=on-failure → converges without
// re-creating anything (same ifindexes).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { must, run, unitProp, waitFor, type Reporter } from './lib.js';
import { pingSays, pings, waitRestarted } from './flatnet.js';
import { allProblems, diffSnapshots, snapshot } from './topology.js';

const DEST = 'org.flatnet.flatnet1';
const ROOT = '/org/flatnet/flatnet1';
const MANAGER = 'org.flatnet.flatnet1.Manager';
const NETWORK = 'org.flatnet.flatnet1.Network';
const NET_PATH = `${ROOT}/network/lan200`;

/** As nobody: the unprivileged user every system has. */
const asNobody = (argv: string[]): string[] => ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...argv];

export function control(r: Reporter, containerIps: Record<string, string>): void {
  busAsRoot(r);
  busAsNobody(r);
  lifecycle(r, containerIps);
}

function busAsRoot(r: Reporter): void {
  r.step('busctl (root): ListNetworks on the system bus lists every network', () => {
    const res = run(['busctl', '--system', 'call', DEST, ROOT, MANAGER, 'ListNetworks']);
    if (res.code !== 0) throw new Error(`${res.argv}: ${res.stderr.trim()}`);
    for (const n of ['lan200', 'ipvl2', 'ipvl3', 'internal', 'lan300', 'pod210']) if (!res.stdout.includes(`"${n}"`)) throw new Error(`${n} missing: ${res.stdout.trim()}`);
    return res.stdout.trim().slice(0, 300);
  });
  r.step('busctl (root): tree shows the manager and one object per network', () => {
    const res = run(['busctl', '--system', 'tree', '--list', DEST]);
    if (res.code !== 0 || !res.stdout.includes(NET_PATH)) throw new Error(`${res.argv}: ${res.stderr.trim() || res.stdout.trim()}`);
    return res.stdout.trim().split('\n').join(' ');
  });
  r.step('busctl (root): Manager State is running, lan200 State is configured', () => {
    const m = run(['busctl', '--system', 'get-property', DEST, ROOT, MANAGER, 'State']).stdout.trim();
    const n = run(['busctl', '--system', 'get-property', DEST, NET_PATH, NETWORK, 'State']).stdout.trim();
    if (m !== 's "running"' || n !== 's "configured"') throw new Error(`Manager.State ${m || '?'}, lan200 State ${n || '?'}`);
    return `${m}; ${n}`;
  });
  r.step('busctl (root): Reconcile is allowed', () => {
    const res = run(['busctl', '--system', 'call', DEST, ROOT, MANAGER, 'Reconcile'], { timeoutMs: 60_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: ${res.stderr.trim()}`);
    return 'ok';
  });
}

function busAsNobody(r: Reporter): void {
  r.step('busctl (nobody): reads are allowed (ListNetworks, properties, DockerArgs)', () => {
    const calls = [
      ['busctl', '--system', 'call', DEST, ROOT, MANAGER, 'ListNetworks'],
      ['busctl', '--system', 'get-property', DEST, NET_PATH, NETWORK, 'Shim'],
      ['busctl', '--system', 'call', DEST, ROOT, MANAGER, 'DockerArgs', 's', 'lan200'],
    ];
    const failed = calls.map((c) => run(asNobody(c))).filter((x) => x.code !== 0);
    if (failed.length > 0) throw new Error(failed.map((f) => `${f.argv}: ${f.stderr.trim()}`).join('; '));
    return `${calls.length} reads answered`;
  });
  const before = snapshot();
  const mutations: [string, string, string, string[]][] = [
    ['Manager.Reconcile', ROOT, `${MANAGER}.Reconcile`, []],
    ['Manager.Reload', ROOT, `${MANAGER}.Reload`, []],
    ['Manager.Down lan200', ROOT, `${MANAGER}.Down`, ['string:lan200']],
    ['Manager.Up lan200', ROOT, `${MANAGER}.Up`, ['string:lan200']],
    ['Network.Down (lan200 object)', NET_PATH, `${NETWORK}.Down`, []],
    ['Properties.Set', ROOT, 'org.freedesktop.DBus.Properties.Set', [`string:${MANAGER}`, 'string:State', 'variant:string:stopping']],
  ];
  for (const [what, path, member, args] of mutations) {
    // dbus-send prints the error's name, which busctl does not.
    const res = run(asNobody(['dbus-send', '--system', '--print-reply', `--dest=${DEST}`, path, member, ...args]));
    r.check(`busctl/dbus-send (nobody): ${what} is refused`, res.code !== 0 && REFUSED.test(res.stderr),
      `${res.argv.replace(/^setpriv .* -- /, '')}: exit ${res.code}: ${(res.stderr + res.stdout).trim().slice(0, 400)}`);
  }
  const viaBusctl = run(asNobody(['busctl', '--system', 'call', DEST, ROOT, MANAGER, 'Down', 's', 'lan200']));
  r.check('busctl (nobody): call Down is refused', viaBusctl.code !== 0 && /access denied|AccessDenied|Rejected|must authenticate as an administrator/i.test(viaBusctl.stderr),
    `exit ${viaBusctl.code}: ${viaBusctl.stderr.trim()}`);
  looseningPolicy(r);
  const diff = diffSnapshots(before, snapshot());
  r.check('the denied mutations changed nothing', diff === '', diff || 'every link, address and route as before');
}

/**
 * Nobody's mutations are refused: AccessDenied where polkitd is not running
 * (root only) or for what the bus policy denies outright (Properties.Set), and
 * InteractiveAuthorizationRequired where polkitd runs (the host image has it:
 * org.flatnet.flatnet1.manage needs an administrator, auth_admin_keep).
 */
const REFUSED = /org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)/;

/**
 * Defence in depth on the real bus: with a policy file that lets anyone send
 * anything to flatnetd (a loosened or broken install), flatnetd itself still
 * answers AccessDenied to nobody's mutations.
 */
function looseningPolicy(r: Reporter): void {
  const file = '/etc/dbus-1/system.d/zz-flatnet-vm-loosened.conf';
  mkdirSync('/etc/dbus-1/system.d', { recursive: true });
  writeFileSync(file, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><policy context="default"><allow send_destination="${DEST}"/></policy></busconfig>\n`);
  try {
    must(['busctl', '--system', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ReloadConfig']);
    for (const [what, member, args] of [['Down lan200', `${MANAGER}.Down`, ['string:lan200']], ['Reload', `${MANAGER}.Reload`, []]] as const) {
      const res = run(asNobody(['dbus-send', '--system', '--print-reply', `--dest=${DEST}`, ROOT, member, ...args]));
      const out = (res.stderr + res.stdout).trim();
      r.check(`with a policy that lets anyone send, flatnetd itself refuses nobody's ${what}`,
        res.code !== 0 && REFUSED.test(out) && !out.includes('Rejected send message'),
        out.includes('Rejected send message') ? `the bus still rejected it (the loosened policy did not load): ${out.slice(0, 300)}` : `exit ${res.code}: ${out.slice(0, 300)}`);
    }
  } finally {
    rmSync(file, { force: true });
    run(['busctl', '--system', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'ReloadConfig']);
  }
}

function lifecycle(r: Reporter, ips: Record<string, string>): void {
  const unit = 'flatnetd.service';
  let before = snapshot();

  r.step('systemctl reload flatnetd: same process, active again, nothing re-created', () => {
    const pid = unitProp(unit, 'MainPID');
    const res = run(['systemctl', 'reload', unit], { timeoutMs: 90_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    // ExecReload is `kill -HUP`: systemctl returns at once, and the unit shows
    // "reloading" from the daemon's RELOADING=1 until its READY=1.
    let state = '';
    waitFor('flatnetd to be active after the reload', () => (state = unitProp(unit, 'ActiveState')) === 'active', 60_000);
    const pid2 = unitProp(unit, 'MainPID');
    const diff = diffSnapshots(before, snapshot());
    if (state !== 'active' || pid2 !== pid || diff !== '') throw new Error(`ActiveState=${state}, MainPID ${pid} -> ${pid2}; ${diff || 'links unchanged'}`);
    return `MainPID ${pid}, active, links unchanged`;
  });

  r.step('systemctl stop flatnetd leaves every link, address and route in place', () => {
    const res = run(['systemctl', 'stop', unit], { timeoutMs: 90_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    const state = unitProp(unit, 'ActiveState');
    const diff = diffSnapshots(before, snapshot());
    if (state !== 'inactive' || diff !== '') throw new Error(`ActiveState=${state}; ${diff || 'links unchanged'}`);
    return `inactive; ${Object.keys(before).length} links unchanged`;
  });
  const lan = ips['lan200'];
  if (lan !== undefined) {
    const p = pings(lan);
    r.check('while flatnetd is stopped the host still reaches its container', p.code === 0, p.code === 0 ? `ping ${lan} answered` : pingSays(p));
  }
  r.step('systemctl start flatnetd adopts everything (same ifindexes)', () => {
    const res = run(['systemctl', 'start', unit], { timeoutMs: 90_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    const diff = diffSnapshots(before, snapshot());
    if (diff !== '') throw new Error(diff);
    return 'active; links unchanged';
  });

  before = snapshot();
  r.step('systemctl kill -s KILL flatnetd: restarted by systemd, converged with unchanged ifindexes', () => {
    const pid = unitProp(unit, 'MainPID');
    const restarts = Number(unitProp(unit, 'NRestarts'));
    const res = run(['systemctl', 'kill', '-s', 'KILL', unit]);
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    const pid2 = waitRestarted(unit, pid, 60_000);
    const restarts2 = Number(unitProp(unit, 'NRestarts'));
    waitFor('every network to be as asked', () => allProblems().length === 0, 30_000);
    const diff = diffSnapshots(before, snapshot());
    if (diff !== '' || restarts2 !== restarts + 1) throw new Error(`NRestarts ${restarts} -> ${restarts2}; ${diff || 'links unchanged'}`);
    return `MainPID ${pid} -> ${pid2}, NRestarts ${restarts} -> ${restarts2}, links unchanged`;
  });
  r.step('after the restart flatnetd answers on the bus again', () => {
    const res = run(['busctl', '--system', 'get-property', DEST, NET_PATH, NETWORK, 'State']);
    if (res.code !== 0 || res.stdout.trim() !== 's "configured"') throw new Error(`${res.argv}: ${res.stderr.trim() || res.stdout.trim()}`);
    return res.stdout.trim();
  });
}
