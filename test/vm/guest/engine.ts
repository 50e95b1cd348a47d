// Boot "engine" (issue 15): flatnetd follows Docker's Engine API. Two
// networks made with `flatnetctl docker-args`, a container on each; then the
// VLAN parent lan0.200 is deleted under its running container and the host
// must reach it again at the same address with no command typed — also after
// the engine was restarted — while the container on the other network is
// never touched. The Engine API's answers are recorded on the way for the
// unit tier's fake engine (test/fixtures/engine/).

import { mkdirSync, writeFileSync } from 'node:fs';
import { link, must, run, sleepMs, waitFor, type Reporter } from './lib.js';
import { cmdline, containerIp, ctlJson, pingSays, pings } from './flatnet.js';

const IMAGE = 'flatnet-vm/busybox';
const NETS = ['lan200', 'ipvl2'] as const;
const cname = (n: string): string => `c-${n}`;
const FIXTURES = '/flatnet-results/engine-fixtures';

function journal(since: string): string {
  return run(['journalctl', '-u', 'flatnetd.service', '-o', 'cat', '--no-pager', '--since', since]).stdout;
}

function nowStamp(): string {
  return must(['date', '+%Y-%m-%d %H:%M:%S']).trim();
}

/** One Engine API answer, as curl got it from docker's own socket. */
function api(method: string, path: string, body?: unknown): { status: number; body: string } {
  const argv = ['curl', '-s', '--unix-socket', '/run/docker.sock', '-X', method, '-o', '/run/fvm-api.out', '-w', '%{http_code}'];
  if (body !== undefined) argv.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
  argv.push(`http://docker${path}`);
  const r = run(argv, { timeoutMs: 30_000 });
  return { status: Number(r.stdout.trim() || '0'), body: run(['cat', '/run/fvm-api.out']).stdout };
}

function record(name: string, a: { status: number; body: string }): string {
  mkdirSync(FIXTURES, { recursive: true });
  writeFileSync(`${FIXTURES}/${name}`, a.body.endsWith('\n') ? a.body : `${a.body}\n`);
  return `${name}: HTTP ${a.status}`;
}

/** ifindex of eth0 in the container (a new one means a new interface) and its address. */
function eth0(c: string): string {
  return run(['docker', 'exec', c, 'sh', '-c', 'cat /sys/class/net/eth0/ifindex; ip -o -4 addr show dev eth0'], { timeoutMs: 30_000 }).stdout.replace(/\s+/g, ' ').trim();
}

/**
 * Deletes lan0.200 and times the way back: the first ping the container answers.
 * @param first done just before the deletion (flatnetd killed), inside the timing
 * @param waitMs how long the host may take to reach it again (a flatnetd that must start first takes
 *   tens of seconds under software emulation: Node's start alone, and systemd's RestartSec=)
 */
function deleteParentAndTime(r: Reporter, what: string, ip: string, other: { c: string; before: string }, first?: () => void, waitMs = 60_000): void {
  const since = nowStamp();
  const old = link('lan0.200')?.ifindex;
  const startedBefore = must(['docker', 'inspect', '-f', '{{.State.StartedAt}}', 'c-lan200']).trim();
  const t0 = Date.now();
  first?.();
  must(['ip', 'link', 'del', 'lan0.200']);
  let answered = 0;
  while (Date.now() - t0 < waitMs) {
    if (run(['ping', '-n', '-c', '1', '-W', '1', ip], { timeoutMs: 5000 }).code === 0) {
      answered = Date.now();
      break;
    }
    sleepMs(50);
  }
  const ok = r.check(`${what}: the host reaches c-lan200 at ${ip} again with no command typed`, answered !== 0,
    answered !== 0 ? `first answer ${answered - t0} ms after lan0.200 was deleted` : `no answer within ${waitMs / 1000} s; ${pingSays(pings(ip))}; c-lan200: ${eth0('c-lan200') || 'no eth0'}; journal: ${journal(since).split('\n').slice(-15).join(' | ')}`);
  if (ok) r.info(`${what}: time from deleting lan0.200 to the first ping answered`, `${answered - t0} ms (lan0.200 #${old ?? '?'} → #${link('lan0.200')?.ifindex ?? '?'})`);
  r.step(`${what}: c-lan200 has its old address on a new interface, not restarted`, () => {
    // Docker names the interface of a connect after the sandbox's count (eth1, eth2…), not eth0.
    const now = run(['docker', 'exec', 'c-lan200', 'ip', '-o', '-4', 'addr', 'show'], { timeoutMs: 30_000 }).stdout.replace(/\s+/g, ' ').trim();
    if (!now.includes(`inet ${ip}/`)) throw new Error(`c-lan200 has no ${ip}: ${now || 'no addresses'}`);
    const started = must(['docker', 'inspect', '-f', '{{.State.StartedAt}}', 'c-lan200']).trim();
    if (started !== startedBefore) throw new Error(`c-lan200 was restarted: StartedAt ${startedBefore} → ${started}`);
    return `${now}; StartedAt unchanged (${started})`;
  });
  r.step(`${what}: the container on the other network (${other.c}) was not touched`, () => {
    const now = eth0(other.c);
    if (now !== other.before) throw new Error(`${other.c} eth0 was "${other.before}", now "${now}"`);
    const j = journal(since);
    if (j.includes(other.c)) throw new Error(`flatnetd's journal names ${other.c}: ${j.split('\n').filter((l) => l.includes(other.c)).join(' | ')}`);
    return `${other.c} eth0 unchanged: ${now}`;
  });
  r.step(`${what}: the journal says what flatnetd did, once`, () => {
    const lines = journal(since).split('\n').filter((l) => /re-attach|re-made|engine:/.test(l));
    if (!lines.some((l) => l.includes('lan200: re-attached c-lan200 at'))) throw new Error(lines.join(' | ') || 'nothing about the engine');
    return lines.join(' | ');
  });
}

export function engineScenario(r: Reporter): void {
  const active = run(['systemctl', 'is-active', 'docker.service']).stdout.trim();
  if (!r.check('docker.service is active', active === 'active', `systemctl is-active docker.service: ${active}`)) return;
  const tar = `${cmdline('flatnet.cache') ?? ''}/busybox-image.tar`;
  if (!r.step('docker import of a busybox-static rootfs tarball', () => must(['docker', 'import', tar, IMAGE], { timeoutMs: 120_000 }).trim())) return;
  for (const name of NETS) {
    r.step(`${name}: docker network create with flatnetctl docker-args`, () => must(ctlJson<string[]>('docker-args', name, '--json'), { timeoutMs: 120_000 }).trim());
  }
  const ips: Record<string, string> = {};
  for (const name of NETS) {
    r.step(`${name}: a container runs on it`, () => {
      must(['docker', 'run', '-d', '--restart=always', '--stop-timeout=1', '--name', cname(name), '--network', name, IMAGE, 'sleep', '2147483647'], { timeoutMs: 180_000 });
      ips[name] = containerIp(cname(name));
      return `${cname(name)} at ${ips[name]}`;
    });
  }
  const ip = ips['lan200'];
  if (ip === undefined || ips['ipvl2'] === undefined) return;
  r.step('flatnetd attached to the engine and says so', () => {
    waitFor('the engine line', () => journal('-10min').includes('engine: attached to Docker'), 30_000);
    return journal('-10min').split('\n').filter((l) => l.includes('engine:')).join(' | ');
  });
  const p = pings(ip);
  if (!r.check('lan200: the host reaches c-lan200 through its shim', p.code === 0, pingSays(p))) return;

  r.step('Engine API answers recorded for the unit tier', () => [
    record('version.json', api('GET', '/version')),
    record('network-lan200.json', api('GET', '/v1.41/networks/lan200')),
    record('container-c-lan200.json', api('GET', '/v1.41/containers/c-lan200/json')),
    record('error-network-404.json', api('GET', '/v1.41/networks/lan999')),
    record('error-container-404.json', api('GET', '/v1.41/containers/c-none/json')),
    record('error-create-409.json', api('POST', '/v1.41/networks/create', { Name: 'lan200', Driver: 'macvlan', CheckDuplicate: true })),
    record('error-connect-403.json', api('POST', '/v1.41/networks/lan200/connect', { Container: 'c-lan200' })),
    record('error-disconnect-not-connected.json', api('POST', '/v1.41/networks/ipvl2/disconnect', { Container: 'c-lan200', Force: true })),
  ].join('; '));

  const other = { c: cname('ipvl2'), before: eth0(cname('ipvl2')) };
  const t0 = Math.floor(Date.now() / 1000);
  deleteParentAndTime(r, 'parent deleted', ip, other);
  r.step('Engine API events of the re-attach recorded', () => record('events-reattach.jsonl',
    api('GET', `/v1.41/events?since=${t0}&until=${Math.floor(Date.now() / 1000) + 1}&filters=${encodeURIComponent(JSON.stringify({ type: ['network'] }))}`)));

  const restarted = r.step('docker.service restarted (flatnetd follows the new engine)', () => {
    must(['systemctl', 'restart', 'docker.service'], { timeoutMs: 180_000 });
    waitFor('the containers to run again', () => NETS.every((n) => run(['docker', 'inspect', '-f', '{{.State.Running}}', cname(n)]).stdout.trim() === 'true'), 120_000);
    waitFor('flatnetd to attach again', () => journal('-2min').split('\n').filter((l) => l.includes('engine: attached to Docker')).length > 0, 60_000);
    return `containers running; ${journal('-2min').split('\n').filter((l) => l.includes('engine:')).join(' | ')}`;
  });
  if (restarted) {
    const again = { c: cname('ipvl2'), before: eth0(cname('ipvl2')) };
    deleteParentAndTime(r, 'after the engine restarted, parent deleted', containerIp('c-lan200') || ip, again);
  }

  // A flatnetd that never saw the old lan0.200: killed, the parent deleted
  // before systemd starts it again (RestartSec=), so the new one re-makes the
  // parent without knowing it was re-made and must still find c-lan200 cut off.
  const pid = must(['systemctl', 'show', '-p', 'MainPID', '--value', 'flatnetd.service']).trim();
  const third = { c: cname('ipvl2'), before: eth0(cname('ipvl2')) };
  deleteParentAndTime(r, 'flatnetd killed (SIGKILL), lan0.200 deleted before systemd restarts it', containerIp('c-lan200') || ip, third, () => {
    must(['systemctl', 'kill', '-s', 'SIGKILL', 'flatnetd.service']);
    waitFor('flatnetd to be gone', () => run(['systemctl', 'show', '-p', 'MainPID', '--value', 'flatnetd.service']).stdout.trim() !== pid, 10_000);
  }, 300_000);
  r.step('flatnetd killed: after the new flatnetd attached, it re-attached c-lan200 without having seen the parent change', () => {
    const j = journal('-10min').split('\n');
    const at = j.map((l) => l.includes('engine: attached to Docker')).lastIndexOf(true);
    const after = j.slice(at + 1).filter((l) => /lan200: (parent \S+ re-made \(#|re-attached)/.test(l));
    if (at < 0 || !after.some((l) => l.includes('lan200: re-attached c-lan200'))) throw new Error(j.filter((l) => /lan200|engine:/.test(l)).slice(-6).join(' | '));
    if (after.some((l) => / re-made \(#/.test(l))) throw new Error(`it saw a parent change: ${after.join(' | ')}`);
    return after.join(' | ');
  });
  r.step('flatnetd killed: systemd started a new one (Restart=on-failure)', () => {
    const now = must(['systemctl', 'show', '-p', 'MainPID', '--value', 'flatnetd.service']).trim();
    if (now === pid || now === '0') throw new Error(`MainPID ${pid} → ${now}`);
    return `MainPID ${pid} → ${now}; NRestarts ${must(['systemctl', 'show', '-p', 'NRestarts', '--value', 'flatnetd.service']).trim()}`;
  });
}

/** A drop-in with Create=yes on a fresh disk (stage-engine.sh): the network exists once docker.service is up. */
export function createOnBootScenario(r: Reporter): void {
  r.step('Create=yes on a fresh boot: boot250 exists once docker.service is up, made as docker-args says', () => {
    waitFor('docker.service', () => run(['systemctl', 'is-active', 'docker.service']).stdout.trim() === 'active', 120_000);
    waitFor('boot250 to exist', () => run(['docker', 'network', 'inspect', 'boot250']).code === 0, 60_000);
    const got = must(['docker', 'network', 'inspect', '-f', '{{.Driver}} {{index .Options "parent"}} {{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.AuxiliaryAddresses}}{{end}}', 'boot250']).trim();
    if (got !== 'macvlan lan0.250 192.168.250.0/24 192.168.250.192/27 map[host:192.168.250.192]') throw new Error(`boot250: ${got}`);
    const line = journal('-30min').split('\n').find((l) => l.includes('boot250: created the Docker network (Create=yes)'));
    if (line === undefined) throw new Error('no journal line for the create');
    const docker = Number(must(['systemctl', 'show', '-p', 'ActiveEnterTimestampMonotonic', '--value', 'docker.service']).trim());
    return `${got}; docker.service active at ${(docker / 1e6).toFixed(1)} s; ${line}`;
  });
  r.step('Create=yes on a fresh boot: a container runs on boot250 and the host reaches it', () => {
    const tar = `${cmdline('flatnet.cache') ?? ''}/busybox-image.tar`;
    if (run(['docker', 'image', 'inspect', IMAGE]).code !== 0) must(['docker', 'import', tar, IMAGE], { timeoutMs: 120_000 });
    must(['docker', 'run', '-d', '--name', 'c-boot250', '--network', 'boot250', IMAGE, 'sleep', '2147483647'], { timeoutMs: 180_000 });
    const ip = containerIp('c-boot250');
    const p = pings(ip);
    if (p.code !== 0) throw new Error(`c-boot250 at ${ip}: ${pingSays(p)}`);
    return `c-boot250 at ${ip} answers through the shim`;
  });
}

/** Three networks typed by hand, each wrong in one way, and one flatnetd creates (Create=yes). */
export function driftScenario(r: Reporter): void {
  const dropin = (name: string, vlan: number, extra = ''): string => `[Network]\nName=${name}\nParent=lan0\nVLAN=${vlan}\nSubnet=192.168.${vlan}.0/24\nGateway=192.168.${vlan}.1\nIPRange=192.168.${vlan}.192/27\n\n[Shim]\nAddress=192.168.${vlan}.192/32\n${extra}`;
  const made: [string, number, string[], RegExp][] = [
    ['hand1', 210, ['--subnet=192.168.210.0/24', '--ip-range=192.168.210.192/27', '--gateway=192.168.210.1', '-o', 'parent=lan0.210'],
      /60-hand1\.conf:10: Address=192\.168\.210\.192\/32: Docker network hand1 may hand the shim's address 192\.168\.210\.192 to a container/],
    ['hand2', 220, ['--subnet=192.168.220.0/24', '--ip-range=192.168.220.128/26', '--gateway=192.168.220.1', '--aux-address=host=192.168.220.192', '-o', 'parent=lan0.220'],
      /60-hand2\.conf:7: IPRange=192\.168\.220\.192\/27: Docker network hand2 has ip-ranges 192\.168\.220\.128\/26, the drop-in 192\.168\.220\.192\/27/],
    ['hand3', 230, ['--subnet=192.168.230.0/24', '--ip-range=192.168.230.192/27', '--gateway=192.168.230.1', '--aux-address=host=192.168.230.192', '-o', 'parent=lan0'],
      /60-hand3\.conf:4: VLAN=230: Docker network hand3 has parent=lan0, the drop-in lan0\.230/],
  ];
  const ok = r.step('drift: three networks typed by hand (no --aux-address, another --ip-range, another parent), their drop-ins added', () => {
    // The drop-ins first: flatnetd makes the VLAN parents (Docker would make a missing one itself).
    for (const [name, vlan] of made) writeFileSync(`/etc/flatnet.d/60-${name}.conf`, dropin(name, vlan));
    writeFileSync('/etc/flatnet.d/61-made4.conf', dropin('made4', 240, '\n[Engine]\nCreate=yes\n'));
    must(['flatnetctl', 'reload'], { timeoutMs: 120_000 });
    for (const [name, , args] of made) must(['docker', 'network', 'create', '-d', 'macvlan', ...args, name], { timeoutMs: 120_000 });
    return made.map(([n]) => n).join(', ');
  });
  if (!ok) return;
  const before = made.map(([n]) => must(['docker', 'network', 'inspect', n]));
  for (const [name, , , want] of made) {
    r.step(`drift: ${name}: one precise diagnostic with the fix, in flatnetctl status`, () => {
      let text = '';
      try {
        waitFor(`${name}'s diagnostic`, () => want.test(text = run(['flatnetctl', 'status', name]).stdout), 60_000);
      } catch {
        throw new Error(`flatnetctl status ${name}: ${text.replace(/\s+/g, ' ')}`);
      }
      const lines = text.split('\n').filter((l) => / (error|warning): /.test(` ${l}`) && l.includes('Docker network'));
      if (lines.length !== 1) throw new Error(`want one diagnostic, got ${lines.length}: ${lines.join(' | ')}`);
      if (!lines[0]?.includes('fix: docker network rm')) throw new Error(`no fix command: ${lines[0] ?? ''}`);
      const bus = netPropRaw(name, 'EngineDiagnostics');
      if (!bus.startsWith('aa{sv} 1 ')) throw new Error(`D-Bus EngineDiagnostics: ${bus}`);
      return lines[0] ?? '';
    });
  }
  r.step('drift: the journal has each diagnostic, and nothing changed in the engine', () => {
    const j = journal('-5min');
    for (const [name, , , want] of made) if (!want.test(j)) throw new Error(`no journal line for ${name}`);
    const after = made.map(([n]) => must(['docker', 'network', 'inspect', n]));
    made.forEach(([n], i) => { if (after[i] !== before[i]) throw new Error(`docker network inspect ${n} changed`); });
    return 'three lines; docker network inspect unchanged for all three';
  });
  r.step('Create=yes: made4 created with what docker-args prints, and a container runs on it', () => {
    waitFor('made4 to exist', () => run(['docker', 'network', 'inspect', 'made4']).code === 0, 60_000);
    const got = must(['docker', 'network', 'inspect', '-f', '{{.Driver}} {{index .Options "parent"}} {{range .IPAM.Config}}{{.Subnet}} {{.IPRange}} {{.AuxiliaryAddresses}}{{end}}', 'made4']).trim();
    if (got !== 'macvlan lan0.240 192.168.240.0/24 192.168.240.192/27 map[host:192.168.240.192]') throw new Error(`made4: ${got}`);
    must(['docker', 'run', '-d', '--name', 'c-made4', '--network', 'made4', IMAGE, 'sleep', '2147483647'], { timeoutMs: 180_000 });
    const ip = containerIp('c-made4');
    const p = pings(ip);
    if (p.code !== 0) throw new Error(`c-made4 at ${ip}: ${pingSays(p)}`);
    return `${got}; c-made4 at ${ip} answers through the shim`;
  });
}

function netPropRaw(name: string, prop: string): string {
  return run(['busctl', '--system', 'get-property', 'org.flatnet.flatnet1', `/org/flatnet/flatnet1/network/${name}`, 'org.flatnet.flatnet1.Network', prop]).stdout.trim();
}
