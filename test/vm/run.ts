// The VM tier (`npm run test:vm`): each boot is one qemu run of Debian's
// kernel with systemd as PID 1 (test/vm/prepare.sh, scripts/vm-boot.sh); the
// guest writes one JSON line per check into a 9p share, and each line becomes
// a node:test test here, with the guest's detail as the failure message.
//
// Environment: FLATNET_VM_BOOTS=smoke,main,reboot,engine,engine-podman,lan (which boots; default all),
// FLATNET_VM_BOOT_TIMEOUT=seconds per boot (default 600), FLATNET_VM_ACCEL=kvm
// to try KVM (software emulation is the default and must keep working).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cache = process.env['FLATNET_VM_CACHE'] ?? join(repo, 'test/vm/.cache');
const runs = join(cache, 'runs');
const bootTimeoutS = Number(process.env['FLATNET_VM_BOOT_TIMEOUT'] ?? '600');

interface Boot {
  name: string;
  /** A fresh disk, or the disk another boot left behind (state carried over). */
  disk: { fresh: true } | { from: string };
  /** This boot installs flatnetd (stage-<boot>.sh): pass it the .deb or "tree". */
  installs?: boolean;
  /** Wait for the guest's own poweroff after "done" (its disk is booted again); otherwise qemu is killed at once. */
  cleanShutdown?: boolean;
  /** Units masked on top of what vm-boot.sh masks. */
  mask?: string[];
  /** Units the host image enables that this boot keeps (vm-boot.sh masks the rest). */
  keep?: string[];
  /** Why this boot cannot run here, or null. */
  blocked?: () => string | null;
  /** Checks made on the host after the guest is gone. */
  hostChecks?: (t: TestContextLike) => Promise<void>;
}

interface TestContextLike {
  test(name: string, fn: () => void): Promise<void>;
}

interface GuestLine {
  name?: string;
  ok?: boolean;
  detail?: string;
  skip?: string;
  info?: string;
  done?: boolean;
}

/**
 * A boot got to its end (its "done" line, no init failure), in this run or —
 * when only later boots are selected (FLATNET_VM_BOOTS=reboot) — the last one.
 */
function finishedOnDisk(name: string): boolean {
  const lines = readLines(join(runs, name, 'share', `${name}.jsonl`));
  return lines.some((l) => l.done === true) && !lines.some((l) => l.name === 'guest init') && existsSync(join(runs, name, 'disk.img'));
}

const BOOTS: Boot[] = [
  {
    name: 'smoke',
    disk: { fresh: true },
    mask: ['docker.service', 'docker.socket', 'containerd.service'],
    hostChecks: async (t) => {
      await t.test('host: the guest\'s writes to /etc stayed in the guest\'s overlay', () => {
        assert.equal(existsSync('/etc/flatnet-vm-overlay-probe'), false, 'the host has /etc/flatnet-vm-overlay-probe: the guest wrote through to the host');
      });
    },
  },
  { name: 'main', disk: { fresh: true }, installs: true, cleanShutdown: true, blocked: daemonMissing },
  // Its own fresh disk: the containers' deletions and engine restarts stay out of main's scenarios.
  // podman.socket as Debian enables it: Podman's API is there from boot, for flatnetd to follow.
  { name: 'engine-podman', disk: { fresh: true }, installs: true, keep: ['podman.socket', 'podman.service'], blocked: daemonMissing },
  { name: 'engine', disk: { fresh: true }, installs: true, blocked: daemonMissing },
  // Issue 17: the ARP probe and accept_ra under the hardened unit, without Docker (light: run it alone with FLATNET_VM_BOOTS=lan).
  { name: 'lan', disk: { fresh: true }, installs: true, mask: ['docker.service', 'docker.socket', 'containerd.service'], blocked: daemonMissing },
  {
    name: 'reboot',
    disk: { from: 'main' },
    blocked: () => daemonMissing() ?? (finishedOnDisk('main') ? null : 'boot "main" did not finish: there is no disk state to boot again'),
  },
];

function daemonMissing(): string | null {
  if (!existsSync(join(repo, 'dist/bundle/flatnetd.js'))) return 'flatnetd is not built: dist/bundle/flatnetd.js missing (npm run build)';
  if (!existsSync(join(repo, 'systemd/flatnetd.service')) && debPath() === null) return 'neither systemd/flatnetd.service nor a .deb in dist/deb/';
  return null;
}

/**
 * How the first boot installs flatnetd: the .deb scripts/build-deb.sh made,
 * unless a source it was built from changed after it (it would test old code).
 * FLATNET_VM_INSTALL=deb|tree decides instead.
 */
function installChoice(): { arg: string; why: string } {
  const forced = process.env['FLATNET_VM_INSTALL'];
  const deb = debPath();
  if (forced === 'tree' || (forced !== 'deb' && deb === null)) return { arg: 'tree', why: forced === 'tree' ? 'FLATNET_VM_INSTALL=tree' : 'no .deb in dist/deb/' };
  if (deb === null) return { arg: 'tree', why: 'FLATNET_VM_INSTALL=deb but no .deb in dist/deb/' };
  const debTime = statSync(deb).mtimeMs;
  const newer = forced === 'deb' ? null : newestSource();
  if (newer !== null && newer.mtimeMs > debTime) {
    return { arg: 'tree', why: `${deb} is older than ${newer.path}: testing the built tree (scripts/build-deb.sh, or FLATNET_VM_INSTALL=deb)` };
  }
  return { arg: `deb:${deb}`, why: forced === 'deb' ? 'FLATNET_VM_INSTALL=deb' : 'no source changed since it was built' };
}

/** The most recently changed file the .deb is built from. */
function newestSource(): { path: string; mtimeMs: number } | null {
  let best: { path: string; mtimeMs: number } | null = null;
  const walk = (p: string): void => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) walk(join(p, e));
    } else if (best === null || st.mtimeMs > best.mtimeMs) best = { path: p, mtimeMs: st.mtimeMs };
  };
  for (const d of ['src', 'systemd', 'dbus', 'packaging', 'debian', 'package.json', 'package-lock.json']) walk(join(repo, d));
  return best;
}

function debPath(): string | null {
  const dir = join(repo, 'dist/deb');
  if (!existsSync(dir)) return null;
  const r = spawnSync('sh', ['-c', 'ls -t "$0"/flatnetd_*.deb 2>/dev/null | head -1', dir], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return p === '' ? null : p;
}

// --- prepare (once) -----------------------------------------------------------

interface Prepared { ok: true; seconds: number }
interface NotPrepared { ok: false; skip: boolean; reason: string }

function prepare(): Prepared | NotPrepared {
  const t0 = Date.now();
  const r = spawnSync('sh', [join(repo, 'test/vm/prepare.sh')], { encoding: 'utf8', timeout: 20 * 60_000, env: { ...process.env, FLATNET_VM_CACHE: cache } });
  const seconds = (Date.now() - t0) / 1000;
  const lastLine = (r.stderr ?? '').trim().split('\n').pop() ?? '';
  if (r.status === 0) return { ok: true, seconds };
  if (r.status === 77) return { ok: false, skip: true, reason: lastLine.replace(/^vm-prepare: unavailable: /, '') };
  return { ok: false, skip: false, reason: `test/vm/prepare.sh exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().slice(-2000)}` };
}

const prepared = prepare();
if (prepared.ok) process.stderr.write(`vm: prepare took ${prepared.seconds.toFixed(1)} s\n`);
else process.stderr.write(`vm: ${prepared.skip ? 'every VM test skips' : 'prepare FAILED'}: ${prepared.reason}\n`);

// --- one boot -------------------------------------------------------------------

interface BootResult {
  lines: GuestLine[];
  done: boolean;
  seconds: number;
  timedOut: boolean;
  exit: string;
  consoleLog: string;
}

const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

async function bootVm(b: Boot): Promise<BootResult> {
  const dir = join(runs, b.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const results = join(dir, 'share');
  mkdirSync(results);
  const jsonl = join(results, `${b.name}.jsonl`);
  const consoleLog = join(dir, 'console.log');
  const args = ['--boot', b.name, '--results', results];
  if ('fresh' in b.disk) args.push('--new-disk', join(dir, 'disk.img'));
  else args.push('--disk', join(runs, b.disk.from, 'disk.img'));
  for (const u of b.mask ?? []) args.push('--mask', u);
  for (const u of b.keep ?? []) args.push('--keep', u);
  if (b.installs === true) {
    const how = installChoice();
    args.push('--install', how.arg);
    process.stderr.write(`vm: flatnetd from ${how.arg} (${how.why})\n`);
  }

  const t0 = Date.now();
  const out = openSync(consoleLog, 'w');
  // vm-boot.sh execs qemu: the child's pid is qemu's.
  const child = spawn(join(repo, 'scripts/vm-boot.sh'), args, { stdio: ['ignore', out, out], env: { ...process.env, FLATNET_VM_CACHE: cache } });
  if (child.pid !== undefined) running.add(child.pid);
  let timedOut = false;
  let doneAt = 0;
  const exited = new Promise<string>((res) => child.on('exit', (code, sig) => res(sig ?? String(code))));
  const poll = setInterval(() => {
    const now = Date.now();
    if (doneAt === 0 && readLines(jsonl).some((l) => l.done === true)) doneAt = now;
    // After "done" a guest whose disk boots again powers off cleanly (a minute at most);
    // any other guest has nothing left to lose.
    const overall = now - t0 > bootTimeoutS * 1000;
    const lingering = doneAt !== 0 && (b.cleanShutdown !== true || now - doneAt > 60_000);
    if ((overall || lingering) && child.exitCode === null) {
      timedOut = overall && doneAt === 0;
      child.kill('SIGKILL');
    }
  }, 1000);
  const exit = await exited;
  clearInterval(poll);
  if (child.pid !== undefined) running.delete(child.pid);
  const lines = readLines(jsonl);
  return { lines, done: lines.some((l) => l.done === true), seconds: (Date.now() - t0) / 1000, timedOut, exit, consoleLog };
}

function readLines(path: string): GuestLine[] {
  if (!existsSync(path)) return [];
  const lines: GuestLine[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    if (raw.trim() === '') continue;
    try {
      lines.push(JSON.parse(raw) as GuestLine);
    } catch {
      lines.push({ name: 'guest output is JSON lines', ok: false, detail: `not JSON: ${raw.slice(0, 300)}` });
    }
  }
  return lines;
}

function tail(path: string, bytes: number): string {
  if (!existsSync(path)) return '(no console log)';
  const size = statSync(path).size;
  const text = readFileSync(path, 'latin1');
  // Strip the status spinner's escape codes so the tail is readable.
  return text.slice(Math.max(0, size - bytes * 4)).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').slice(-bytes);
}

// --- the tests --------------------------------------------------------------------

const selected = (process.env['FLATNET_VM_BOOTS'] ?? BOOTS.map((b) => b.name).join(',')).split(',').map((s) => s.trim());

for (const b of BOOTS) {
  if (!selected.includes(b.name)) continue;
  test(`vm boot "${b.name}"`, { timeout: (bootTimeoutS + 120) * 1000 }, async (t) => {
    if (!prepared.ok) {
      if (prepared.skip) {
        t.skip(prepared.reason);
        return;
      }
      assert.fail(prepared.reason);
    }
    const blocked = b.blocked?.() ?? null;
    if (blocked !== null) {
      process.stderr.write(`vm: boot ${b.name} skipped: ${blocked}\n`);
      t.skip(blocked);
      return;
    }
    process.stderr.write(`vm: booting ${b.name} (${process.env['FLATNET_VM_ACCEL'] ?? 'tcg'})…\n`);
    const r = await bootVm(b);
    const multiUser = r.lines.find((l) => l.info === 'multi-user.target')?.detail ?? 'never reached';
    const summary = `boot ${b.name}: ${r.seconds.toFixed(1)} s wall (qemu start to ${b.cleanShutdown === true ? 'poweroff' : 'results'}); multi-user.target ${multiUser}`;
    process.stderr.write(`vm: ${summary}\n`);
    t.diagnostic(summary);
    for (const l of r.lines) if (l.info !== undefined) t.diagnostic(`${l.info}: ${l.detail ?? ''}`);

    for (const l of r.lines) {
      if (l.name === undefined) continue;
      const name = l.name;
      if (l.skip !== undefined) {
        await t.test(name, { skip: l.skip }, () => {});
        continue;
      }
      await t.test(name, () => {
        assert.ok(l.ok === true, `${name}: ${l.detail ?? '(no detail)'}`);
      });
    }
    await b.hostChecks?.(t);

    const where = `console: ${r.consoleLog}; journal: ${join(runs, b.name, 'share', `${b.name}.journal.txt`)}`;
    if (!r.done) {
      const why = r.timedOut ? `no "done" from the guest within ${bootTimeoutS} s; qemu killed` : `qemu exited (${r.exit}) before the guest reported "done"`;
      assert.fail(`${why}. ${where}\n--- console tail ---\n${tail(r.consoleLog, 3000)}`);
    }
    writeFileSync(join(runs, b.name, 'wall-seconds'), `${r.seconds.toFixed(1)}\n`);
  });
}
