// One reconcile: observe → desired → plan → apply, repeated until the plan is
// empty or the round bound is hit. Every trigger (boot, kernel event, drop-in
// edit, D-Bus call) runs exactly this; it is level-triggered and idempotent, so
// a run with nothing to do observes and writes nothing.

import type { Diagnostic } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { NetworkConfig } from '../model/config.js';
import type { Desired } from '../model/desired.js';
import type { Observed } from '../model/observed.js';
import { aliasNetworks } from '../model/ownership.js';
import { checkAgainstKernel, type HostAddress } from '../config/kernel-checks.js';
import { buildDesired } from '../plan/desired.js';
import { planOps } from '../plan/diff.js';
import { indexKernel } from '../plan/fate.js';
import { describeOp, opLink, type Op } from '../plan/ops.js';
import type { Logger } from '../log.js';

export interface RunInput {
  /** Networks to make true: valid drop-ins plus the last good version of invalid ones. */
  networks: NetworkConfig[];
  /** Networks whose owned links are left exactly as they are. */
  frozen: string[];
  /** Networks taken down on request: their owned links are removed. */
  down: string[];
  machineId: string;
}

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

/** What the kernel says when an op names a link that vanished after we looked. */
const STALE_VIEW_RE = /Cannot find device|No such device/;

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

/** Addresses by link name. Only parents and VLAN links are looked up in it,
 *  never a shim (validate.ts keeps their names apart). */
function hostAddressesOf(observed: Observed): Map<string, HostAddress[]> {
  const names = new Map<number, string>();
  for (const l of observed.links) names.set(l.ifindex, l.name);
  const out = new Map<string, HostAddress[]>();
  for (const a of observed.addresses) {
    const link = names.get(a.ifindex);
    if (link === undefined) continue;
    const list = out.get(link);
    if (list === undefined) out.set(link, [{ link, cidr: a.cidr }]);
    else list.push({ link, cidr: a.cidr });
  }
  return out;
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
  const frozen = new Set(input.frozen);
  // Networks dropped from desired for this run: new networks whose creation the
  // kernel refused, so what was made of them is rolled back (never half-applied).
  const rolledBack = new Set<string>();
  const applied: Op[] = [];
  const staleRetried = new Set<string>();
  let observed = await kernel.observe({ fresh: opts.fresh ?? true });
  const existedAtStart = networksWithLinks(observed);

  // Checks that need the kernel (MTU above the parent's, macvlan on Wi-Fi) keep
  // the kernel from ever seeing a value it would reject.
  const hostAddresses = hostAddressesOf(observed);
  for (const net of input.networks) {
    if (net.parent === null) continue;
    const lower = indexKernel(observed).byName.get(net.parent);
    const onParent = [...(hostAddresses.get(net.parent) ?? []), ...(net.vlan === null ? [] : hostAddresses.get(`${net.parent}.${net.vlan}`) ?? [])];
    const problems = checkAgainstKernel(net, lower, onParent).filter((d) => d.severity === 'error');
    if (problems.length > 0) {
      outcomeFor(outcomes, net.name).errors.push(...problems);
      frozen.add(net.name);
    }
  }

  let rounds = 0;
  let leftover: Op[] = [];
  let desired: Desired = { links: [], frozen: [] };
  let lanErrors = new Map<string, Diagnostic[]>();
  let lanProbing = new Map<string, string[]>();
  for (;;) {
    rounds++;
    let live = input.networks.filter((n) => !rolledBack.has(n.name));
    if (opts.vet !== undefined) {
      const skip = new Set([...input.down, ...frozen]);
      const vetted = await opts.vet(live.filter((n) => !skip.has(n.name)), observed);
      const byName = new Map(vetted.networks.map((n) => [n.name, n] as const));
      live = live.map((n) => byName.get(n.name) ?? n);
      lanErrors = vetted.errors;
      lanProbing = vetted.probing;
    }
    const built = buildDesired({
      networks: live,
      frozen: [...frozen],
      down: [...input.down, ...rolledBack],
      machineId: input.machineId,
      observed,
    });
    desired = built.desired;
    const plan = planOps(desired, observed);
    if (rounds === 1 || plan.ops.length === 0) {
      for (const [name, notes] of built.notes) outcomeFor(outcomes, name).notes = notes;
      for (const w of plan.waiting) outcomeFor(outcomes, w.network).waitingFor = w.parent;
      for (const c of plan.conflicts) {
        const o = outcomeFor(outcomes, c.network ?? '');
        (c.severity === 'error' ? o.errors : o.warnings).push(c);
      }
    }
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
      log.debug(describeOp(op)); // one summary line per network is logged by the daemon
      for (const n of op.networks) outcomeFor(outcomes, n).applied.push(op);
    }
    if (result.failed !== undefined) {
      const { op, message } = result.failed;
      // An observation is several dumps, not one snapshot: a link deleted between
      // them yields a plan for a link that is gone ("Cannot find device"). That
      // is a stale view, not a refusal: look again once before calling it one.
      const raced = STALE_VIEW_RE.test(message) && op.networks.every((n) => !staleRetried.has(n));
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
        if (existedAtStart.has(n)) frozen.add(n);
        else rolledBack.add(n);
      }
    }
    observed = await kernel.observe();
  }
  for (const [name, errs] of lanErrors) outcomeFor(outcomes, name).errors.push(...errs);
  for (const [name, addrs] of lanProbing) outcomeFor(outcomes, name).probing = addrs;
  // A network with nothing of its own to make (no VLAN, no shim) still waits
  // for its parent: Docker cannot use `-o parent=` before it exists.
  for (const net of input.networks) {
    const o = outcomeFor(outcomes, net.name);
    if (o.waitingFor === null && net.parent !== null && !indexKernel(observed).byName.has(net.parent)) o.waitingFor = net.parent;
  }
  return { observed, desired, outcomes, applied, rounds, leftover };
}

