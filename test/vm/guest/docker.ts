// Scenario 2 (and ipvlan/internal networks of scenario 3) with Debian's
// docker.io: an image from a busybox-static tarball (nothing can be pulled),
// `docker network create` with exactly the argv `flatnetctl docker-args NAME
// --json` prints, a container on each network, and the host reaching it
// through its shim — and not reaching it while the shim is down.

import { writeFileSync } from 'node:fs';
import { link, must, run, waitFor, type Reporter } from './lib.js';
import { cmdline, containerIp, ctl, ctlJson, pingSays, pings } from './flatnet.js';
import { allProblems, inCidr, net } from './topology.js';

const IMAGE = 'flatnet-vm/busybox';
/** Networks that get a container (lan300 has no shim: nothing to reach it through). */
export const WITH_CONTAINERS = ['lan200', 'ipvl2', 'ipvl3', 'internal'] as const;
export const containerName = (n: string): string => `c-${n}`;

export function dockerScenario(r: Reporter): Record<string, string> {
  const ips: Record<string, string> = {};
  const active = run(['systemctl', 'is-active', 'docker.service']).stdout.trim();
  const installed = run(['sh', '-c', 'command -v dockerd']).code === 0;
  if (!r.check('docker.service is active', active === 'active', installed ? `systemctl is-active docker.service: ${active}`
    : 'dockerd is not installed on the host, whose userland the guest runs (apt-get install docker.io containerd runc)')) return ips;

  const tar = `${cmdline('flatnet.cache') ?? ''}/busybox-image.tar`;
  if (!r.step('docker import of a busybox-static rootfs tarball', () => must(['docker', 'import', tar, IMAGE], { timeoutMs: 120_000 }).trim())) return ips;

  const nets: string[] = [];
  for (const name of WITH_CONTAINERS) {
    const n = net(name);
    let argv: string[] = [];
    const gotArgs = r.step(`${name}: flatnetctl docker-args --json names the parent flatnetd made (${n.parent})`, () => {
      argv = ctlJson<string[]>('docker-args', name, '--json');
      const text = argv.join(' ');
      if (argv.slice(0, 3).join(' ') !== 'docker network create') throw new Error(`not a docker network create argv: ${text}`);
      if (!text.includes(`-o parent=${n.parent}`) || !text.includes(`-d ${n.driver}`)) throw new Error(`want -d ${n.driver} and -o parent=${n.parent}: ${text}`);
      return text;
    });
    if (!gotArgs) continue;
    const created = r.step(`${name}: docker network create with that argv`, () => {
      const res = run(argv, { timeoutMs: 120_000 });
      if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
      const parent = must(['docker', 'network', 'inspect', '-f', '{{index .Options "parent"}}', name]).trim();
      if (parent !== n.parent) throw new Error(`docker says parent=${parent}`);
      return `network ${res.stdout.trim().slice(0, 12)} on ${parent}`;
    });
    if (created) nets.push(name);
  }

  // `docker run` costs ~15 s under emulation; the containers start side by side.
  const started = runAll(nets.map((name) => ['docker', 'run', '-d', '--restart=always', '--stop-timeout=1', '--name', containerName(name), '--network', name, IMAGE, 'sleep', '2147483647']));
  nets.forEach((name, i) => {
    const n = net(name);
    const c = containerName(name);
    const ok = r.step(`${name}: a container runs on it`, () => {
      const res = started[i];
      if (res === undefined || res.code !== 0) throw new Error(`docker run --network ${name}: exit ${res?.code ?? '?'}: ${res?.out.trim() ?? ''}`);
      const ip = containerIp(c);
      if (!inCidr(ip, n.range)) throw new Error(`${c} got ${ip}, outside the IPRange ${n.range}`);
      if (n.shimAddrs.some((a) => a.startsWith(`${ip}/`))) throw new Error(`${c} got the shim's own address ${ip} (aux-address not reserved)`);
      ips[name] = ip;
      return `${c} at ${ip}`;
    });
    if (!ok) return;
    const ip = ips[name] ?? '';
    const p = pings(ip);
    r.check(`${name}: the host reaches the container through ${n.shim ?? '?'}`, p.code === 0, p.code === 0 ? `ping ${ip} answered` : pingSays(p));
  });

  const lan = ips['lan200'];
  if (lan !== undefined) vlanStory(r, lan);
  writeFileSync('/var/lib/flatnet-vm/containers.json', JSON.stringify(ips) + '\n');
  const left = allProblems();
  r.check('with containers on every network, every network is still as its drop-in says', left.length === 0, left.join('; ') || 'all as asked');
  return ips;
}

/** Runs the commands concurrently (sh background jobs); exit code and output of each. */
function runAll(cmds: readonly string[][]): { code: number; out: string }[] {
  if (cmds.length === 0) return [];
  const q = (w: string): string => `'${w.replace(/'/g, `'\\''`)}'`;
  const script = cmds.map((c, i) => `( ${c.map(q).join(' ')} >/run/fvm-job${i}.out 2>&1; echo $? >/run/fvm-job${i}.rc ) &`).join('\n') + '\nwait\n';
  run(['/bin/sh', '-c', script], { timeoutMs: 300_000 });
  return cmds.map((_, i) => ({
    code: Number(run(['cat', `/run/fvm-job${i}.rc`]).stdout.trim() || '255'),
    out: run(['cat', `/run/fvm-job${i}.out`]).stdout,
  }));
}

/** The seeds' VLAN story end to end: the router over 802.1Q, the host with and without its shim. */
function vlanStory(r: Reporter, ip: string): void {
  const viaRouter = pings(ip, 'fnt-vm-lan');
  r.check('lan200: the router reaches the container over VLAN 200 on the wire', viaRouter.code === 0, viaRouter.code === 0 ? 'tagged path works' : pingSays(viaRouter));

  // The host's own address on the VLAN (what DHCP or networkd would give it):
  // without the shim the host would send to the container through lan0.200,
  // which macvlan never delivers to its own children — the README's problem.
  r.step('lan200: an address the user puts on the VLAN parent stays there', () => {
    must(['ip', 'addr', 'add', '192.168.200.10/24', 'dev', 'lan0.200']);
    must(['flatnetctl', 'reconcile']);
    const has = run(['ip', '-o', 'addr', 'show', 'dev', 'lan0.200']).stdout;
    if (!has.includes('192.168.200.10/24')) throw new Error(`after flatnetctl reconcile lan0.200 has: ${has.trim() || 'nothing'}`);
    return '192.168.200.10/24 on lan0.200 kept through a reconcile';
  });

  const down = ctl('down', 'lan200');
  r.check('lan200: flatnetctl down lan200 succeeds', down.code === 0, down.code === 0 ? 'ok' : `exit ${down.code}: ${down.stderr.trim()}`);
  if (down.code === 0) {
    r.step('lan200: after down the shim is gone', () => {
      waitFor('lan200-shim to go', () => link('lan200-shim') === undefined, 15_000);
      return 'lan200-shim removed';
    });
    // The kernel deletes a VLAN's macvlan children with it: the container's own
    // interface would go too, and no `up` brings that back.
    const parent = link('lan0.200');
    r.check('lan200: down keeps lan0.200 while a container is on it', parent !== undefined,
      parent !== undefined ? `lan0.200 #${parent.ifindex} kept`
        : `lan0.200 was deleted, and with it the container's macvlan interface; in c-lan200: ${run(['docker', 'exec', 'c-lan200', 'ip', '-o', 'link']).stdout.replace(/\s+/g, ' ').trim()}`);
    const p = pings(ip);
    r.check('lan200: without the shim the host does not reach the container', p.code !== 0, p.code !== 0 ? pingSays(p) : `ping ${ip} answered with the shim down: the test proves nothing`);
  }
  const up = ctl('up', 'lan200');
  r.check('lan200: flatnetctl up lan200 succeeds', up.code === 0, up.code === 0 ? 'ok' : `exit ${up.code}: ${up.stderr.trim()}`);
  const back = r.step('lan200: after up the shim is back and the host reaches the container again', () => {
    waitFor('lan200 to be restored', () => allProblems().filter((x) => x.startsWith('lan200:')).length === 0, 30_000);
    const p = pings(ip);
    if (p.code !== 0) throw new Error(pingSays(p));
    return `ping ${ip} answered`;
  });
  if (!back) {
    // So that what follows (and the second boot) still has a container on lan200.
    const res = run(['docker', 'restart', '-t', '1', 'c-lan200'], { timeoutMs: 120_000 });
    const p = pings(ip);
    r.info('lan200: after docker restart c-lan200', `${res.code === 0 ? 'restarted' : res.stderr.trim()}; ping ${p.code === 0 ? 'answered' : 'failed'}`);
  }
}
