// What candidate drop-ins would change (`flatnetctl plan PATH…`, the
// Manager's PlanFiles): the loop's own planning round on the config the
// candidates would make, and each network's state as the loop would then
// publish it. Pure; the daemon reads the files and the kernel.

import { FlatnetError, type Diagnostic } from '../errors.js';
import { MAX_DROPIN_BYTES } from '../config/discover.js';
import type { CandidateFile } from '../model/status.js';
import type { NetworkConfig } from '../model/config.js';
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
  /** The networks as the LAN allows them now (RoundInput.vetted). */
  vetted?: readonly NetworkConfig[];
}

/** A verdict as the outcome of a run that applied every op without a refusal. */
function outcomeOf(v: Verdict | undefined): NetworkOutcome | undefined {
  if (v === undefined) return undefined;
  return { waitingFor: v.waitingFor, errors: [...v.refused, ...v.errors], warnings: v.warnings, notes: v.notes, applied: [], failed: false };
}

export function dryRun(i: DryRunInput): DryRun {
  const round = planRound({ ...i.run, observed: i.observed, ...(i.vetted === undefined ? {} : { vetted: i.vetted }) });
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

/** What PlanFiles takes: a few drop-ins, each no larger than one the directories would read. */
const MAX_CANDIDATES = 64;

/** A candidate the directories would never read as a drop-in is refused before anything is planned with it. */
export function checkCandidates(files: readonly CandidateFile[]): void {
  if (files.length === 0) throw new FlatnetError('invalid-value', 'no candidate drop-in given');
  if (files.length > MAX_CANDIDATES) throw new FlatnetError('invalid-value', `${files.length} candidate drop-ins; at most ${MAX_CANDIDATES} at once`);
  const names = new Set<string>();
  for (const f of files) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const place = { file: f.path };
    if (!name.endsWith('.conf') || name === '.conf') throw new FlatnetError('invalid-value', 'a drop-in\'s file name ends in .conf; the directories would ignore this one', place);
    if (names.has(name)) throw new FlatnetError('duplicate', `two candidates named ${name}; one would hide the other`, place);
    names.add(name);
    if (Buffer.byteLength(f.text) > MAX_DROPIN_BYTES) throw new FlatnetError('unreadable', 'larger than 1 MiB', place);
    if (f.text.includes('\0')) throw new FlatnetError('unreadable', 'binary file (a NUL byte)', place);
  }
}
