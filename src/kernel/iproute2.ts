// The Kernel backend on iproute2: `ip -json` dumps to observe, one
// `ip -batch -` per apply, `ip monitor` as the "look again" trigger.
// Spawned with an argv array, never through a shell.

import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FlatnetError } from '../errors.js';
import type { Observed, ObservedLink } from '../model/observed.js';
import type { Op } from '../plan/ops.js';
import type { ApplyResult, Kernel, KernelEvent } from './kernel.js';
import { IpSession } from './ip-session.js';
import { parseMonitorLine, parseObserved } from './parse.js';
import { opForLine, renderBatch } from './render.js';

export interface IpRoute2Options {
  /** The `ip` binary (default `ip`, found on PATH). */
  ip?: string;
  /** Work inside this named network namespace (`ip -n NS`); tests use it. */
  netns?: string;
  /** Debug lines: the batch sent, monitor restarts. */
  onLog?: (line: string) => void;
  /** Dump through one living `ip -batch` (default); false spawns ip per dump. */
  session?: boolean;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A dump or a batch that takes this long means ip is stuck, not busy. */
const RUN_TIMEOUT_MS = 60_000;
const MONITOR_BACKOFF_MIN_MS = 100;
const MONITOR_BACKOFF_MAX_MS = 5_000;
/** A monitor that lived this long had no trouble starting: restart fast next time. */
const MONITOR_HEALTHY_MS = 10_000;

/** -N: numbers for protocol, table, scope and type, so what an admin named
 *  in /etc/iproute2 cannot change what we read. */
const DUMP_OPTIONS = ['-N', '-details'] as const;
/** What observe() reads, as batch lines. Unicast routes only (what the
 *  parser keeps): the local table's entries, a few per link and address, were
 *  most of the route dumps. A batch line cannot carry -4/-6: `root 0.0.0.0/0`
 *  and `root ::/0` pick the family and match every route of it, default
 *  included (the same dump as `-4`/`-6 route show table all type unicast`;
 *  with `table main` instead, ip would ignore the family and print IPv4). */
const SESSION_DUMPS = [
  'address show',
  'route show table all type unicast root 0.0.0.0/0',
  'route show table all type unicast root ::/0',
  'netns list-id',
];

const FAILED_LINE_RE = /^Command failed -:(\d+)$/m;
/** What the kernel says when a delete finds nothing to delete. */
const ALREADY_GONE_RE = /Cannot find device|No such device|No such process|Cannot assign requested address|Address not found/;
const isDelete = (op: Op): boolean => op.op === 'link-del' || op.op === 'addr-del' || op.op === 'route-del';

function run(ip: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(ip, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    // Not spawn's own `timeout`: its timer is cleared on 'exit' only, which a
    // failed spawn (ENOENT) never emits, and it would hold the process open.
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | null = null;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => { spawnError = e; });
    // EPIPE when ip exits before reading all of a batch: its exit status says why.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError !== null ? `cannot run ${ip}: ${spawnError.message}`
          : signal !== null ? `${stderr}${ip} killed by ${signal}` : stderr,
      });
    });
    child.stdin.end(input ?? '');
  });
}

/** The kernel's words for a failure: the stderr lines before `Command failed`. */
function kernelMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !FAILED_LINE_RE.test(l));
  return lines.join('; ') || 'ip -batch failed without a message';
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export class IpRoute2Kernel implements Kernel {
  readonly #ip: string;
  readonly #netns: string | null;
  readonly #log: (line: string) => void;
  readonly #session: IpSession | null;
  #writes = 0;

  constructor(opts: IpRoute2Options = {}) {
    this.#ip = opts.ip ?? 'ip';
    this.#netns = opts.netns ?? null;
    this.#log = opts.onLog ?? (() => undefined);
    this.#session = opts.session === false ? null : new IpSession(this.#ip, this.#args(...DUMP_OPTIONS), this.#log);
  }

  /** Ends the living ip that answers the dumps (it also ends with us). */
  close(): void {
    this.#session?.close();
  }

  get writes(): number {
    return this.#writes;
  }

  #args(...rest: string[]): string[] {
    return this.#netns === null ? rest : ['-n', this.#netns, ...rest];
  }

  async #dump(...args: string[]): Promise<unknown> {
    const argv = this.#args(...DUMP_OPTIONS, '-json', ...args);
    const r = await run(this.#ip, argv);
    if (r.code !== 0) {
      throw new FlatnetError('kernel', `ip ${argv.join(' ')} failed: ${r.stderr.trim() || `exit status ${r.code}`}`);
    }
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch (e) {
      throw new FlatnetError('internal', `ip ${argv.join(' ')} printed no JSON: ${(e as Error).message}`);
    }
  }

  async observe(): Promise<Observed> {
    // `addr show -details` carries every link with its details and its
    // addresses, so one dump gives both. Routes are dumped per family because
    // a combined dump prints both default routes as "default".
    // `netns list-id`: containers' links on our parents live in other
    // namespaces that no dump here shows; their ids are the only trace.
    const [addrs, routes4, routes6, nsids] = await this.#dumps();
    const observed = parseObserved(addrs, routes4, routes6);
    observed.peerNamespaces = Array.isArray(nsids) ? nsids.length : 0;
    await this.#markWireless(observed.links);
    return observed;
  }

  /** The four dumps through the living session; one spawn per dump when it
   *  broke or a dump failed there (that path also words the failure). */
  async #dumps(): Promise<unknown[]> {
    if (this.#session !== null) {
      try {
        const answers = await this.#session.run(SESSION_DUMPS);
        const failed = answers.filter((a): a is Error => a instanceof Error);
        if (failed.length === 0) return answers;
        this.#log(`ip session: a dump failed (${failed.map((e) => e.message).join('; ')}); dumping again with one ip per dump`);
      } catch (e) {
        this.#log(`ip session: ${(e as Error).message}; dumping with one ip per dump`);
      }
    }
    return Promise.all([
      this.#dump('address', 'show'),
      this.#dump('-4', 'route', 'show', 'table', 'all', 'type', 'unicast'),
      this.#dump('-6', 'route', 'show', 'table', 'all', 'type', 'unicast'),
      this.#dump('netns', 'list-id'),
    ]);
  }

  async #markWireless(links: ObservedLink[]): Promise<void> {
    // /sys/class/net shows the namespace sysfs was mounted in, not the one
    // `-n` points at: looking there for a link of another namespace could
    // find a host device of the same name. Tests' namespaces have no Wi-Fi.
    if (this.#netns !== null) return;
    await Promise.all(links.filter((l) => l.kind === null).map(async (l) => {
      const dir = `/sys/class/net/${l.name}`;
      l.wireless = (await exists(`${dir}/wireless`)) || (await exists(`${dir}/phy80211`));
    }));
  }

  /** Deletes are idempotent: a link, address or route already gone is what
   *  was wanted, so the batch goes on after it instead of failing the run. */
  async apply(ops: readonly Op[]): Promise<ApplyResult> {
    let done = 0;
    for (;;) {
      const r = await this.#applyBatch(ops.slice(done));
      if (r.failed === undefined) return { applied: ops.length };
      const index = done + r.failed.index;
      const op = r.failed.op;
      if (!isDelete(op) || !ALREADY_GONE_RE.test(r.failed.message)) return { applied: index, failed: { index, op, message: r.failed.message } };
      this.#log(`already gone, as wanted: ${r.failed.message}`);
      done = index + 1;
      if (done >= ops.length) return { applied: ops.length };
    }
  }

  async #applyBatch(ops: readonly Op[]): Promise<ApplyResult> {
    if (ops.length === 0) return { applied: 0 };
    const batch = renderBatch(ops);
    if (batch.lines.length > 0) {
      // No -force: ip stops at the first failing line, so later ops (a
      // route on a link that was not made) are never tried.
      const input = `${batch.lines.join('\n')}\n`;
      this.#log(`ip -batch (${ops.length} ops):\n${input.trimEnd()}`);
      const r = await run(this.#ip, this.#args('-batch', '-'), input);
      if (r.code !== 0) {
        const m = FAILED_LINE_RE.exec(r.stderr);
        const index = m ? opForLine(batch, Number(m[1])) : null;
        // Without a line number ip exited on its own (an argument it could not
        // parse, or it did not run at all). render.ts checks every word so
        // that this should not happen; the position is then unknown.
        const message = index === null ? `ip -batch stopped at an unknown line: ${kernelMessage(r.stderr)}` : kernelMessage(r.stderr);
        return this.#failedAt(ops, batch.lineOp, index ?? 0, message);
      }
    }
    // An op render.ts refused: everything before it went through.
    if (batch.rejected !== undefined) return this.#failedAt(ops, batch.lineOp, batch.rejected.index, batch.rejected.message);
    this.#countWrites(batch.lineOp, ops.length);
    return { applied: ops.length };
  }

  /** Ops that sent the kernel something (an empty link-set sends nothing). */
  #countWrites(lineOp: readonly number[], applied: number): void {
    this.#writes += new Set(lineOp.filter((i) => i < applied)).size;
  }

  #failedAt(ops: readonly Op[], lineOp: readonly number[], index: number, message: string): ApplyResult {
    this.#countWrites(lineOp, index);
    const op = ops[index];
    return op === undefined ? { applied: index } : { applied: index, failed: { index, op, message } };
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    let stopped = false;
    let child: ReturnType<typeof spawn> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let backoff = MONITOR_BACKOFF_MIN_MS;
    const argv = this.#args('-oneline', 'monitor', 'label', 'link', 'address', 'route');

    const start = (restarted: boolean): void => {
      const startedAt = Date.now();
      const proc = spawn(this.#ip, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let ended = false;
      proc.on('spawn', () => {
        // Events between the old monitor's death and this one are lost: say so.
        if (restarted && !stopped) onEvent({ what: 'resync', text: `ip ${argv.join(' ')} restarted` });
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const e = parseMonitorLine(line);
        if (e !== null && !stopped) onEvent(e);
      });
      createInterface({ input: proc.stderr }).on('line', (line) => this.#log(`ip monitor: ${line}`));
      const onEnd = (why: string): void => {
        if (ended) return;
        ended = true;
        if (stopped) return;
        if (Date.now() - startedAt > MONITOR_HEALTHY_MS) backoff = MONITOR_BACKOFF_MIN_MS;
        this.#log(`ip monitor ${why}; restarting in ${backoff} ms`);
        timer = setTimeout(() => { timer = null; if (!stopped) start(true); }, backoff);
        backoff = Math.min(backoff * 2, MONITOR_BACKOFF_MAX_MS);
      };
      proc.on('error', (e) => onEnd(`could not run: ${e.message}`));
      proc.on('close', (code, signal) => onEnd(signal !== null ? `killed by ${signal}` : `exited with status ${code ?? '?'}`));
    };

    start(false);
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      child?.kill('SIGTERM');
    };
  }
}
