// One long-lived `ip -json -force -batch -` for the dumps a reconcile reads.
// Starting a process costs more than the dumps themselves, and a heal is
// mostly observing: through one living ip an observe costs about half what a
// spawn per dump does (docs/benchmarks.md).
//
// Framing: with -json, ip writes each command's answer as one line and
// flushes it when the command ends; a command that fails writes nothing to
// stdout and `Command failed -:N` to stderr (-force: the session goes on).
// A request of k commands is complete when answers + failures = k. Anything
// else (a line that is not a JSON array, ip exiting, no answer in time) ends
// the session; the caller falls back to one spawn per dump, and the next
// request starts a fresh session.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { missingPipes } from './ip-run.js';
import { createInterface } from 'node:readline';
import { ipFailure, type KernelFailure } from './failure.js';

/** A dump that takes this long means ip is stuck, not busy. */
const REQUEST_TIMEOUT_MS = 10_000;
const FAILED_LINE_RE = /^Command failed -:(\d+)$/;

export class IpSessionError extends Error {}

/** One command of a request failed (the session goes on): ip's words, classified. */
export class IpCommandError extends Error {
  readonly failure: KernelFailure;
  constructor(words: string) {
    super(words);
    this.failure = ipFailure(words);
  }
}

interface Pending {
  /** Line numbers (ip counts from 1 over the session's life) of this request's commands. */
  first: number;
  count: number;
  answers: string[];
  failed: Map<number, string>;
  /** stderr lines since the last failure: the kernel's words for the next one. */
  words: string[];
  timer: NodeJS.Timeout;
  resolve: (answers: (unknown[] | IpCommandError)[]) => void;
  reject: (e: Error) => void;
}

export class IpSession {
  readonly #ip: string;
  readonly #argv: readonly string[];
  readonly #log: (line: string) => void;
  #child: ChildProcessWithoutNullStreams | null = null;
  #linesSent = 0;
  #pending: Pending | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** `argv`: ip's global options before `-json -force -batch -` (`-n NS`, `-N`, `-details`). */
  constructor(ip: string, argv: readonly string[], log: (line: string) => void) {
    this.#ip = ip;
    this.#argv = argv;
    this.#log = log;
  }

  /** Runs the commands in order; each answer is the command's JSON array, or
   *  an IpCommandError (ip's words and their code) when that command failed.
   *  Rejects with an IpSessionError when the session itself broke. */
  run(commands: readonly string[]): Promise<(unknown[] | IpCommandError)[]> {
    const next = this.#queue.then(() => this.#send(commands));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Starts ip now rather than at the first request (which then does not wait for it). */
  warm(): void {
    if (this.#closed || this.#child !== null) return;
    try {
      this.#start();
    } catch {
      // Out of file descriptors: the first request starts it again, and says why if it still cannot.
    }
  }

  close(): void {
    this.#closed = true;
    this.#end(new IpSessionError('ip session closed'));
  }

  #send(commands: readonly string[]): Promise<(unknown[] | IpCommandError)[]> {
    if (this.#closed) return Promise.reject(new IpSessionError('ip session closed'));
    if (commands.some((c) => c.includes('\n'))) return Promise.reject(new IpSessionError('a command holds a newline'));
    const child = this.#child ?? this.#start();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#end(new IpSessionError(`ip gave no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)), REQUEST_TIMEOUT_MS);
      this.#pending = { first: this.#linesSent + 1, count: commands.length, answers: [], failed: new Map(), words: [], timer, resolve, reject };
      this.#linesSent += commands.length;
      child.stdin.write(`${commands.join('\n')}\n`);
    });
  }

  #start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.#ip, [...this.#argv, '-json', '-force', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    if (missingPipes(child)) {
      child.on('error', () => undefined); // said below; the next request tries again
      throw new IpSessionError(`cannot run ${this.#ip}: no file descriptor or process to spare`);
    }
    this.#child = child;
    this.#linesSent = 0;
    // Never what keeps the daemon (or a test) alive: a pending request's timer does that.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
    child.stdin.on('error', () => undefined); // EPIPE after ip died: 'close' says why
    child.on('error', (e) => this.#end(new IpSessionError(`cannot run ${this.#ip}: ${e.message}`), child));
    child.on('close', (code, signal) => this.#end(new IpSessionError(`ip exited (${signal ?? `status ${code ?? '?'}`})`), child));
    createInterface({ input: child.stdout }).on('line', (line) => this.#answer(line));
    createInterface({ input: child.stderr }).on('line', (line) => this.#stderr(line));
    return child;
  }

  #answer(line: string): void {
    const p = this.#pending;
    if (p === null) return this.#end(new IpSessionError('ip answered with no request open'));
    p.answers.push(line);
    this.#maybeDone(p);
  }

  #stderr(line: string): void {
    const p = this.#pending;
    const m = FAILED_LINE_RE.exec(line);
    if (m === null) {
      if (p !== null) p.words.push(line.trim());
      else this.#log(`ip session: ${line}`);
      return;
    }
    const n = Number(m[1]);
    if (p === null || n < p.first || n >= p.first + p.count) return this.#end(new IpSessionError(`ip reported a failure for line ${n}, not in the open request`));
    p.failed.set(n - p.first, p.words.join('; ') || 'failed without a message');
    p.words = [];
    this.#maybeDone(p);
  }

  #maybeDone(p: Pending): void {
    if (p.answers.length + p.failed.size < p.count) return;
    if (p.answers.length + p.failed.size > p.count) return this.#end(new IpSessionError('ip answered more lines than it was asked'));
    const out: (unknown[] | IpCommandError)[] = [];
    let next = 0;
    for (let i = 0; i < p.count; i++) {
      const failed = p.failed.get(i);
      if (failed !== undefined) {
        out.push(new IpCommandError(failed));
        continue;
      }
      let v: unknown;
      try {
        v = JSON.parse(p.answers[next++] ?? '');
      } catch {
        return this.#end(new IpSessionError('ip printed a line that is not JSON'));
      }
      if (!Array.isArray(v)) return this.#end(new IpSessionError('ip printed JSON that is not an array'));
      out.push(v);
    }
    clearTimeout(p.timer);
    this.#pending = null;
    // Words with no failure after them ("Dump was interrupted and may be
    // inconsistent") are ip's warnings about an answer it did give.
    for (const w of p.words) this.#log(`ip session: ${w}`);
    p.resolve(out);
  }

  /** Ends the session (kills ip) and fails the open request with `why`. */
  #end(why: IpSessionError, only?: ChildProcessWithoutNullStreams): void {
    const child = this.#child;
    if (only !== undefined && child !== only) return; // an older session's last words
    this.#child = null;
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const p = this.#pending;
    this.#pending = null;
    if (p !== null) {
      clearTimeout(p.timer);
      p.reject(why);
    } else if (child !== null && !this.#closed) {
      this.#log(`ip session ended: ${why.message}`);
    }
  }
}
