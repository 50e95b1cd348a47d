// When the loop runs. Every trigger (boot, a kernel event, a drop-in edit, a
// D-Bus call, a retry) goes through request(): runs never overlap, triggers
// that arrive during a run are coalesced into one more run, kernel events
// are debounced, and after a troubled run retries back off. What a run does
// is the daemon's (reconcile/daemon.ts); this file only decides when.

import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { monotonicMs } from '../clock.js';

/** What the scheduler needs to know about a run that happened. */
export interface RunReport {
  /** The kernel refused something or the plan did not converge: worth a retry. */
  troubled: boolean;
  /** What the retry will attempt, for its log line. */
  retryWhat: string;
  /** Something was written to the kernel: its events echo for a while. */
  wrote: boolean;
}

export interface TriggerDeps {
  /** One reconcile; fresh = observe everything afresh. null: nothing was run. */
  run(fresh: boolean): Promise<RunReport | null>;
  log: Logger;
  /** Kernel events within this window are coalesced into one reconcile. */
  kernelDebounceMs: number;
  /** Called after each run, before the next (the watchdog waits for the loop to be idle). */
  betweenRuns?: () => void;
  /** Clocks, for tests: monotonic ms and wall-clock ms. */
  now?: () => number;
  wallNow?: () => number;
}

/** An event after this long without one, and this long after our own last
 *  write, is a lone change (a link deleted, a carrier lost), not part of a
 *  stream nor the echo of our own writes: it is acted on after FIRST_EVENT_MS. */
export const QUIET_MS = 20;
/** Long enough for the rest of one change's events (a deleted link's route,
 *  address and link lines arrive together), short enough to heal at once. */
export const FIRST_EVENT_MS = 1;
export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 60_000;

export class Triggers {
  private readonly d: TriggerDeps;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private runningNow = false;
  private pending = false;
  private waiters: (() => void)[] = [];
  private eventTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  /** Epoch ms before which kernel events do not start a run (after a troubled one). */
  private backoffUntil = 0;
  private lastEventAt = -Infinity;
  /** The next run observes everything afresh: something other than a kernel event asked for it. */
  private freshWanted = true;
  /** When the last run that wrote to the kernel ended. */
  private lastWroteAt = -Infinity;
  private stopped = false;

  constructor(deps: TriggerDeps) {
    this.d = deps;
    this.now = deps.now ?? monotonicMs;
    this.wallNow = deps.wallNow ?? (() => Date.now());
  }

  get running(): boolean {
    return this.runningNow;
  }

  /** Resolves after a full reconcile that started after this call. Only kernel
   *  events pass fresh = false: their run may use the backend's event-fed view. */
  request(fresh = true): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (fresh) this.freshWanted = true;
    return new Promise((res) => {
      this.waiters.push(res);
      this.pending = true;
      if (!this.runningNow) void this.loop();
    });
  }

  /** A kernel event: a run soon, at once when it is a lone change. */
  kernelEvent(): void {
    const now = this.now();
    const lone = !this.runningNow && now - this.lastEventAt >= QUIET_MS && now - this.lastWroteAt >= QUIET_MS;
    this.lastEventAt = now;
    if (this.stopped || this.eventTimer !== undefined) return;
    // A stream of events (a carrier storm, a script at work) is coalesced by
    // the debounce; a lone one is acted on at once, which is what a heal is.
    // After a troubled run our own writes come back as events: without the
    // back-off a network that cannot converge would re-run at the debounce
    // rate, so events then wait it out like the retry does.
    const debounce = lone ? Math.min(FIRST_EVENT_MS, this.d.kernelDebounceMs) : this.d.kernelDebounceMs;
    const wait = Math.max(debounce, this.backoffUntil - this.wallNow());
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      void this.request(false);
    }, wait);
  }

  /** No run starts after this; resolves when the one in flight (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.eventTimer, this.retryTimer]) if (t) clearTimeout(t);
    // Wait for a run in flight: never leave a batch half-applied on purpose.
    if (this.runningNow) await new Promise<void>((res) => this.waiters.push(res));
  }

  private async loop(): Promise<void> {
    this.runningNow = true;
    while (this.pending && !this.stopped) {
      this.pending = false;
      const waiters = this.waiters;
      this.waiters = [];
      try {
        const fresh = this.freshWanted;
        this.freshWanted = false;
        const report = await this.d.run(fresh);
        if (report !== null) this.after(report);
      } catch (e) {
        this.d.log.error(`reconcile failed: ${describeError(e)}`);
        this.scheduleRetry();
      }
      for (const w of waiters) w();
      this.d.betweenRuns?.();
    }
    this.runningNow = false;
    for (const w of this.waiters.splice(0)) w();
  }

  private after(report: RunReport): void {
    if (report.wrote) this.lastWroteAt = this.now();
    if (report.troubled) {
      this.backoffUntil = this.wallNow() + this.retryMs;
      this.scheduleRetry(report.retryWhat);
    } else {
      this.retryMs = RETRY_MIN_MS;
      this.backoffUntil = 0;
    }
  }

  /** @param what what the next try will attempt, for its log line */
  private scheduleRetry(what = 'the whole reconcile'): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    const ms = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.d.log.info(`will try again in ${Math.round(ms / 1000)} s: ${what}`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.request();
    }, ms);
  }
}
