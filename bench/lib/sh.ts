// Running commands for the bench: argv arrays only (never a shell string),
// with the wall time each took, and the few /proc readings the figures need.

import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Result { code: number; stdout: string; stderr: string; ms: number }

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Finds an executable on PATH once, so later spawns cannot be redirected by a PATH we hand to children. */
export function which(cmd: string): string {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  throw new Error(`${cmd}: not found on PATH (the bench needs iproute2 and python3)`);
}

export const IP = which('ip');

export function run(argv: readonly string[], o: RunOptions = {}): Promise<Result> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: o.env ?? process.env, timeout: o.timeoutMs ?? 120_000 });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => { spawnError = e.message; });
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + spawnError + (signal !== null ? ` (killed by ${signal})` : ''),
        ms: performance.now() - t0,
      });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** run(), throwing with the command and its stderr when it fails. */
export async function must(argv: readonly string[], o: RunOptions = {}): Promise<Result> {
  const r = await run(argv, o);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident set size in KiB (VmRSS), or null once the process is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? null : Number(m[1]);
  } catch {
    return null;
  }
}

export interface CpuTicks {
  /** utime + stime of the process itself. */
  self: number;
  /** cutime + cstime: children it has waited for (its `ip` dumps and batches). */
  children: number;
}

/** USER_HZ: the unit of /proc/PID/stat times (100 on every Linux we run on; getconf CLK_TCK). */
export const CLK_TCK = 100;

function statTimes(pid: number): { self: number; children: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces; everything after the last ')' is fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime is field 14 → rest[11].
    const f = (i: number): number => Number(rest[i] ?? 'NaN');
    return { self: f(11) + f(12), children: f(13) + f(14) };
  } catch {
    return null;
  }
}

function liveChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** CPU of `pid`: its own, and its children's: those it has reaped (cutime,
 *  cstime) and those still running (flatnetd's `ip monitor` and its dump
 *  session live as long as it does, and a living child's time reaches
 *  cutime only when it ends). */
export function cpuTicks(pid: number): CpuTicks | null {
  const own = statTimes(pid);
  if (own === null) return null;
  let children = own.children;
  for (const c of liveChildren(pid)) {
    const t = statTimes(c);
    if (t !== null) children += t.self + t.children;
  }
  return { self: own.self, children };
}

export function ticksToMs(t: number): number {
  return (t * 1000) / CLK_TCK;
}
