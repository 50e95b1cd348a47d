// Boot "engine", Podman (issue 15): flatnetd follows Podman's Docker-compatible
// API on /run/podman/podman.sock (podman.socket, Debian's podman 4.3 with
// netavark 1.4). pod210 made with `flatnetctl podman-args`, a container on it,
// then its VLAN parent lan0.210 deleted: the host must reach the container
// again with no command typed, as with Docker. The API's answers are recorded
// as fixtures (podman-*.json) whatever happens, and the journal's words are
// the report when Podman refuses a step.

import { mkdirSync, writeFileSync } from 'node:fs';
import { link, must, run, sleepMs, waitFor, type Reporter } from './lib.js';
import { cmdline, ctlJson, pingSays, pings } from './flatnet.js';
import { podmanIp } from './podman.js';

const IMAGE = 'localhost/flatnet-vm/busybox';
const SOCK = '/run/podman/podman.sock';
const FIXTURES = '/flatnet-results/engine-fixtures';

function journal(since: string): string {
  return run(['journalctl', '-u', 'flatnetd.service', '-o', 'cat', '--no-pager', '--since', since]).stdout;
}

function record(name: string, method: string, path: string, body?: unknown): string {
  const argv = ['curl', '-s', '--unix-socket', SOCK, '-X', method, '-o', '/run/fvm-papi.out', '-w', '%{http_code}'];
  if (body !== undefined) argv.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
  argv.push(`http://podman${path}`);
  const r = run(argv, { timeoutMs: 60_000 });
  const text = run(['cat', '/run/fvm-papi.out']).stdout;
  mkdirSync(FIXTURES, { recursive: true });
  writeFileSync(`${FIXTURES}/${name}`, text.endsWith('\n') ? text : `${text}\n`);
  return `${name}: HTTP ${r.stdout.trim()}`;
}

export function podmanReattachScenario(r: Reporter): void {
  if (!r.check('podman is installed', run(['sh', '-c', 'command -v podman']).code === 0, 'apt-get install podman netavark')) return;
  if (!r.step('podman.socket (enabled, as Debian ships it); flatnetd attaches to Podman at /run/podman/podman.sock', () => {
    must(['systemctl', 'start', 'podman.socket'], { timeoutMs: 60_000 });
    // The first request starts podman.service behind the socket; flatnetd's inotify watch sees the socket appear.
    waitFor('flatnetd attached to Podman', () => journal('-30min').includes('engine: attached to Podman'), 120_000);
    return journal('-30min').split('\n').filter((l) => l.includes('engine:')).join(' | ');
  })) return;
  let argv: string[] = [];
  if (!r.step('pod210: podman network create with flatnetctl podman-args', () => {
    argv = ctlJson<string[]>('podman-args', 'pod210', '--json');
    must(argv, { timeoutMs: 120_000 });
    return argv.join(' ');
  })) return;
  const tar = `${cmdline('flatnet.cache') ?? ''}/busybox-image.tar`;
  if (!r.step('podman import; a container on pod210', () => {
    must(['podman', 'import', tar, IMAGE], { timeoutMs: 180_000 });
    must(['podman', 'run', '-d', '--name', 'p-pod210', '--network', 'pod210', IMAGE, 'sleep', '2147483647'], { timeoutMs: 300_000 });
    return `p-pod210 at ${podmanIp('p-pod210')}`;
  })) return;
  const ip = podmanIp('p-pod210');
  const p = pings(ip);
  if (!r.check('pod210: the host reaches p-pod210 through its shim', p.code === 0, pingSays(p))) return;
  r.step('Podman API answers recorded (podman-*.json)', () => [
    record('podman-version.json', 'GET', '/version'),
    record('podman-network-pod210.json', 'GET', '/v1.41/networks/pod210'),
    record('podman-container-p-pod210.json', 'GET', '/v1.41/containers/p-pod210/json'),
  ].join('; '));

  const since = must(['date', '+%Y-%m-%d %H:%M:%S']).trim();
  const old = link('lan0.210')?.ifindex;
  const t0 = Date.now();
  must(['ip', 'link', 'del', 'lan0.210']);
  let answered = 0;
  while (Date.now() - t0 < 60_000) {
    if (run(['ping', '-n', '-c', '1', '-W', '1', ip], { timeoutMs: 5000 }).code === 0) {
      answered = Date.now();
      break;
    }
    sleepMs(50);
  }
  const lines = journal(since).split('\n').filter((l) => /pod210|engine:/.test(l));
  const ok = r.check('Podman: lan0.210 deleted → the host reaches p-pod210 again with no command typed', answered !== 0,
    answered !== 0 ? `first answer ${answered - t0} ms after lan0.210 was deleted` : `no answer within 60 s; journal: ${lines.join(' | ')}`);
  if (ok) r.info('Podman: time from deleting lan0.210 to the first ping answered', `${answered - t0} ms (lan0.210 #${old ?? '?'} → #${link('lan0.210')?.ifindex ?? '?'})`);
  r.info('Podman: the journal of the re-attach', lines.join(' | '));
  r.step('Podman: no drift reported for pod210, made with podman-args (its compat inspect shows no parent or ip-range)', () => {
    const st = run(['flatnetctl', 'status', 'pod210']).stdout;
    const bad = st.split('\n').filter((l) => l.includes('Podman network pod210'));
    const j = journal(since).split('\n').filter((l) => l.includes('Podman network pod210'));
    if (bad.length > 0 || j.length > 0) throw new Error([...bad, ...j].join(' | '));
    return 'flatnetctl status pod210 and the journal name no difference';
  });
  r.step('Podman API answers after the re-attach recorded', () => [
    record('podman-network-pod210-after.json', 'GET', '/v1.41/networks/pod210'),
    record('podman-container-p-pod210-after.json', 'GET', '/v1.41/containers/p-pod210/json'),
  ].join('; '));
}
