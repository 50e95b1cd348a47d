// A test hook, never on in production: a Kernel that lets the first k ops of
// the daemon's life through and then kills its own process with SIGKILL, so
// the reliability tier can stop a reconcile after every possible op and prove
// that the next start converges. main.ts wraps the kernel with it only when
// FLATNET_FAULT_KILL_AFTER_OPS is set.

import type { Op } from '../plan/ops.js';
import type { ApplyResult, Kernel, KernelEvent, ObserveOptions } from './kernel.js';
import type { Observed } from '../model/observed.js';
import { kernelFailure } from './failure.js';

export const FAULT_ENV = 'FLATNET_FAULT_KILL_AFTER_OPS';

/** k from the environment: a non-negative integer, or null when unset. Throws on anything else. */
export function faultKillAfterOps(env: Readonly<Record<string, string | undefined>>): number | null {
  const v = env[FAULT_ENV];
  if (v === undefined || v === '') return null;
  if (!/^[0-9]{1,9}$/.test(v)) throw new Error(`${FAULT_ENV}=${v}: must be a non-negative integer (ops to apply before SIGKILL)`);
  return Number(v);
}

export interface KillAfterOpsOptions {
  /** Ops to let through, counted over every apply() of the process. */
  ops: number;
  /** What ends the process; the default is SIGKILL to ourselves. */
  kill?: () => void;
  /** Told once, just before the kill. */
  onKill?: (line: string) => void;
}

export class KillAfterOpsKernel implements Kernel {
  readonly #inner: Kernel;
  readonly #limit: number;
  readonly #kill: () => void;
  readonly #onKill: (line: string) => void;
  #passed = 0;

  constructor(inner: Kernel, opts: KillAfterOpsOptions) {
    this.#inner = inner;
    this.#limit = opts.ops;
    this.#kill = opts.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
    this.#onKill = opts.onKill ?? (() => undefined);
  }

  get writes(): number {
    return this.#inner.writes;
  }

  observe(opts?: ObserveOptions): Promise<Observed> {
    return this.#inner.observe(opts);
  }

  subscribe(onEvent: (e: KernelEvent) => void): () => void {
    return this.#inner.subscribe(onEvent);
  }

  async apply(ops: readonly Op[]): Promise<ApplyResult> {
    if (ops.length === 0) return { applied: 0 };
    const room = this.#limit - this.#passed;
    if (ops.length <= room) {
      const r = await this.#inner.apply(ops);
      this.#passed += r.applied;
      return r;
    }
    const head = ops.slice(0, Math.max(0, room));
    const r = head.length > 0 ? await this.#inner.apply(head) : { applied: 0 };
    this.#passed += r.applied;
    this.#onKill(`fault injection: ${this.#passed} op(s) applied, killing flatnetd before the next (${FAULT_ENV}=${this.#limit})`);
    this.#kill();
    // Only reached when `kill` does not end the process (unit tests).
    const next = ops[r.applied];
    if (r.failed !== undefined || next === undefined) return r;
    return { applied: r.applied, failed: { index: r.applied, op: next, ...kernelFailure('unknown', 'killed by fault injection') } };
  }
}
