// What candidate drop-ins would change (`flatnetctl plan PATH…`, the
// Manager's PlanFiles): the loop's own planning round on the config the
// candidates would make, and each network's state as the loop would then
// publish it. Pure; the daemon reads the files and the kernel.

import type { Diagnostic } from '../errors.js';
import type { Observed } from '../model/observed.js';
import type { Op } from '../plan/ops.js';
import { planRound, type Verdict } from '../plan/round.js';
import type { ConfigEntry } from './config-holder.js';
import type { NetworkOutcome, RunInput } from './run.js';
import { blockedNetworks, deriveStatus, type BlockedNetwork } from './status.js';

export interface DryRun {
  operations: Op[];
  /** Networks that would not be configured, and why. */
  blocked: BlockedNetwork[];
}

export interface DryRunInput {
  /** The drop-ins as the candidates would make them (ConfigHolder.preview). */
  entries: readonly ConfigEntry[];
  run: RunInput;
  observed: Observed;
}

/** A verdict as the outcome of a run that applied every op without a refusal. */
function outcomeOf(v: Verdict | undefined): NetworkOutcome | undefined {
  if (v === undefined) return undefined;
  return { waitingFor: v.waitingFor, errors: [...v.refused, ...v.errors], warnings: v.warnings, notes: v.notes, applied: [], failed: false };
}

export function dryRun(i: DryRunInput): DryRun {
  const round = planRound({ ...i.run, observed: i.observed });
  const statuses = i.entries.map((e) => deriveStatus({
    name: e.name, file: e.file, net: e.net, configErrors: e.errors, down: i.run.down.includes(e.name),
    outcome: outcomeOf(round.verdicts.get(e.name)), observed: i.observed, prev: undefined, restoreCount: 0, nowUsec: 0n,
  }));
  return { operations: round.plan.ops, blocked: blockedNetworks(statuses) };
}

/** The diagnostics that name one of the candidate files, in the order given. */
export function candidateDiagnostics(all: readonly Diagnostic[], paths: readonly string[]): Diagnostic[] {
  const mine = new Set(paths);
  return all.filter((d) => d.file !== undefined && mine.has(d.file));
}
