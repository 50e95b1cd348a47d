// The whole I/O boundary to the kernel: three calls. One backend (iproute2)
// for the daemon, one fake (test/fake) that behaves like the kernel for the
// unit tests.

import type { Observed } from '../model/observed.js';
import type { Op } from '../plan/ops.js';
import type { KernelFailure } from './failure.js';

export interface ApplyResult {
  /** How many ops the kernel accepted, in order, before the first failure. */
  applied: number;
  /** The first op that failed, why as a code (failure.ts), and the kernel's words. */
  failed?: { index: number; op: Op } & KernelFailure;
}

/** A change the kernel reported. It carries no state: it only says "look again". */
export interface KernelEvent {
  /** `link`, `address`, `route`, or `resync` when events may have been lost. */
  what: 'link' | 'address' | 'route' | 'resync';
  /** The raw line, for the debug log. */
  text: string;
}

export interface ObserveOptions {
  /** Read everything from the kernel, not a backend's event-fed view. Boot,
   *  reloads, D-Bus calls and retries ask for it; kernel events do not. */
  fresh?: boolean;
}

export interface Kernel {
  observe(opts?: ObserveOptions): Promise<Observed>;
  /** Apply ops in order, stopping at the first failure. */
  apply(ops: readonly Op[]): Promise<ApplyResult>;
  /** Calls `onEvent` for every change; returns a function that stops it. */
  subscribe(onEvent: (e: KernelEvent) => void): () => void;
  /** Kernel write operations made so far (for tests and the bench: a no-op reconcile adds zero). */
  readonly writes: number;
}
