// The Kernel backend on iproute2: `ip -json` dumps to observe, one
// `ip -batch -` per apply, `ip monitor` as the "look again" trigger.
// Spawned with an argv array, never through a shell.

import { spawn } from 'node:child_process';
import { missingPipes, runIp, Spare, startIp, type StartedIp } from './ip-run.js';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { FlatnetError } from '../errors.js';
import type { Observed, ObservedLink } from '../model/observed.js';
import { opLink, type Op } from '../plan/ops.js';
import type { ApplyResult, Kernel, KernelEvent, ObserveOptions } from './kernel.js';
import { IpSession, IpCommandError } from './ip-session.js';
import { alreadyGone, ipFailure, kernelFailure, type KernelFailure } from './failure.js';
import { arpingAnnouncer, type Announce } from './announce.js';
import { ObservedCache, type ScopedLook } from './observed-cache.js';
import { monitorTouch, parseAddresses, parseLinks, parseMonitorLine, parseObserved, parseRoutes } from './parse.js';
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
  /** Smallest number of links at which observe looks again only at what events touched (observed-cache.ts). */
  viewMinLinks?: number;
  /** Announces a link's addresses after its MAC was changed (default: arping, announce.ts); null: never. */
  announce?: Announce | null;
  /** The daemon's boot: start the dump session now (it comes up while the
   *  drop-ins are read), and no spare ip ahead of need until started(). */
  booting?: boolean;
}

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

/** One link's share of SESSION_DUMPS, for a scoped look (observed-cache.ts). */
const linkDumps = (name: string): string[] => [
  `address show dev ${name}`,
  `route show table all type unicast root 0.0.0.0/0 dev ${name}`,
  `route show table all type unicast root ::/0 dev ${name}`,
];
const FAILED_LINE_RE = /^Command failed -:(\d+)$/m;
const isDelete = (op: Op): boolean => op.op === 'link-del' || op.op === 'addr-del' || op.op === 'route-del';

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
  /** The event-fed view; only with the session, which makes a scoped look cheap. */
  readonly #cache: ObservedCache | null;
  /** The ip for the next scoped look. A look needs an ip that has never looked
   *  a name up: ip remembers name → ifindex for its life, so the living
   *  session, asked for a link deleted and made again under the same name,
   *  asks the kernel about the old ifindex ("No such device"). */
  readonly #lookers: Spare<IpSession>;
  /** The `ip -batch -` for the next apply (fresh for the same reason). */
  readonly #writers: Spare<StartedIp>;
  readonly #announce: Announce | null;
  #lastStaleReason: string | null = null;
  #writes = 0;
  readonly #looks = { full: 0, scoped: 0 };

  constructor(opts: IpRoute2Options = {}) {
    this.#ip = opts.ip ?? 'ip';
    this.#netns = opts.netns ?? null;
    this.#log = opts.onLog ?? (() => undefined);
    this.#session = opts.session === false ? null : new IpSession(this.#ip, this.#args(...DUMP_OPTIONS), this.#log);
    this.#cache = this.#session === null ? null : new ObservedCache(opts.viewMinLinks);
    const held = { held: opts.booting === true };
    this.#lookers = new Spare(() => {
      const s = new IpSession(this.#ip, this.#args(...DUMP_OPTIONS), this.#log);
      s.warm();
      return s;
    }, () => true, (s) => s.close(), held);
    this.#writers = new Spare(() => startIp(this.#ip, this.#args('-batch', '-')), (w) => w.alive, (w) => w.kill(), held);
    if (opts.booting === true) this.#session?.warm();
    this.#announce = opts.announce !== undefined ? opts.announce
      : arpingAnnouncer({ ip: this.#ip, ...(opts.netns !== undefined ? { netns: opts.netns } : {}), log: this.#log });
  }

  /** Event monitors still running (subscribe()'s stoppers). */
  readonly #monitors = new Set<() => void>();

  /** The boot is over (READY=1 is out): from here a spare ip is kept ahead of need. */
  started(): void {
    this.#lookers.release();
    this.#writers.release();
  }

  /** Ends every ip we started: the living dump session, the spares, the event
   *  monitors. Synchronous, so it can run in process.on('exit'). */
  close(): void {
    for (const stop of [...this.#monitors]) stop();
    this.#session?.close();
    this.#lookers.close();
    this.#writers.close();
  }

  get writes(): number {
    return this.#writes;
  }

  /** Observes so far, full dumps and scoped looks (for tests and the bench). */
  get looks(): Readonly<{ full: number; scoped: number }> {
    return this.#looks;
  }

  #args(...rest: string[]): string[] {
    return this.#netns === null ? rest : ['-n', this.#netns, ...rest];
  }

  async #dump(...args: string[]): Promise<unknown> {
    const argv = this.#args(...DUMP_OPTIONS, '-json', ...args);
    const r = await runIp(this.#ip, argv);
    if (r.code !== 0) {
      throw new FlatnetError('kernel', `ip ${argv.join(' ')} failed: ${r.stderr.trim() || `exit status ${r.code}`}`);
    }
    try {
      return JSON.parse(r.stdout) as unknown;
    } catch (e) {
      throw new FlatnetError('internal', `ip ${argv.join(' ')} printed no JSON: ${(e as Error).message}`);
    }
  }

  async observe(opts: ObserveOptions = {}): Promise<Observed> {
    const cache = this.#cache;
    if (cache !== null && opts.fresh !== true) {
      const look = cache.beginScoped();
      if (look !== null) {
        const o = await this.#observeScoped(cache, look);
        if (o !== null) {
          this.#looks.scoped++;
          this.#log(`read again: ${look.names.length > 0 ? look.names.join(' ') : 'nothing touched'}`);
          return o;
        }
      } else {
        const why = cache.staleBecause ?? 'too many links changed, or one the view has no name for';
        if (why !== this.#lastStaleReason) this.#log(`full dump: ${why}`);
        this.#lastStaleReason = why;
      }
    }
    const trusted = cache?.beginFull() ?? false;
    this.#looks.full++;
    const observed = await this.#observeFull();
    cache?.storeFull(observed, trusted);
    if (trusted) this.#lastStaleReason = null;
    return observed;
  }

  /** The event-fed view with the touched links dumped again; null when that
   *  failed in a way a full dump must settle. */
  async #observeScoped(cache: ObservedCache, look: ScopedLook): Promise<Observed | null> {
    let answers: (unknown[] | IpCommandError)[];
    const ip = this.#lookers.take();
    try {
      answers = await ip.run([...look.names.flatMap(linkDumps), 'netns list-id']);
    } catch (e) {
      cache.disarm(`ip session: ${(e as Error).message}`);
      return null;
    } finally {
      ip.close();
    }
    // Per looked-at name, in order: its address dump, then its two route dumps.
    const found: { name: string; addrs: unknown[]; routes4: unknown[]; routes6: unknown[] }[] = [];
    for (const [j, name] of look.names.entries()) {
      const [addrs, routes4, routes6] = answers.slice(3 * j, 3 * j + 3);
      const failed = [addrs, routes4, routes6].find((a): a is IpCommandError => a instanceof IpCommandError);
      // A link gone since the event: its absence from the answer removes it.
      if (failed?.failure.code === 'gone') continue;
      if (failed !== undefined || !Array.isArray(addrs) || !Array.isArray(routes4) || !Array.isArray(routes6)) {
        cache.disarm(`reading ${name} again failed: ${failed?.message ?? 'ip gave fewer answers than asked'}`);
        return null;
      }
      found.push({ name, addrs, routes4, routes6 });
    }
    const nsids = answers[3 * look.names.length];
    // Other namespaces' ids guard parents with containers on them: never guessed.
    if (!Array.isArray(nsids)) {
      cache.disarm(`ip netns list-id failed: ${nsids instanceof Error ? nsids.message : 'no answer'}`);
      return null;
    }
    const addrs = found.flatMap((p) => p.addrs);
    const links = parseLinks(addrs, cache.ifindexByName());
    await this.#markWireless(links);
    return cache.applyScoped(look, {
      links,
      addresses: parseAddresses(addrs),
      routes: found.flatMap((p) => [...parseRoutes(p.routes4, links, 4, p.name), ...parseRoutes(p.routes6, links, 6, p.name)]),
    }, nsids.length);
  }

  async #observeFull(): Promise<Observed> {
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
        const failed = answers.filter((a): a is IpCommandError => a instanceof IpCommandError);
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
    // Before the first write: the view must look at these links again however the batch ends.
    this.#cache?.wrote(ops.flatMap(linksNamed));
    const r = await this.#applyIdempotent(ops);
    if (r.failed !== undefined) this.#cache?.disarm(`the kernel refused to apply an op (${r.failed.message})`);
    // A MAC the neighbours still have in their ARP caches is now wrong: tell them.
    for (const op of ops.slice(0, r.applied)) if (op.op === 'link-set' && op.changes.mac !== undefined) this.#announce?.(op.name);
    return r;
  }

  async #applyIdempotent(ops: readonly Op[]): Promise<ApplyResult> {
    let done = 0;
    for (;;) {
      const r = await this.#applyBatch(ops.slice(done));
      if (r.failed === undefined) return { applied: ops.length };
      const index = done + r.failed.index;
      const op = r.failed.op;
      if (!isDelete(op) || !alreadyGone(r.failed.code)) return { applied: index, failed: { ...r.failed, index } };
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
      const r = await this.#writers.take().finish(input);
      if (r.code !== 0) {
        const m = FAILED_LINE_RE.exec(r.stderr);
        const index = m ? opForLine(batch, Number(m[1])) : null;
        // Without a line number ip exited on its own (an argument it could not
        // parse, or it did not run at all). render.ts checks every word so
        // that this should not happen; the position is then unknown.
        const failure = index === null
          ? kernelFailure('unknown', `ip -batch stopped at an unknown line: ${kernelMessage(r.stderr)}`)
          : ipFailure(kernelMessage(r.stderr));
        return this.#failedAt(ops, batch.lineOp, index ?? 0, failure);
      }
    }
    // An op render.ts refused: everything before it went through.
    if (batch.rejected !== undefined) return this.#failedAt(ops, batch.lineOp, batch.rejected.index, kernelFailure('refused', batch.rejected.message));
    this.#countWrites(batch.lineOp, ops.length);
    return { applied: ops.length };
  }

  /** Ops that sent the kernel something (an empty link-set sends nothing). */
  #countWrites(lineOp: readonly number[], applied: number): void {
    this.#writes += new Set(lineOp.filter((i) => i < applied)).size;
  }

  #failedAt(ops: readonly Op[], lineOp: readonly number[], index: number, failure: KernelFailure): ApplyResult {
    this.#countWrites(lineOp, index);
    const op = ops[index];
    return op === undefined ? { applied: index } : { applied: index, failed: { index, op, ...failure } };
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    let stopped = false;
    let child: ReturnType<typeof spawn> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let backoff = MONITOR_BACKOFF_MIN_MS;
    const argv = this.#args('-oneline', 'monitor', 'label', 'link', 'address', 'route');

    const watchOutput = (proc: { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream }): void => {
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (!stopped) this.#cache?.heard(monitorTouch(line));
        const e = parseMonitorLine(line);
        if (e !== null && !stopped) onEvent(e);
      });
      createInterface({ input: proc.stderr }).on('line', (line) => {
        // An overrun ("No buffer space available") or worse: events were lost.
        this.#cache?.disarm(`ip monitor said: ${line}`);
        this.#log(`ip monitor: ${line}`);
      });
    };

    const start = (restarted: boolean): void => {
      const startedAt = Date.now();
      const proc = spawn(this.#ip, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let ended = false;
      proc.on('spawn', () => {
        this.#cache?.monitorStarted();
        // Events between the old monitor's death and this one are lost: say so.
        if (restarted && !stopped) onEvent({ what: 'resync', text: `ip ${argv.join(' ')} restarted` });
      });
      // Out of file descriptors, ip has no pipes: its 'error' (below) restarts it after the back-off.
      if (!missingPipes(proc)) watchOutput(proc);
      const onEnd = (why: string): void => {
        if (ended) return;
        ended = true;
        this.#cache?.disarm('the event monitor ended');
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
    const stop = (): void => {
      this.#monitors.delete(stop);
      stopped = true;
      this.#cache?.disarm('not watching kernel events');
      if (timer !== null) clearTimeout(timer);
      child?.kill('SIGTERM');
    };
    this.#monitors.add(stop);
    return stop;
  }
}

/** Every link an op is about, and a new link's parent. */
function linksNamed(op: Op): string[] {
  return op.op === 'link-add' && op.link.parent !== null ? [op.link.name, op.link.parent] : [opLink(op)];
}
