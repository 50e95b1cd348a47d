// One `ip` process run to its end: argv array, never a shell. It can be
// started ahead of need and fed later (a spare): starting a process costs the
// daemon time of its own, which a heal then does not wait for.

import { spawn, type ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A dump or a batch that takes this long means ip is stuck, not busy. */
const RUN_TIMEOUT_MS = 60_000;

export interface StartedIp {
  /** Feeds `input` on stdin (then EOF) and waits for ip to end. Once only. */
  finish(input?: string): Promise<RunResult>;
  /** Still waiting for its input (not ended, not failed to start). */
  readonly alive: boolean;
  kill(): void;
}

/** A spawn that failed for want of file descriptors or processes (EMFILE,
 *  ENFILE) returns a child without its pipes and reports 'error' a tick
 *  later; touching the pipes then threw and ended the daemon (issue 12.9). */
export function missingPipes(child: { stdout: unknown; stderr: unknown }): boolean {
  return child.stdout === undefined || child.stdout === null || child.stderr === undefined || child.stderr === null;
}

/** A StartedIp for a spawn that failed that way: finish() rejects (the run
 *  fails and is retried with back-off), never a refusal by the kernel. */
function notStarted(ip: string, child: ChildProcess): StartedIp {
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`cannot run ${ip}: ${e.message}`)));
  });
  failed.catch(() => undefined); // a spare that is never taken
  return { alive: false, kill: () => undefined, finish: () => failed };
}

export function startIp(ip: string, args: readonly string[]): StartedIp {
  const child = spawn(ip, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  if (missingPipes(child) || (child.stdin as unknown) === undefined) return notStarted(ip, child);
  // A spare waits for as long as it must: it never keeps the daemon (or a
  // test) alive; the timer of a run that was fed does that.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let spawnError: Error | null = null;
  let ended = false;
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.on('error', (e) => { spawnError = e; });
  // EPIPE when ip exits before reading all of a batch: its exit status says why.
  child.stdin.on('error', () => undefined);
  const closed = new Promise<RunResult>((resolve) => {
    child.on('close', (code, signal) => {
      ended = true;
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError !== null ? `cannot run ${ip}: ${spawnError.message}`
          : signal !== null ? `${stderr}${ip} killed by ${signal}` : stderr,
      });
    });
  });
  return {
    get alive() { return !ended && spawnError === null && child.exitCode === null && child.signalCode === null; },
    kill() { if (!ended) child.kill('SIGKILL'); },
    async finish(input?: string) {
      // Not spawn's own `timeout`: its timer is cleared on 'exit' only, which a
      // failed spawn (ENOENT) never emits, and it would hold the process open.
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      child.stdin.end(input ?? '');
      try {
        return await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export function runIp(ip: string, args: readonly string[], input?: string): Promise<RunResult> {
  return startIp(ip, args).finish(input);
}

/** One process kept started ahead. take() hands it over (or a new one if it
 *  died) and starts the next on the following turn of the event loop, once
 *  the caller's request has gone out: ip works on that meanwhile, on another
 *  CPU, and the caller never waits for a spawn. A held Spare starts none
 *  ahead until release(): at boot, a spawn for a later apply would only delay
 *  READY=1 (starting a process blocks the event loop). */
export class Spare<T> {
  readonly #make: () => T;
  readonly #usable: (t: T) => boolean;
  readonly #drop: (t: T) => void;
  #next: T | null = null;
  #closed = false;
  #held: boolean;

  constructor(make: () => T, usable: (t: T) => boolean, drop: (t: T) => void, opts: { held?: boolean } = {}) {
    this.#make = make;
    this.#usable = usable;
    this.#drop = drop;
    this.#held = opts.held ?? false;
  }

  take(): T {
    const t = this.#next;
    this.#next = null;
    this.#ahead();
    if (t !== null && this.#usable(t)) return t;
    if (t !== null) this.#drop(t);
    return this.#make();
  }

  /** Starts keeping one ahead (a held Spare). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#ahead();
  }

  #ahead(): void {
    if (this.#held) return;
    setImmediate(() => {
      if (!this.#closed && !this.#held && this.#next === null) this.#next = this.#make();
    });
  }

  close(): void {
    this.#closed = true;
    if (this.#next !== null) this.#drop(this.#next);
    this.#next = null;
  }
}
