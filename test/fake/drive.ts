// observe → desired → plan → apply, repeated, against a FakeKernel: what the
// reconcile loop does, without its logging and bookkeeping, for tests of the
// planner's convergence.

import type { NetworkConfig } from '../../src/model/config.js';
import type { Observed } from '../../src/model/observed.js';
import { buildDesired, type PlannedDesired } from '../../src/plan/desired.js';
import { planOps, type Plan } from '../../src/plan/diff.js';
import { describeOp, type Op } from '../../src/plan/ops.js';
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
  plan: Plan;
}

export async function planNow(k: FakeKernel, input: DriveInput): Promise<Planned> {
  const observed = await k.observe();
  const { desired, notes } = buildDesired({
    networks: input.networks,
    frozen: input.frozen ?? [],
    down: input.down ?? [],
    machineId: input.machineId ?? MACHINE_ID,
    observed,
  });
  return { observed, desired, notes, plan: planOps(desired, observed) };
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
