// observe → plan → apply, repeated, against a FakeKernel: what the reconcile
// loop does with the same planning round (plan/round.ts), without its logging
// and bookkeeping, for tests of the planner's convergence.

import type { NetworkConfig } from '../../src/model/config.js';
import type { Observed } from '../../src/model/observed.js';
import type { PlannedDesired } from '../../src/plan/desired.js';
import type { Plan } from '../../src/plan/diff.js';
import { describeOp, type Op } from '../../src/plan/ops.js';
import { planRound, type Verdict } from '../../src/plan/round.js';
import type { FakeKernel } from './fake-kernel.js';
import { MACHINE_ID } from './scenarios.js';

export interface DriveInput {
  networks: NetworkConfig[];
  frozen?: string[];
  down?: string[];
  machineId?: string;
}

export interface Planned {
  observed: Observed;
  desired: PlannedDesired;
  notes: Map<string, string[]>;
  verdicts: Map<string, Verdict>;
  plan: Plan;
}

export async function planNow(k: FakeKernel, input: DriveInput): Promise<Planned> {
  const observed = await k.observe();
  // The loop's own planning round (plan/round.ts), kernel checks included.
  const { desired, plan, verdicts } = planRound({
    networks: input.networks,
    frozen: input.frozen ?? [],
    down: input.down ?? [],
    machineId: input.machineId ?? MACHINE_ID,
    observed,
  });
  const notes = new Map([...verdicts].filter(([, v]) => v.notes.length > 0).map(([name, v]) => [name, v.notes]));
  return { observed, desired, notes, verdicts, plan };
}

export interface DriveResult extends Planned {
  /** Rounds that applied something. */
  rounds: number;
  /** Every op applied, per round. */
  history: Op[][];
  failures: string[];
}

export class NoConvergence extends Error {
  override readonly name = 'NoConvergence';
}

/** Until the plan is empty; throws (with the kernel's state and the last
 *  plan) when it still is not after `maxRounds` applies. */
export async function converge(k: FakeKernel, input: DriveInput, maxRounds = 3): Promise<DriveResult> {
  const history: Op[][] = [];
  const failures: string[] = [];
  for (let round = 0; ; round++) {
    const now = await planNow(k, input);
    if (now.plan.ops.length === 0) return { ...now, rounds: round, history, failures };
    if (round === maxRounds) {
      throw new NoConvergence(`still planning after ${maxRounds} rounds:\n${now.plan.ops.map((o) => `  ${describeOp(o)}`).join('\n')}\n`
        + `history:\n${history.map((h, i) => `  round ${i + 1}:\n${h.map((o) => `    ${describeOp(o)}`).join('\n')}`).join('\n')}\n`
        + `failures: ${failures.join('; ')}\nkernel:\n${k.dump()}`);
    }
    const result = await k.apply(now.plan.ops);
    history.push(now.plan.ops.slice(0, result.applied));
    if (result.failed !== undefined) failures.push(`${describeOp(result.failed.op)}: ${result.failed.message}`);
  }
}
