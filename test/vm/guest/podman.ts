// Scenario 7 with Debian's podman (4.3, netavark 1.4): `podman network create`
// with exactly the argv `flatnetctl podman-args NAME --json` prints, on the
// VLAN parent flatnetd made; a container imported from the busybox tarball,
// --restart=always, reached by the host through the shim. podman-args refuses
// lan200, whose shim address lies inside its IPRange= (Podman cannot reserve it).
// The second boot (reboot.ts) finds the container again, started by
// podman-restart.service after flatnetd.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { must, run, waitFor, type Reporter } from './lib.js';
import { cmdline, ctl, ctlJson, monotonicS, pingSays, pings } from './flatnet.js';
import { inCidr, net } from './topology.js';

const IMAGE = 'localhost/flatnet-vm/busybox';
export const PODMAN_NET = 'pod210';
export const PODMAN_CONTAINER = 'p-pod210';
export const PODMAN_STATE = '/var/lib/flatnet-vm/podman.json';

export function podmanIp(name: string): string {
  return must(['podman', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name], { timeoutMs: 60_000 }).trim();
}

export function podmanScenario(r: Reporter): void {
  const where = run(['sh', '-c', 'command -v podman']);
  if (!r.check('podman is installed', where.code === 0, where.code === 0 ? where.stdout.trim()
    : 'podman is not installed on the host, whose userland the guest runs (apt-get install podman netavark aardvark-dns)')) return;
  r.step('podman: the network backend is netavark', () => {
    const backend = must(['podman', 'info', '--format', '{{.Host.NetworkBackend}}'], { timeoutMs: 120_000 }).trim();
    if (backend !== 'netavark') throw new Error(`podman info: NetworkBackend=${backend}`);
    return `${must(['podman', '--version']).trim()}, ${backend}`;
  });

  r.step('lan200: flatnetctl podman-args refuses it (the shim address is inside IPRange=), naming the line', () => {
    const res = ctl('podman-args', 'lan200');
    const text = (res.stdout + res.stderr).trim();
    if (res.code !== 1 || !/10-lan200\.conf:\d+: Address=192\.168\.200\.192\/32: inside IPRange=192\.168\.200\.192\/27: Podman has no --aux-address/.test(text)) {
      throw new Error(`exit ${res.code}: ${text}`);
    }
    return text;
  });

  const n = net(PODMAN_NET);
  let argv: string[] = [];
  if (!r.step(`${PODMAN_NET}: flatnetctl podman-args --json names the parent flatnetd made (${n.parent})`, () => {
    argv = ctlJson<string[]>('podman-args', PODMAN_NET, '--json');
    const text = argv.join(' ');
    if (argv.slice(0, 3).join(' ') !== 'podman network create' || !text.includes(`-o parent=${n.parent}`)) throw new Error(text);
    return text;
  })) return;
  if (!r.step(`${PODMAN_NET}: podman network create with that argv`, () => {
    const res = run(argv, { timeoutMs: 120_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    const text = must(['podman', 'network', 'inspect', PODMAN_NET]);
    const [info] = JSON.parse(text) as { driver?: string; network_interface?: string }[];
    if (info?.driver !== 'macvlan' || info.network_interface !== n.parent) throw new Error(`podman network inspect: ${text.replace(/\s+/g, ' ')}`);
    return `${info.driver} on ${info.network_interface}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`;
  })) return;

  const tar = `${cmdline('flatnet.cache') ?? ''}/busybox-image.tar`;
  if (!r.step('podman import of the busybox-static rootfs tarball', () => must(['podman', 'import', tar, IMAGE], { timeoutMs: 180_000 }).trim())) return;
  const ok = r.step(`${PODMAN_NET}: a container with --restart=always runs on it, in the range and not on the shim's address`, () => {
    const res = run(['podman', 'run', '-d', '--restart=always', '--name', PODMAN_CONTAINER, '--network', PODMAN_NET, IMAGE, 'sleep', '2147483647'], { timeoutMs: 300_000 });
    if (res.code !== 0) throw new Error(`${res.argv}: exit ${res.code}: ${res.stderr.trim()}`);
    const ip = podmanIp(PODMAN_CONTAINER);
    if (!inCidr(ip, n.range)) throw new Error(`${PODMAN_CONTAINER} got ${ip}, outside IPRange ${n.range}`);
    if (n.shimAddrs.some((a) => a.startsWith(`${ip}/`))) throw new Error(`${PODMAN_CONTAINER} got the shim's own address ${ip}`);
    writeFileSync(PODMAN_STATE, JSON.stringify({ ip }) + '\n');
    return `${PODMAN_CONTAINER} at ${ip}`;
  });
  if (!ok) return;
  const ip = podmanIp(PODMAN_CONTAINER);
  const p = pings(ip);
  r.check(`${PODMAN_NET}: the host reaches the Podman container through ${n.shim ?? '?'}`, p.code === 0, p.code === 0 ? `ping ${ip} answered` : pingSays(p));
}

/** Scenario 7 after the reboot: podman-restart.service, ordered after flatnetd, brings the container back on its VLAN parent. */
export function podmanAgain(r: Reporter): void {
  if (!existsSync(PODMAN_STATE)) {
    r.skip(`second boot: ${PODMAN_CONTAINER} is back and reachable`, 'the first boot made no Podman container');
    return;
  }
  const was = (JSON.parse(readFileSync(PODMAN_STATE, 'utf8')) as { ip: string }).ip;
  const ok = r.step(`second boot: podman-restart.service started ${PODMAN_CONTAINER} again on ${net(PODMAN_NET).parent}`, () => {
    waitFor(`${PODMAN_CONTAINER} to run`, () => run(['podman', 'inspect', '-f', '{{.State.Running}}', PODMAN_CONTAINER], { timeoutMs: 60_000 }).stdout.trim() === 'true', 120_000);
    return `at ${podmanIp(PODMAN_CONTAINER)} (was ${was}); podman-restart.service ${run(['systemctl', 'show', '-p', 'Result', '--value', 'podman-restart.service']).stdout.trim()}`;
  });
  const fl = monotonicS('flatnetd.service', 'ActiveEnterTimestampMonotonic');
  const pr = monotonicS('podman-restart.service', 'InactiveExitTimestampMonotonic');
  r.check('second boot: flatnetd.service was active before podman-restart.service began starting', fl > 0 && pr > 0 && fl <= pr,
    `flatnetd ActiveEnter ${fl.toFixed(2)} s, podman-restart InactiveExit ${pr.toFixed(2)} s (monotonic)`);
  if (!ok) return;
  const ip = podmanIp(PODMAN_CONTAINER);
  const p = pings(ip);
  r.check(`second boot: the host reaches ${PODMAN_CONTAINER} through ${net(PODMAN_NET).shim ?? '?'}`, p.code === 0, p.code === 0 ? `ping ${ip} answered` : pingSays(p));
}
