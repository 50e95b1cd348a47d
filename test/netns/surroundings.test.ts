// The real flatnetd in a namespace, in surroundings that used to kill it
// (issue 12): stderr that fails (a full disk, a reader gone), a second
// daemon started beside it, too few file descriptors. Each time the shim it
// keeps must still be healed, or the daemon must refuse with one readable line.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { openNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { DAEMON_JS } from '../support/daemon-process.js';
import { LAN_DROPIN } from '../support/dropins.js';
import { waitUntil } from '../support/wait.js';
import { NODE_FLAGS } from '../../src/node-flags.js';

const isRoot = process.getuid?.() === 0;

interface IpLink { ifindex: number; ifname: string; address: string; flags: string[] }

describe('flatnetd in hostile surroundings', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let dir: string;
  const procs: ChildProcess[] = [];
  const sockets: NotifySocket[] = [];

  /** flatnetd in the NAS namespace with stdio as given (argv after the node flags). */
  const spawnDaemon = (stdio: StdioOptions, notifyPath: string, extra: string[] = [], wrap: string[] = []): ChildProcess => {
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: notifyPath };
    delete env['JOURNAL_STREAM'];
    const p = spawn('ip', ['netns', 'exec', lab.nas, ...wrap, process.execPath, ...NODE_FLAGS, DAEMON_JS, '--log-level=debug',
      '--parent-wait=2', '--no-bus', '--config-dir', dir, ...extra], { stdio, env });
    procs.push(p);
    return p;
  };
  const notifySocket = async (): Promise<NotifySocket> => {
    const s = await openNotifySocket();
    sockets.push(s);
    return s;
  };
  const shim = async (): Promise<IpLink | undefined> => {
    const links = await lab.ipJson<IpLink[]>(lab.nas, ['link', 'show']);
    const l = links.find((x) => x.ifname === 'docker-link');
    if (l === undefined || !l.flags.includes('UP')) return undefined;
    const r = await exec(['ip', '-n', lab.nas, '-json', 'route', 'show', 'dev', 'docker-link']);
    return r.code === 0 && r.stdout.includes(LAN.range.split('/')[0] ?? '') ? l : undefined;
  };
  /** Delete the shim and wait for a new one (a new ifindex) with its route. */
  const healOnce = async (what: string): Promise<void> => {
    const before = await waitUntil(`${what}: docker-link in place`, shim);
    await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
    await waitUntil(`${what}: docker-link healed`, async () => {
      const l = await shim();
      return l !== undefined && l.ifindex !== before.ifindex ? l : undefined;
    });
  };
  const exited = (p: ChildProcess): Promise<number | null> =>
    p.exitCode !== null ? Promise.resolve(p.exitCode) : new Promise((res) => p.once('exit', (code) => res(code)));
  /**
   * `second` started beside a running daemon: it must exit non-zero, in one
   * line (unless `oneLine` is false) naming that daemon as `names` matches.
   */
  const refused = async (second: ChildProcess, names: RegExp, oneLine = true): Promise<void> => {
    const err: string[] = [];
    second.stderr?.setEncoding('utf8').on('data', (c: string) => err.push(c));
    // A deadline for the old behaviour (it ran on, fighting), not a timing.
    let deadline: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited(second), new Promise<string>((res) => { deadline = setTimeout(() => res('still running'), 20_000); })]);
    clearTimeout(deadline);
    const text = err.join('');
    assert.ok(code !== 0 && code !== 'still running', `the second daemon must exit non-zero (got ${String(code)}); it said:\n${text}`);
    assert.match(text, names, text);
    if (oneLine) assert.equal(text.trim().split('\n').length, 1, `one line:\n${text}`);
  };
  const namesFirst = (first: ChildProcess): RegExp => new RegExp(`another flatnetd \\(pid ${first.pid ?? -1}, started .* by hand as "flatnetd .*--config-dir ${dir}`);
  const kill = async (p: ChildProcess): Promise<void> => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGKILL');
    await exited(p);
  };

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-h`, 0);
    dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
    writeFileSync(join(dir, '10-lan.conf'), LAN_DROPIN);
  });
  after(async () => {
    for (const p of procs) await kill(p);
    for (const s of sockets) s.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('stderr on /dev/full (ENOSPC on every log line): the daemon lives on and heals the shim', async () => {
    const full = openSync('/dev/full', 'w');
    const notify = await notifySocket();
    let p: ChildProcess;
    try {
      p = spawnDaemon(['ignore', 'ignore', full], notify.path);
    } finally {
      closeSync(full);
    }
    await notify.waitFor('READY=1');
    await healOnce('stderr on /dev/full');
    await healOnce('stderr on /dev/full, again');
    assert.equal(p.exitCode, null, 'flatnetd still running');
    await kill(p);
  });

  test('stderr on a pipe whose reader goes away after 3 lines (EPIPE): the daemon lives on and heals the shim', async () => {
    const notify = await notifySocket();
    const p = spawnDaemon(['ignore', 'ignore', 'pipe'], notify.path);
    const err = p.stderr;
    assert.ok(err);
    const lines: string[] = [];
    await new Promise<void>((res) => {
      const rl = createInterface({ input: err });
      rl.on('line', (l) => {
        lines.push(l);
        if (lines.length === 3) { rl.close(); err.destroy(); res(); }
      });
    });
    await notify.waitFor('READY=1');
    // The heal logs (the op, "restored"): each write meets the closed pipe.
    await healOnce('stderr reader gone');
    await healOnce('stderr reader gone, again');
    assert.equal(p.exitCode, null, `flatnetd still running; its first lines:\n${lines.join('\n')}`);
    await kill(p);
  });

  test('a second daemon in the same namespace is refused at once, naming the first; after kill -9 of the first a new one starts', async () => {
    const notify = await notifySocket();
    const first = spawnDaemon(['ignore', 'ignore', 'ignore'], notify.path);
    await notify.waitFor('READY=1');
    const before = await waitUntil('docker-link made by the first daemon', shim);
    // Another machine id: two daemons would rewrite each other's shim MAC.
    const idFile = join(dir, '..', `fnt-machine-id-${process.pid}`);
    writeFileSync(idFile, '0123456789abcdef0123456789abcdef\n');
    try {
      const notify2 = await notifySocket();
      await refused(spawnDaemon(['ignore', 'ignore', 'pipe'], notify2.path, ['--machine-id', idFile]), namesFirst(first));
      assert.equal(notify2.messages.length, 0, 'the second daemon never got as far as sd_notify');
      const after = await shim();
      assert.deepEqual([after?.ifindex, after?.address], [before.ifindex, before.address], 'the second daemon touched no link');
      assert.equal(first.exitCode, null, 'the first daemon keeps running');
      await healOnce('the first daemon after the refusal');
    } finally {
      rmSync(idFile, { force: true });
    }
    await kill(first);
    const notify3 = await notifySocket();
    const third = spawnDaemon(['ignore', 'ignore', 'ignore'], notify3.path);
    await notify3.waitFor('READY=1');
    await healOnce('a new daemon after kill -9 of the first');
    await kill(third);
  });

  test("the lock name squatted by nobody: the daemon starts anyway and keeps the links, with one warning naming the squatter; a second daemon is still refused, and after kill -9 a new one starts", async () => {
    // Abstract socket names have no permissions: any user can bind flatnetd's first.
    const ino = (await exec(['stat', '-L', '-c', '%i', `/run/netns/${lab.nas}`])).stdout.trim();
    const squat = `
      const net = require('node:net');
      net.createServer(() => undefined).listen('\\0flatnetd/netns:${ino}', () => process.stdout.write('squatting\\n'));`;
    const squatter = spawn('ip', ['netns', 'exec', lab.nas, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups',
      process.execPath, '-e', squat], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(squatter);
    await new Promise<void>((res, rej) => {
      squatter.stdout?.setEncoding('utf8').once('data', () => res());
      squatter.once('exit', (code) => rej(new Error(`the squatter exited (${String(code)})`)));
    });
    const held = await exec(['ip', 'netns', 'exec', lab.nas, 'cat', '/proc/net/unix']);
    assert.match(held.stdout, new RegExp(`@flatnetd/netns:${ino}@`), 'the squatter holds the name');

    const notify = await notifySocket();
    const first = spawnDaemon(['ignore', 'ignore', 'pipe'], notify.path);
    const log: string[] = [];
    const err = first.stderr;
    assert.ok(err);
    createInterface({ input: err }).on('line', (l) => log.push(l));
    await notify.waitFor('READY=1');
    await healOnce('the daemon past a squatter');
    const warnings = log.filter((l) => /instance lock/.test(l));
    assert.equal(warnings.length, 1, log.join('\n'));
    assert.match(warnings[0] ?? '', new RegExp(`the instance lock @flatnetd/netns:${ino} is held by pid \\d+ \\(node, uid 65534\\), not root: .*the lock is held as @flatnetd/netns:${ino}/[0-9a-f]{16} instead`));

    // The lock still works: a second daemon is refused, naming the first.
    await refused(spawnDaemon(['ignore', 'ignore', 'pipe'], notify.path), namesFirst(first));

    // kill -9 frees the suffixed name too; the squatter is still there.
    await kill(first);
    const notify3 = await notifySocket();
    const third = spawnDaemon(['ignore', 'ignore', 'ignore'], notify3.path);
    await notify3.waitFor('READY=1');
    await healOnce('a new daemon past the squatter after kill -9 of the first');
    await kill(third);
    assert.equal(squatter.exitCode, null, 'the squatter was left alone');
    await kill(squatter);
  });

  test("under the unit's hardening (ProtectProc=invisible, only CAP_NET_ADMIN) a squatter that binds the name without listening cannot be seen: the daemon starts past it, and a second hardened daemon is still refused", async () => {
    const ino = (await exec(['stat', '-L', '-c', '%i', `/run/netns/${lab.nas}`])).stdout.trim();
    // This one binds the name and never listens (Node pads an abstract name with NULs to the full 108 bytes; so does it).
    const squat = `import socket, sys, time
n = b'\\0flatnetd/netns:${ino}'
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(n + b'\\0' * (108 - len(n)))
print('squatting', flush=True)
time.sleep(600)`;
    const squatter = spawn('ip', ['netns', 'exec', lab.nas, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups',
      '/usr/bin/python3', '-c', squat], { stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(squatter);
    await new Promise<void>((res, rej) => {
      squatter.stdout?.setEncoding('utf8').once('data', () => res());
      squatter.once('exit', (code) => rej(new Error(`the squatter exited (${String(code)})`)));
    });
    // What systemd does for the unit: a /proc of its own with hidepid=invisible, the bounding set cut to CAP_NET_ADMIN.
    const hardened = ['unshare', '--mount', 'sh', '-c', 'mount -t proc -o hidepid=invisible proc /proc && exec setpriv --bounding-set -all,+net_admin "$0" "$@"'];
    const notify = await notifySocket();
    const first = spawnDaemon(['ignore', 'ignore', 'pipe'], notify.path, [], hardened);
    const log: string[] = [];
    assert.ok(first.stderr);
    createInterface({ input: first.stderr }).on('line', (l) => log.push(l));
    await notify.waitFor('READY=1');
    await healOnce('the hardened daemon past a squatter');
    const warnings = log.filter((l) => /instance lock/.test(l));
    assert.equal(warnings.length, 1, log.join('\n'));
    assert.match(warnings[0] ?? '', /is held by a process this daemon cannot see \(socket inode \d+\), which is not root's: .*the lock is held as @flatnetd\/netns:\d+\/[0-9a-f]{16} instead/);

    await refused(spawnDaemon(['ignore', 'ignore', 'pipe'], notify.path, [], hardened), /another flatnetd \(pid \d+, started .* by hand as "flatnetd /, false);
    await kill(first);
    await kill(squatter);
  });

  test('ulimit -n 20: one readable line naming the limit it needs, exit 1, no stack trace, no link touched', async () => {
    const before = await waitUntil('docker-link in place', shim).catch(() => undefined);
    const r = await exec(['sh', '-c', `ulimit -n 20 && exec ip netns exec ${lab.nas} "${process.execPath}" ${NODE_FLAGS.join(' ')} "${DAEMON_JS}" --no-bus --config-dir "${dir}"`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^flatnetd: the open-file limit is 20 \(ulimit -n, LimitNOFILE=\); flatnetd needs at least 64: .*\n$/);
    assert.equal(r.stderr.split('\n').length, 2, `one line:\n${r.stderr}`);
    assert.equal((await shim())?.ifindex, before?.ifindex);
  });

  test('out of file descriptors at run time (EMFILE on every spawn of ip): no crash, the heal is retried with back-off and done once fds are free', async () => {
    // The daemon itself, with a test's handle on its fd table: SIGUSR2 takes
    // every free descriptor (then each spawn of ip meets EMFILE), the next
    // SIGUSR2 gives them back.
    const script = `
      import { openSync, closeSync } from 'node:fs';
      const held = [];
      process.on('SIGUSR2', () => {
        if (held.length === 0) {
          try { for (;;) held.push(openSync('/dev/null', 'r')); } catch { /* EMFILE: full */ }
          process.stderr.write('TEST: holding ' + held.length + ' fds\\n');
        } else {
          for (const fd of held.splice(0)) closeSync(fd);
          process.stderr.write('TEST: released\\n');
        }
      });
      process.argv.splice(1, process.argv.length, ${JSON.stringify(DAEMON_JS)}, '--no-bus', '--log-level=debug', '--parent-wait=2', '--config-dir', ${JSON.stringify(dir)});
      await import(${JSON.stringify(DAEMON_JS)});
    `;
    const notify = await notifySocket();
    const env: NodeJS.ProcessEnv = { ...process.env, NOTIFY_SOCKET: notify.path };
    delete env['JOURNAL_STREAM'];
    const p = spawn('ip', ['netns', 'exec', lab.nas, process.execPath, ...NODE_FLAGS, '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], env });
    procs.push(p);
    const log: string[] = [];
    const err = p.stderr;
    assert.ok(err);
    createInterface({ input: err }).on('line', (l) => log.push(l));
    const seen = (re: RegExp): Promise<string> => waitUntil(`a line matching ${re}`, async () => log.find((l) => re.test(l)), 20_000);
    await notify.waitFor('READY=1');
    await waitUntil('docker-link in place', shim);
    p.kill('SIGUSR2');
    await seen(/^TEST: holding \d+ fds$/);
    // Two deletes: the first heal may go through on the ip started ahead of need.
    for (let i = 0; i < 2 && !log.some((l) => /^reconcile failed: /.test(l)); i++) {
      const old = await shim();
      await lab.nasRun(['ip', 'link', 'del', 'docker-link']);
      await waitUntil('a heal or a failed run', async () => log.some((l) => /^reconcile failed: /.test(l)) || ((await shim())?.ifindex ?? old?.ifindex) !== old?.ifindex, 20_000);
    }
    const failed = await seen(/^reconcile failed: /);
    assert.match(failed, /EMFILE|file descriptor/, failed);
    await seen(/^will try again in \d+ s: the whole reconcile$/);
    assert.equal(p.exitCode, null, `flatnetd still running; log:\n${log.join('\n')}`);
    assert.equal(await shim(), undefined, 'the shim could not be made meanwhile');
    p.kill('SIGUSR2');
    await seen(/^TEST: released$/);
    await waitUntil('docker-link healed by the retry', shim, 30_000);
    assert.equal(p.exitCode, null);
    await kill(p);
  });

  test('--version and --help into a pipe already closed (EPIPE on stdout): exit 0, no stack trace', async () => {
    for (const flag of ['--version', '--help']) {
      // `true` has ended long before node has started: the write meets a closed pipe.
      const r = await exec(['sh', '-c', `{ sleep 0.3; "${process.execPath}" "${DAEMON_JS}" ${flag}; echo "rc=$?" >&2; } | true`]);
      assert.match(r.stderr, /^rc=0$/m, `${flag}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /EPIPE|Error/, flag);
    }
  });
});
