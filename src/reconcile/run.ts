// One reconcile: observe → desired → plan → apply, repeated until the plan is
// empty or the round bound is hit. Every trigger (boot, kernel event, drop-in
// edit, D-Bus call) runs exactly this; it is level-triggered and idempotent, so
// a run with nothing to do observes and writes nothing.

import type { Diagnostic } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { NetworkConfig } from '../model/config.js';
import type { Desired } from '../model/desired.js';
import type { NetworksInForce } from '../plan/desired.js';
import type { Observed } from '../model/observed.js';
import { aliasNetworks } from '../model/ownership.js';
import { describeOp, opLink, type Op } from '../plan/ops.js';
import { checkKernel, planRound, type Verdict } from '../plan/round.js';
import type { Logger } from '../log.js';

/** What a run makes true (plan/desired.ts). */
export type RunInput = NetworksInForce;

export interface NetworkOutcome {
  /** The parent link this network waits for, or null. */
  waitingFor: string | null;
  /** Errors that stop the network being configured (conflicts, kernel refusals, kernel checks). */
  errors: Diagnostic[];
  /** Warnings worth showing (kept VLAN parent with foreign children, …). */
  warnings: Diagnostic[];
  notes: string[];
  /** Ops applied for this network during the run. */
  applied: Op[];
  /** The kernel refused an op and the network was rolled back (new) or left as it was (existing). */
  failed: boolean;
  /** Shim IPv4 addresses held back while the LAN is asked about them (src/lan/guard.ts). */
  probing?: string[];
}

export interface RunResult {
  observed: Observed;
  desired: Desired;
  outcomes: Map<string, NetworkOutcome>;
  applied: Op[];
  rounds: number;
  /** Ops still planned when the round bound was hit (should be empty). */
  leftover: Op[];
}

export const MAX_ROUNDS = 4;

function outcomeFor(map: Map<string, NetworkOutcome>, name: string): NetworkOutcome {
  let o = map.get(name);
  if (o === undefined) {
    o = { waitingFor: null, errors: [], warnings: [], notes: [], applied: [], failed: false };
    map.set(name, o);
  }
  return o;
}

/** Networks that already have links of ours in the kernel. */
function networksWithLinks(observed: Observed): Set<string> {
  const s = new Set<string>();
  for (const l of observed.links) for (const n of aliasNetworks(l.alias)) s.add(n);
  return s;
}

export interface RunOptions {
  /** Observe everything afresh first (see ObserveOptions); a run started by kernel events alone need not. */
  fresh?: boolean;
  /** Asked each round before planning (src/lan/guard.ts): the networks to make
   *  true with the shim addresses not to assign yet taken out, and why. */
  vet?: (networks: NetworkConfig[], observed: Observed) => Promise<{ networks: NetworkConfig[]; errors: Map<string, Diagnostic[]>; probing: Map<string, string[]> }>;
}

export async function reconcileOnce(kernel: Kernel, input: RunInput, log: Logger, opts: RunOptions = {}): Promise<RunResult> {
  const outcomes = new Map<string, NetworkOutcome>();
  for (const n of input.networks) outcomeFor(outcomes, n.name);
  // What the kernel refused in this run: an existing network is then left as
  // it was, and a new one is rolled back (never half-applied).
  const refusedFrozen = new Set<string>();
  const rolledBack = new Set<string>();
  const applied: Op[] = [];
  const staleRetried = new Set<string>();
  let observed = await kernel.observe({ fresh: opts.fresh ?? true });
  const existedAtStart = networksWithLinks(observed);

  let rounds = 0;
  let leftover: Op[] = [];
  let desired: Desired = { links: [], frozen: [] };
  let lanErrors = new Map<string, Diagnostic[]>();
  let lanProbing = new Map<string, string[]>();
  for (;;) {
    rounds++;
    const checked = checkKernel(input.networks, observed);
    let vetted: NetworkConfig[] | undefined;
    if (opts.vet !== undefined) {
      // The LAN's word on the shims' addresses (src/lan/guard.ts): an address
      // not yet probed free, or held by another host, is left out of the round.
      // Nothing is asked for a network the kernel checks keep as it is.
      const skip = new Set([...input.down, ...input.frozen, ...refusedFrozen, ...rolledBack, ...checked.refused.keys()]);
      const answer = await opts.vet(input.networks.filter((n) => !skip.has(n.name)), observed);
      const byName = new Map(answer.networks.map((n) => [n.name, n] as const));
      vetted = input.networks.map((n) => byName.get(n.name) ?? n);
      lanErrors = answer.errors;
      lanProbing = answer.probing;
    }
    const round = planRound({
      ...input, observed, checked, refused: { frozen: [...refusedFrozen], rolledBack: [...rolledBack] }, ...(vetted === undefined ? {} : { vetted }),
    });
    desired = round.desired;
    const { plan } = round;
    const last = plan.ops.length === 0 || rounds > MAX_ROUNDS;
    if (rounds === 1 || last) record(outcomes, round.verdicts, rounds === 1);
    for (const name of plan.adopted) log.notice(`adopted hand-made link ${name}: it matches the drop-in exactly`);
    if (plan.ops.length === 0) break;
    if (rounds > MAX_ROUNDS) {
      leftover = plan.ops;
      for (const op of plan.ops) for (const n of op.networks) {
        outcomeFor(outcomes, n).errors.push({ severity: 'error', code: 'internal', network: n, message: `did not converge: still wants to ${describeOp(op)}` });
      }
      break;
    }
    const result = await kernel.apply(plan.ops);
    const done = plan.ops.slice(0, result.applied);
    for (const op of done) {
      applied.push(op);
      if (log.debugging !== false) log.debug(describeOp(op)); // one summary line per network is logged by the daemon
      for (const n of op.networks) outcomeFor(outcomes, n).applied.push(op);
    }
    if (result.failed !== undefined) {
      const { op, message, code } = result.failed;
      // An observation is several dumps, not one snapshot: a link deleted between
      // them yields a plan for a link that is gone. That is a stale view, not a
      // refusal: look again once before calling it one.
      const raced = code === 'gone' && op.networks.every((n) => !staleRetried.has(n));
      if (raced) {
        log.debug(`stale view (${message}) while trying to ${describeOp(op)}; looking again`);
        for (const n of op.networks) staleRetried.add(n);
        observed = await kernel.observe({ fresh: true });
        continue;
      }
      log.error(`kernel refused to ${describeOp(op)}: ${message}`);
      for (const n of op.networks) {
        const o = outcomeFor(outcomes, n);
        o.failed = true;
        o.errors.push({ severity: 'error', code: 'kernel', network: n, object: opLink(op), message: `${describeOp(op)}: ${message}` });
        if (existedAtStart.has(n)) refusedFrozen.add(n);
        else rolledBack.add(n);
      }
    }
    observed = await kernel.observe();
  }
  for (const [name, errs] of lanErrors) outcomeFor(outcomes, name).errors.push(...errs);
  for (const [name, addrs] of lanProbing) outcomeFor(outcomes, name).probing = addrs;
  return { observed, desired, outcomes, applied, rounds, leftover };
}

/** A round's verdicts into the run's outcomes: the first round's, and the last
 *  round's (what the kernel is left with); the kernel checks' once. */
function record(outcomes: Map<string, NetworkOutcome>, verdicts: ReadonlyMap<string, Verdict>, first: boolean): void {
  for (const [name, v] of verdicts) {
    const o = outcomeFor(outcomes, name);
    if (first) o.errors.push(...v.refused);
    if (v.notes.length > 0) o.notes = v.notes;
    if (v.waitingFor !== null) o.waitingFor = v.waitingFor;
    o.errors.push(...v.errors);
    o.warnings.push(...v.warnings);
  }
}

/** What the retry after a troubled run will try: the networks the kernel refused, and what is left over. */
export function retryWhat(result: Pick<RunResult, 'outcomes' | 'leftover'>): string {
  const failed = [...result.outcomes.entries()].filter(([, o]) => o.failed);
  const parts = failed.map(([name, o]) => {
    const first = o.errors[0];
    return `${name} again${first !== undefined ? ` (last time: ${first.message})` : ''}`;
  });
  const left = result.leftover[0];
  if (left !== undefined) parts.push(`${describeOp(left)}${result.leftover.length > 1 ? ` and ${result.leftover.length - 1} more` : ''}`);
  return parts.length > 0 ? parts.join('; ') : 'the whole reconcile';
}
