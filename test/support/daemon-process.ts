// Starts the real flatnetd (dist/bundle/flatnetd.js, as the launchers do) inside a network namespace, the
// way systemd would start it on a host, and keeps its log for assertions.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { NODE_FLAGS } from '../../src/node-flags.js';
import { staleBundle } from './bundle-map.js';

export const DAEMON_JS = fileURLToPath(new URL('../../bundle/flatnetd.js', import.meta.url));

export interface DaemonProcess {
  proc: ChildProcess;
  /** Every log line so far. */
  log: string[];
  /** Resolves with the first log line matching `re`, seen already or to come. */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM and wait for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  netns: string;
  configDirs: string[];
  notifySocket?: string;
  extraArgs?: string[];
  /** Default debug, so tests can see every decision. */
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
  /** The node binary to run it with; default the one running the tests. */
  node?: string;
}

export function startDaemon(o: StartOptions): DaemonProcess {
  const stale = staleBundle();
  if (stale !== null) throw new Error(stale);
  const args = ['netns', 'exec', o.netns, o.node ?? process.execPath, ...NODE_FLAGS, DAEMON_JS, `--log-level=${o.logLevel ?? 'debug'}`, '--parent-wait=2',
    ...o.configDirs.flatMap((d) => ['--config-dir', d]), ...(o.extraArgs ?? ['--no-bus'])];
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  delete env['NOTIFY_SOCKET'];
  delete env['JOURNAL_STREAM'];
  if (o.notifySocket !== undefined) env['NOTIFY_SOCKET'] = o.notifySocket;
  const proc = spawn('ip', args, { stdio: ['ignore', 'inherit', 'pipe'], env });
  const log: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  if (proc.stderr === null) throw new Error('no stderr from flatnetd');
  createInterface({ input: proc.stderr }).on('line', (line) => {
    log.push(line);
    if (process.env['FLATNET_TEST_VERBOSE']) process.stderr.write(`  flatnetd| ${line}\n`);
    for (const w of waiters.splice(0)) {
      if (w.re.test(line)) w.resolve(line);
      else waiters.push(w);
    }
  });
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    proc,
    log,
    waitForLog(re, timeoutMs = 15_000) {
      const seen = log.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`flatnetd never logged ${re}; log:\n${log.join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
