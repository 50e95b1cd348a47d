// Smoke boot: the harness itself works. The kernel is Debian's (its modules
// tree is the one mounted), systemd is PID 1 with the system bus, the overlay
// takes writes, and the link kinds the host kernel lacks can be created.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type Reporter, kindOf, link, must, run, unitProp } from './lib.js';

const NS = 'fnt-vm-smoke';

export function smoke(r: Reporter): void {
  const release = must(['uname', '-r']).trim();
  r.check('kernel is the extracted Debian kernel (its lib/modules is mounted)',
    existsSync(`/lib/modules/${release}/modules.dep`), `uname -r = ${release}; /lib/modules/${release}/modules.dep ${existsSync(`/lib/modules/${release}/modules.dep`) ? 'present' : 'missing'}`);
  r.info('kernel', `${release} ${must(['uname', '-v']).trim()}`);

  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  r.check('systemd is PID 1', pid1 === 'systemd', `/proc/1/comm = ${pid1}`);
  const state = run(['systemctl', 'is-system-running']).stdout.trim();
  const failed = run(['systemctl', '--failed', '--no-legend', '--plain']).stdout.trim();
  r.check('system reached running (no failed units)', state === 'running' || (state === 'starting' && failed === ''),
    `is-system-running = ${state}; failed units: ${failed || 'none'}`);
  const names = run(['busctl', 'list', '--no-legend', '--acquired']);
  r.check('system bus answers busctl', names.code === 0 && names.stdout.includes('org.freedesktop.systemd1'),
    names.code === 0 ? names.stdout.split('\n').map((l) => l.split(/\s+/)[0]).join(' ') : names.stderr);

  r.step('units masked on the kernel command line are masked', () => {
    const masked = readFileSync('/proc/cmdline', 'utf8').split(/\s+/).filter((w) => w.startsWith('systemd.mask=')).map((w) => w.slice('systemd.mask='.length));
    const wrong = masked.filter((u) => unitProp(u, 'LoadState') !== 'masked');
    if (wrong.length > 0) throw new Error(`not masked: ${wrong.map((u) => `${u}=${unitProp(u, 'LoadState')}`).join(' ')}; generator.early: ${run(['ls', '/run/systemd/generator.early']).stdout.replace(/\n/g, ' ')}`);
    return `${masked.length} units masked`;
  });

  r.step('overlay takes writes to /etc (in the guest only)', () => {
    writeFileSync('/etc/flatnet-vm-overlay-probe', 'guest\n');
    return 'wrote /etc/flatnet-vm-overlay-probe; run.ts checks the host has no such file';
  });

  run(['ip', 'netns', 'del', NS]);
  must(['ip', 'netns', 'add', NS]);
  const ip = (...a: string[]): string[] => ['ip', '-n', NS, ...a];
  try {
    r.step('veth pair', () => must(ip('link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan0-peer')) || 'created');
    const kinds: [string, string[], string, (l: ReturnType<typeof link>) => string][] = [
      ['802.1Q vlan', ['lan0.200', 'link', 'lan0', 'type', 'vlan', 'id', '200'], 'vlan', (l) => `id=${String(l?.linkinfo?.info_data?.['id'])}`],
      ['ipvlan l2', ['ipv-l2', 'link', 'lan0.200', 'type', 'ipvlan', 'mode', 'l2'], 'ipvlan', (l) => `mode=${String(l?.linkinfo?.info_data?.['mode'])}`],
      ['ipvlan l3', ['ipv-l3', 'link', 'lan0.200', 'type', 'ipvlan', 'mode', 'l3'], 'ipvlan', (l) => `mode=${String(l?.linkinfo?.info_data?.['mode'])}`],
      ['dummy', ['dummy-int', 'type', 'dummy'], 'dummy', () => ''],
      ['macvlan bridge', ['mv0', 'link', 'dummy-int', 'type', 'macvlan', 'mode', 'bridge'], 'macvlan', (l) => `mode=${String(l?.linkinfo?.info_data?.['mode'])}`],
    ];
    for (const [label, args, kind, extra] of kinds) {
      const [name, ...rest] = args;
      if (name === undefined) continue;
      const add = run(ip('link', 'add', name, ...rest));
      const l = add.code === 0 ? link(name, NS) : undefined;
      r.check(`${label} link can be created`, add.code === 0 && kindOf(l) === kind,
        add.code === 0 ? `${name}: kind=${kindOf(l)} ${extra(l)}` : `${add.argv}: ${add.stderr.trim()}`);
    }
  } finally {
    run(['ip', 'netns', 'del', NS]);
  }
}
