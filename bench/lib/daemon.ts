// flatnetd (dist/bundle/flatnetd.js, as the launchers) started inside a bench namespace the way
// systemd starts it on a host: NOTIFY_SOCKET and WATCHDOG_USEC set (the unit
// has WatchdogSec=1min), no bus, its log kept line by line with the time each
// line arrived.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nsExec, track } from './netns.js';
import type { NotifySocket } from './notify.js';
import { sleep } from './sh.js';
import { NODE_FLAGS } from '../../src/node-flags.js';

export const DAEMON_JS = fileURLToPath(new URL('../../bundle/flatnetd.js', import.meta.url));

/** One kernel write, as describeOp (src/plan/ops.ts) words it in the info log. */
export const WRITE_LINE_RE = /^(?:<\d>)?(?:create|set|delete|add|remove) \S/;

/**
 * The per-run debug line the bench asks the daemon for (not logged yet when
 * this was written; the bench falls back to other clocks without it):
 * `reconcile run 12 (kernel event): 0 writes, 1 round, 108.3 ms`.
 * Groups: run number, writes, duration in ms.
 */
export const RUN_LINE_RE = /^(?:<\d>)?reconcile run (\d+)\b[^:]*: (\d+) writes?, \d+ rounds?, (\d+(?:\.\d+)?) ms/;

export interface LogLine { t: number; line: string }

/** A Node to run the daemon with, and the CacheDirectory= the unit would give it. */
export interface BenchNode {
  /** `v22.23.5` */
  version: string;
  /** The node binary (process.execPath for the one running the bench). */
  node: string;
  /** $CACHE_DIRECTORY for the compile cache (Node >= 22.1), or null for none. */
  cacheDir: string | null;
  /** The daemon's entry to run (another build, e.g. an older commit's); default DAEMON_JS. */
  entry?: string;
  /** What that entry is, for the tables (`b6252fe`); absent for DAEMON_JS. */
  entryLabel?: string;
  /** Node's flags for that entry, as its own build's launchers gave them (its node-flags.js); default NODE_FLAGS. */
  flags?: readonly string[];
}

export interface DaemonOptions {
  configDir: string;
  node?: BenchNode;
  notify: NotifySocket;
  logLevel?: 'debug' | 'info';
  debounceMs?: number;
  /** More flatnetd options (the cold start's `--no-arp-probe` try). */
  extraArgs?: string[];
}

export interface BenchDaemon {
  pid: number;
  proc: ChildProcess;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  log: LogLine[];
  /** Kernel writes the daemon logged at index ≥ from. */
  writesSince(from: number): string[];
  stop(): Promise<void>;
}

export function daemonBuilt(): boolean {
  return existsSync(DAEMON_JS);
}

export function startDaemon(ns: string, o: DaemonOptions): BenchDaemon {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NOTIFY_SOCKET', 'JOURNAL_STREAM', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'LISTEN_FDS', 'LISTEN_PID']) delete env[k];
  env['NOTIFY_SOCKET'] = o.notify.path;
  env['WATCHDOG_USEC'] = '60000000';
  delete env['CACHE_DIRECTORY'];
  if (o.node?.cacheDir) env['CACHE_DIRECTORY'] = o.node.cacheDir;
  const args = [
    o.node?.node ?? process.execPath, ...(o.node?.flags ?? NODE_FLAGS), o.node?.entry ?? DAEMON_JS, '--config-dir', o.configDir, '--no-bus',
    '--log-level', o.logLevel ?? 'info', '--parent-wait', '5',
    ...(o.debounceMs !== undefined ? ['--debounce-ms', String(o.debounceMs)] : []),
    ...(o.extraArgs ?? []),
  ];
  const [cmd = 'ip', ...pre] = nsExec(ns);
  const spawnedAt = performance.now();
  // `ip netns exec` execs the program (no fork), so this pid is node's own.
  const proc = track(spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env }));
  const log: LogLine[] = [];
  if (proc.stderr === null) throw new Error('flatnetd: no stderr');
  createInterface({ input: proc.stderr }).on('line', (line) => {
    log.push({ t: performance.now(), line });
    if (process.env['FNB_VERBOSE']) process.stderr.write(`  flatnetd| ${line}\n`);
  });
  const exited = new Promise<void>((res) => proc.on('exit', () => res()));
  return {
    pid: proc.pid ?? -1,
    proc,
    spawnedAt,
    log,
    writesSince: (from) => log.slice(from).map((l) => l.line).filter((l) => WRITE_LINE_RE.test(l)),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
      if (killed) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** The daemon's command line from /proc: proves the pid we read RSS and CPU from is node running flatnetd.js (bundle/ or src/; main.js in older builds). */
export function isDaemonPid(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => a.endsWith('/flatnetd.js') || a.endsWith('src/main.js'));
  } catch {
    return false;
  }
}

export function logTail(d: BenchDaemon, lines = 30): string {
  return d.log.slice(-lines).map((l) => `  | ${l.line}`).join('\n');
}
