// Keeps the daemon on the system bus when there is one, and never makes the
// links wait for it (systemd-networkd's way: the bus is an API, not a need).
// The first reconcile, READY=1 and every heal go on without a bus; the API
// is published when the bus socket is there, and again each time it comes
// back after dbus was stopped, restarted or upgraded.
//
// No polling: when the socket is missing or refuses us, an inotify watch on
// its directory says when to try again (src/bus/socket-watch.ts). Only an
// address with no file behind it (abstract, tcp) is retried on a timer.

import { existsSync } from 'node:fs';
import { describeError } from './errors.js';
import type { DaemonApi } from './model/status.js';
import type { Logger } from './log.js';
import type { Notifier } from './notify.js';
import { socketPathOf, watchForPath, type PathWatch } from './bus/socket-watch.js';

export interface BusAttachment {
  close(): Promise<void>;
}

export interface AttachOptions {
  /** DBUS_SYSTEM_BUS_ADDRESS, or the default system bus when unset. */
  address: string;
  /** How long to wait for the bus to answer Hello and RequestName. */
  timeoutMs?: number;
  /** The drop-in directories in use (named in error texts). */
  configDirs?: readonly string[];
  /** Called once, when the first try has ended (the name taken, or the API
   *  unavailable), or when the bus has not answered it within `firstTryGraceMs`. */
  onFirstTry?: () => void;
  /** How long the first try may wait for the bus's answers before onFirstTry is called anyway (default 1 s). */
  firstTryGraceMs?: number;
}

type BusModule = typeof import('./bus/index.js');
type MessageBus = Awaited<ReturnType<BusModule['connectSystemBus']>>;

interface Attached {
  bus: MessageBus;
  close(): void;
}

/** A socket that exists but has no listener yet (dbus-daemon between bind and
 *  listen) or no longer (killed): retried a few times, then left to the watch. */
const QUICK_RETRIES = [50, 100, 200, 400, 800, 1600];
/** For addresses with no socket file to watch. */
const TIMER_RETRY_MIN_MS = 1000;
const TIMER_RETRY_MAX_MS = 60_000;

const BUS_NAME = 'org.flatnet.flatnet1';

class BusKeeper implements BusAttachment {
  readonly #daemon: DaemonApi;
  readonly #log: Logger;
  readonly #address: string;
  readonly #socket: string | null;
  readonly #timeoutMs: number;
  readonly #configDirs: readonly string[] | undefined;
  #onFirstTry: (() => void) | undefined;
  readonly #firstTryGraceMs: number;
  #state: 'idle' | 'connecting' | 'attached' | 'closed' = 'idle';
  #attached: Attached | null = null;
  #watch: PathWatch | null = null;
  #timer: NodeJS.Timeout | null = null;
  #quick = 0;
  #timerRetryMs = TIMER_RETRY_MIN_MS;
  /** Said once per outage; cleared when the name is ours again. */
  #outage: string | null = null;
  #everAttached = false;

  constructor(daemon: DaemonApi, log: Logger, opts: AttachOptions) {
    this.#daemon = daemon;
    this.#log = log;
    this.#address = opts.address;
    this.#socket = socketPathOf(opts.address);
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#configDirs = opts.configDirs;
    this.#onFirstTry = opts.onFirstTry;
    this.#firstTryGraceMs = opts.firstTryGraceMs ?? 1000;
  }

  start(): void {
    this.#try();
  }

  /** Lets go of the bus. A connect still under way is not waited for (a hung
   *  bus must not hold up a stop): it lets go itself when it ends. */
  async close(): Promise<void> {
    this.#firstTryOver();
    this.#state = 'closed';
    this.#stopWaiting();
    this.#detach();
  }

  #try(): void {
    if (this.#state !== 'idle') return;
    if (this.#socket !== null && !existsSync(this.#socket)) {
      this.#unavailable(`no system bus socket at ${this.#socket} (is dbus running?)`, false);
      return;
    }
    this.#state = 'connecting';
    this.#connect().catch((e: unknown) => {
      if (this.#state === 'closed') return;
      this.#state = 'idle';
      this.#unavailable(describeError(e), e instanceof Error && isConnectionError(e));
    });
  }

  async #connect(): Promise<void> {
    const m: BusModule = await import('./bus/index.js');
    // Counted from here, not from start-up: loading dbus-next is our own work, the answers are the bus's.
    if (this.#onFirstTry !== undefined) setTimeout(() => this.#firstTryOver(), this.#firstTryGraceMs).unref();
    const bus = await m.connectSystemBus({ timeoutMs: this.#timeoutMs, address: this.#address });
    // A late socket error after we let go must not become an uncaught exception.
    bus.on('error', () => undefined);
    let unhook = (): void => undefined;
    let exported: { close(): void } | null = null;
    const attached: Attached = {
      bus,
      close: () => {
        unhook();
        exported?.close();
        try { bus.disconnect(); } catch { /* already gone */ }
      },
    };
    // Lost while taking the name (dbus-next never settles calls on a dead
    // connection), or no answer: give up this try and wait for the bus again.
    let giveUp: (why: string) => void = () => undefined;
    const abandoned = new Promise<never>((_, reject) => { giveUp = (why) => reject(new Error(why)); });
    unhook = m.onBusLost(bus, (reason) => {
      if (this.#attached === attached) this.#lost(attached, reason);
      else giveUp(reason);
    });
    const timer = setTimeout(() => giveUp('no answer to RequestName (timed out)'), this.#timeoutMs);
    try {
      if (this.#isClosed()) throw new Error('stopping');
      const exporting = m.exportDaemon(bus, this.#daemon, {
        logger: this.#log, ...(this.#configDirs !== undefined ? { configDirs: this.#configDirs } : {}),
      });
      // Given up on, it may still end: then it is closed, never left serving a dead connection.
      abandoned.catch(() => exporting.then((x) => x.close(), () => undefined));
      exported = await Promise.race([exporting, abandoned]);
    } catch (e) {
      attached.close();
      throw new Error(`cannot take ${BUS_NAME} on the system bus: ${describeError(e)}`);
    } finally {
      clearTimeout(timer);
    }
    if (this.#isClosed()) {
      attached.close();
      return;
    }
    this.#state = 'attached';
    this.#attached = attached;
    this.#stopWaiting();
    this.#quick = 0;
    this.#timerRetryMs = TIMER_RETRY_MIN_MS;
    const again = this.#everAttached ? ' again' : '';
    this.#everAttached = true;
    this.#outage = null;
    this.#log.info(`on the system bus${again} as ${BUS_NAME}`);
    this.#firstTryOver();
  }

  #firstTryOver(): void {
    const f = this.#onFirstTry;
    this.#onFirstTry = undefined;
    f?.();
  }

  /** Read after an await: close() may have run meanwhile. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #lost(attached: Attached, reason: string): void {
    if (this.#attached !== attached) return;
    this.#attached = null;
    attached.close();
    if (this.#state === 'closed') return;
    this.#state = 'idle';
    this.#unavailable(`${reason}`, true);
  }

  #detach(): void {
    const a = this.#attached;
    this.#attached = null;
    a?.close();
  }

  /** Say why once, then wait for the socket (or a timer when there is no file to watch). */
  #unavailable(reason: string, refused: boolean): void {
    this.#firstTryOver();
    if (this.#state === 'closed') return;
    if (this.#outage === null) {
      this.#outage = reason;
      const when = this.#socket !== null ? `when ${this.#socket} appears` : `when ${this.#address} answers`;
      this.#log.warning(`D-Bus API unavailable: ${reason}; links are still managed and healed, `
        + `flatnetd takes ${BUS_NAME} ${when}`);
    } else {
      this.#log.debug(`system bus still unavailable: ${reason}`);
    }
    if (this.#socket === null) {
      this.#schedule(this.#timerRetryMs);
      this.#timerRetryMs = Math.min(this.#timerRetryMs * 2, TIMER_RETRY_MAX_MS);
      return;
    }
    this.#armWatch(this.#socket);
    const quick = QUICK_RETRIES[this.#quick];
    if (refused && quick !== undefined) {
      this.#quick++;
      this.#schedule(quick);
    } else {
      this.#quick = 0;
    }
  }

  #armWatch(socket: string): void {
    if (this.#watch !== null) return;
    this.#watch = watchForPath(socket, () => {
      if (this.#state !== 'idle') return;
      // A new socket: a fresh round of quick retries for its start-up.
      this.#quick = 0;
      this.#schedule(0);
    }, (e) => {
      this.#log.warning(`cannot watch for ${socket}: ${describeError(e)}; the D-Bus API stays unavailable until flatnetd restarts`);
    });
  }

  #schedule(ms: number): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#try();
    }, ms);
    this.#timer.unref();
  }

  #stopWaiting(): void {
    this.#watch?.close();
    this.#watch = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

function isConnectionError(e: Error): boolean {
  return /ECONNREFUSED|ENOENT|ECONNRESET|EPIPE|closed the connection|timed out/i.test(e.message);
}

/**
 * Start keeping the daemon on the system bus; returns at once. Nothing here
 * ever ends the process: without a bus the links are managed all the same.
 */
export function attachBus(daemon: DaemonApi, log: Logger, opts: AttachOptions): BusAttachment {
  const keeper = new BusKeeper(daemon, log, opts);
  keeper.start();
  return keeper;
}

/**
 * The notifier the daemon is given: READY=1 (and whatever follows it) waits
 * for the first bus try to end, so that with dbus up `systemctl start
 * flatnetd && flatnetctl status` finds the name. With no bus the first try
 * ends at once; a bus that does not answer holds READY=1 back by the keeper's
 * firstTryGraceMs at most. Calls keep their order.
 */
export function readyAfterFirstTry(notifier: Notifier, firstTry: Promise<void>): Notifier {
  let open = false;
  const queued: (() => void)[] = [];
  const gate = (f: () => void): void => { if (open) f(); else queued.push(f); };
  void firstTry.then(() => {
    open = true;
    for (const f of queued.splice(0)) f();
  });
  return {
    ready: () => gate(() => notifier.ready()),
    reloading: () => gate(() => notifier.reloading()),
    stopping: () => gate(() => notifier.stopping()),
    status: (line) => gate(() => notifier.status(line)),
    watchdog: () => gate(() => notifier.watchdog()),
    watchdogIntervalMs: () => notifier.watchdogIntervalMs(),
  };
}
