// What flatnetd touches on the host, watched with strace -f (apt package
// `strace`): through a boot, a heal, a live edit, SIGHUP, D-Bus Reload/Down/Up
// and SIGTERM, with hostile drop-ins (`Parent=$(touch …)`, `Name=;reboot`, a
// shim named `$(reboot)`) and a symlink out of the config directory, it
// - never opens a secret (a file not everyone may read) reached through a symlink as a drop-in,
// - never writes, creates, renames, deletes or binds a path outside its
//   runtime dir (/run/flatnetd) — it writes nowhere at all but a shim's own
//   /proc/sys/net/ipv6/conf/<shim>/accept_ra,
// - never executes anything but `ip` (argv arrays, no shell), and nothing
//   from a drop-in runs: no file appears, and a shim named `$(reboot)` is a
//   link of exactly that name.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DAEMON_JS } from '../support/daemon-process.js';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import {
  MANAGER_IFACE, MANAGER_PATH, childrenOf, client, cmdline, converge, createLab, exitOf, isRoot, killAllIn, prefix, sleep, startBus, track, view,
  type Client, type Lab, type PrivateBus, type WantShim, LAN_WANT,
} from '../support/reliability-rig.js';
import { LAN_DROPIN } from '../support/dropins.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
const TRACED = ['execve', 'open', 'openat', 'openat2', 'creat', 'mkdir', 'mkdirat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmodat', 'chown', 'fchownat', 'truncate', 'mknod', 'mknodat', 'bind'];
const RUNTIME_DIR = '/run/flatnetd';
const PWNED = '/tmp/fnt-pwned';

const LAN = LAN_DROPIN;
const WANT: WantShim[] = [
  LAN_WANT,
  { network: 'dollar', name: '$(reboot)', parent: 'enp3s0', addrs: ['192.168.88.60/32'], routes: [] },
  { network: 'tick', name: '`id`', parent: 'enp3s0', addrs: ['192.168.88.61/32'], routes: [] },
];
const HOSTILE: Record<string, string> = {
  '50-cmd.conf': `[Network]\nName=cmd\nParent=$(touch ${PWNED}-1)\n`,
  '51-cmd2.conf': `[Network]\nName=cmd2\nParent=$(touch\${IFS}x)\n`,
  '52-semi.conf': '[Network]\nName=;reboot\nParent=enp3s0\n',
  '53-gw.conf': `[Network]\nName=gw\nParent=enp3s0\nSubnet=192.168.88.0/24\nGateway=192.168.88.1;touch ${PWNED}-2\n`,
  '54-dollar.conf': '[Network]\nName=dollar\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shim]\nName=$(reboot)\nAddress=192.168.88.60/32\n',
  '55-tick.conf': '[Network]\nName=tick\nParent=enp3s0\nSubnet=192.168.88.0/24\n[Shim]\nName=`id`\nAddress=192.168.88.61/32\n',
  '56-pipe.conf': `[Network]\nName=pipe\nParent=a|touch\n[Shim]\nName=p|x\nMACAddress=$(touch ${PWNED}-3)\n`,
};

interface Call { pid: number; name: string; args: string; ret: string }

/** Every traced syscall, from strace -ff files (one per thread: no unfinished/resumed pairs). */
function readTrace(dir: string): Call[] {
  const out: Call[] = [];
  for (const f of readdirSync(dir)) {
    const pid = Number(f.split('.').pop());
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const m = /^(\w+)\((.*)\)\s+=\s+(.*)$/.exec(line);
      if (m !== null) out.push({ pid, name: m[1] ?? '', args: m[2] ?? '', ret: m[3] ?? '' });
    }
  }
  return out;
}

const firstPath = (args: string): string | null => /"((?:[^"\\]|\\.)*)"/.exec(args)?.[1] ?? null;
const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/;

/** Paths a process may write: its runtime dir, and the usual character devices. */
function writable(path: string): boolean {
  return path === '/dev/null' || path.startsWith(`${RUNTIME_DIR}/`) || path === RUNTIME_DIR || /^\/dev\/(tty|pts\/)/.test(path)
    // A shim's own accept_ra (issue 17: shims take no router advertisements); one path element for the link name.
    || /^\/proc\/sys\/net\/ipv6\/conf\/[^/]+\/accept_ra$/.test(path);
}

describe('what flatnetd does to the host', { skip: !isRoot ? 'needs root for network namespaces' : !hasStrace ? 'needs strace (apt-get install -y strace)' : false }, () => {
  let lab: Lab;
  let dir: string;
  let outside: string;
  let traceDir: string;
  let wd: string;
  let bus: PrivateBus;
  let notify: NotifySocket;
  let c: Client;
  let calls: Call[] = [];
  const log: string[] = [];

  before(async () => {
    lab = await createLab(prefix('z'), 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    outside = mkdtempSync(join(tmpdir(), 'fnt-outside-'));
    traceDir = mkdtempSync(join(tmpdir(), 'fnt-trace-'));
    wd = mkdtempSync(join(tmpdir(), 'fnt-cwd-'));
    writeFileSync(join(dir, '10-lan.conf'), LAN);
    for (const [f, t] of Object.entries(HOSTILE)) writeFileSync(join(dir, f), t);
    writeFileSync(join(outside, 'secret.conf'), '[Network]\nName=secret\nParent=enp3s0\n[Shim]\nName=secret-link\n');
    // Symlinks are followed anywhere (as systemd does), but never to a file
    // not everyone may read: its lines would be quoted in diagnostics.
    chmodSync(join(outside, 'secret.conf'), 0o600);
    symlinkSync(join(outside, 'secret.conf'), join(dir, '60-outside.conf'));
    symlinkSync('/etc/shadow', join(dir, '61-shadow.conf'));
    bus = await startBus('permissive');
    notify = await openNotifySocket();
    c = client(bus.address);

    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, NOTIFY_SOCKET: notify.path };
    delete env['JOURNAL_STREAM'];
    const p = track(spawn('ip', ['netns', 'exec', lab.nas, 'strace', '-ff', '-qq', '-e', 'signal=none', '-s', '256', '-o', join(traceDir, 't'),
      '-e', `trace=${TRACED.join(',')}`, process.execPath, ...NODE_FLAGS, DAEMON_JS, '--log-level=debug', '--parent-wait=1', '--config-dir', dir], { cwd: wd, env, stdio: ['ignore', 'ignore', 'pipe'] }));
    if (p.stderr !== null) createInterface({ input: p.stderr }).on('line', (l) => log.push(l));
    try {
      await notify.waitFor('READY=1', 30_000);
      await converge(lab.nas, WANT, 10_000, 'boot', 50, 'ignored');
      // A heal, a live edit, SIGHUP, and every mutating D-Bus call.
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      await converge(lab.nas, WANT, 5000, 'heal', 50, 'ignored');
      writeFileSync(join(dir, '10-lan.conf'), LAN.replace('192.168.88.192/32', '192.168.88.193/32'));
      await converge(lab.nas, [{ ...(WANT[0] as WantShim), addrs: ['192.168.88.193/32'] }], 5000, 'edit', 50, 'ignored');
      const pid = p.pid === undefined ? undefined : childrenOf(p.pid).find((k) => cmdline(k).includes(DAEMON_JS));
      assert.ok(pid !== undefined, 'flatnetd runs under strace');
      const from = log.length;
      process.kill(pid, 'SIGHUP');
      for (let i = 0; i < 100 && !log.slice(from).some((l) => l.includes('reloading drop-ins')); i++) await sleep(50);
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Reload');
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Down', 's', ['lan']);
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Up', 's', ['lan']);
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Describe');
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Plan');
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'DockerArgs', 's', ['dollar']);
      await sleep(300);
    } finally {
      // SIGTERM to flatnetd itself, strace's child (`ip netns exec` became strace).
      const daemonPid = p.pid === undefined ? undefined : childrenOf(p.pid).find((k) => cmdline(k).includes(DAEMON_JS));
      if (daemonPid !== undefined) process.kill(daemonPid, 'SIGTERM');
      await Promise.race([exitOf(p), sleep(10_000)]);
      p.kill('SIGKILL');
      killAllIn(lab.nas);
    }
    calls = readTrace(traceDir);
  });
  after(async () => {
    c?.close();
    notify?.close();
    await bus?.stop();
    if (lab !== undefined) killAllIn(lab.nas);
    await lab?.destroy();
    for (const d of [dir, outside, traceDir, wd]) if (d !== undefined) rmSync(d, { recursive: true, force: true });
    for (const f of readdirSync('/tmp')) if (f.startsWith(basename(PWNED))) rmSync(join('/tmp', f), { force: true });
  });

  test('the run was traced: boot, heal, edit, SIGHUP, D-Bus calls, SIGTERM', () => {
    assert.ok(calls.length > 100, `${calls.length} syscalls traced`);
    assert.ok(log.some((l) => l.includes('stopping; every link stays in place')), `flatnetd stopped cleanly:\n${log.slice(-5).join('\n')}`);
    assert.ok(log.filter((l) => l.includes('reloading drop-ins')).length >= 2, 'reloaded by SIGHUP and by D-Bus');
  });

  test('nothing but ip and arping is executed, always found as a program (no shell), never with a drop-in value as an argument', () => {
    const ran = calls.filter((x) => x.name === 'execve' && x.ret.startsWith('0'));
    const programs = new Set(ran.map((x) => basename(firstPath(x.args) ?? '?')));
    for (const p of programs) assert.ok(['ip', 'node', 'arping'].includes(p), `executed: ${[...programs].join(', ')}`);
    assert.equal(ran.filter((x) => basename(firstPath(x.args) ?? '') === 'node').length, 1, 'node once: flatnetd itself');
    // arping's `-I` names a link (a shim's announcement goes out of the shim, whatever it is called); as one argv
    // element it is a name to the kernel, never words to a shell, as `$(reboot)` being a link shows below.
    const withoutIfname = (args: string): string => args.replace(/"-I", "[^"]*"/g, '"-I", "…"');
    for (const x of ran) assert.doesNotMatch(withoutIfname(x.args), /reboot|touch|`id`|pwned/, `a drop-in value on a command line: ${x.args}`);
    const times = (p: string): number => ran.filter((x) => basename(firstPath(x.args) ?? '') === p).length;
    process.stdout.write(`# sandbox: ${ran.length} execve (node once, ip ${times('ip')} times, arping ${times('arping')} times), no shell\n`);
  });

  test('nothing from a drop-in ran: no file appeared, and `$(reboot)` is just the name of a link', async () => {
    assert.deepEqual(readdirSync('/tmp').filter((f) => f.startsWith(basename(PWNED))), []);
    assert.deepEqual(readdirSync(wd), [], 'nothing created in its working directory');
    const names = (await view(lab.nas)).links.map((l) => l.ifname);
    for (const n of ['$(reboot)', '`id`']) assert.ok(names.includes(n), `a link named ${n}, taken literally`);
    const said = log.filter((l) => /5\d-\w+\.conf/.test(l)).join('\n');
    assert.match(said, /52-semi\.conf:2: Name=;reboot: network name must start with a letter or digit/);
    assert.match(said, /50-cmd\.conf:3: Parent=\$\(touch \/tmp\/fnt-pwned-1\): interface name longer than 15 bytes/);
  });

  test('no secret is read through a symlink out of the config directory', () => {
    const opened = calls.filter((x) => /^open/.test(x.name)).map((x) => firstPath(x.args) ?? '');
    assert.deepEqual(opened.filter((p) => p.startsWith(outside) || p === '/etc/shadow'), [], 'neither the outside drop-in nor /etc/shadow is opened');
    assert.ok(log.some((l) => l.includes(`60-outside.conf: symlink to ${outside}/secret.conf, not trusted (${outside}/secret.conf is not readable by others): skipped`)));
    assert.ok(log.some((l) => l.includes('61-shadow.conf: symlink to /etc/shadow, not trusted (/etc/shadow is not readable by others): skipped')));
  });

  test(`nothing is written, created, renamed, deleted or bound outside ${RUNTIME_DIR}`, () => {
    const bad: string[] = [];
    let opens = 0;
    for (const x of calls) {
      if (x.name === 'execve') continue;
      if (/^(open|openat|openat2|creat)$/.test(x.name)) {
        opens++;
        const p = firstPath(x.args);
        if (x.name === 'creat' || WRITE_FLAGS.test(x.args)) if (p === null || !writable(p)) bad.push(`${x.name}(${x.args}) = ${x.ret}`);
      } else if (x.name === 'bind') {
        const p = /sun_path="([^"]*)"/.exec(x.args)?.[1];
        if (p !== undefined && p !== '' && !p.startsWith('@') && !writable(p)) bad.push(`bind(${x.args})`);
      } else {
        bad.push(`${x.name}(${x.args}) = ${x.ret}`);
      }
    }
    process.stdout.write(`# sandbox: ${opens} opens traced, ${bad.length} writes outside ${RUNTIME_DIR}\n`);
    assert.deepEqual(bad, []);
  });

  test('the hostile networks were refused or made literally, the others work', () => {
    assert.ok(!existsSync(`${PWNED}-1`) && !existsSync(`${PWNED}-2`) && !existsSync(`${PWNED}-3`));
    assert.ok(log.some((l) => l.startsWith('lan: ')));
  });
});
