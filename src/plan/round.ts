// Pure: one planning round. The drop-ins in force, what the kernel shows and
// what this run has learned so far (networks whose writes the kernel refused)
// → a verdict per network and the ordered ops. The reconcile loop runs it
// before every apply, Manager.Plan and PlanFiles answer with it, and the test
// driver converges with it: a dry run can only say what the loop would do if
// both plan the same way (the dry run once skipped the kernel checks and
// promised a shim the loop refused).

import type { Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import { buildDesired, type NetworksInForce, type PlannedDesired } from './desired.js';
import { planOps, type Plan } from './diff.js';
import { indexKernel, type KernelIndex } from '../model/observed-index.js';
import { checkAgainstKernel, type HostAddress } from './kernel-checks.js';

export interface RoundInput extends NetworksInForce {
  observed: Observed;
  /** Learned earlier in the same run, from the kernel's refusals; empty for a dry run. */
  refused?: Refused;
  /** The networks as the LAN allows them now (src/lan/guard.ts): the shim
   *  addresses not yet probed free, or held by another host, taken out.
   *  The kernel checks still see every address; absent = networks. */
  vetted?: readonly NetworkConfig[];
  /** checkKernel(networks, observed), when the caller needed it first (the loop asks the LAN only for networks the checks allow). */
  checked?: KernelVerdicts;
}

/** What the kernel refused earlier in a run, and what the loop decided about it. */
export interface Refused {
  /** Networks that had links before the run: left as they were. */
  frozen: readonly string[];
  /** Networks new in this run: what was made of them is taken away again. */
  rolledBack: readonly string[];
}

export interface Verdict {
  /** Why the kernel checks keep the network as it is (MTU above the parent's, …). */
  refused: Diagnostic[];
  /** Conflicts that keep (part of) the network from being configured. */
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** The parent link this network waits for, or null. */
  waitingFor: string | null;
  notes: string[];
}

export interface Round {
  /** One per network of the input, in its order. */
  verdicts: Map<string, Verdict>;
  desired: PlannedDesired;
  plan: Plan;
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

/** Checks that need the kernel (MTU above the parent's, macvlan on Wi-Fi, …): errors by network. */
function kernelChecks(networks: readonly NetworkConfig[], k: KernelIndex, observed: Observed): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  const hostAddresses = hostAddressesOf(observed);
  for (const net of networks) {
    if (net.parent === null) continue;
    const onParent = [...(hostAddresses.get(net.parent) ?? []), ...(net.vlan === null ? [] : hostAddresses.get(`${net.parent}.${net.vlan}`) ?? [])];
    const problems = checkAgainstKernel(net, k.byName.get(net.parent), onParent).filter((d) => d.severity === 'error');
    if (problems.length > 0) out.set(net.name, problems);
  }
  return out;
}

/** The kernel checks of one round: the observed kernel indexed, and the networks they refuse, with why. */
export interface KernelVerdicts {
  index: KernelIndex;
  /** The networks the checks keep as they are (their links untouched). */
  refused: Map<string, Diagnostic[]>;
}

export function checkKernel(networks: readonly NetworkConfig[], observed: Observed): KernelVerdicts {
  const index = indexKernel(observed);
  return { index, refused: kernelChecks(networks, index, observed) };
}

export function planRound(input: RoundInput): Round {
  const { observed } = input;
  const { index: k, refused: checks } = input.checked ?? checkKernel(input.networks, observed);
  const rolledBack = new Set(input.refused?.rolledBack ?? []);
  const built = buildDesired({
    networks: (input.vetted ?? input.networks).filter((n) => !rolledBack.has(n.name)),
    // A network the kernel checks refuse is left as it is: the kernel never sees the value.
    frozen: [...new Set([...input.frozen, ...checks.keys(), ...(input.refused?.frozen ?? [])])],
    down: [...input.down, ...rolledBack],
    machineId: input.machineId,
    observed,
  });
  const plan = planOps(built.desired, observed);
  const verdicts = new Map<string, Verdict>();
  const verdictOf = (name: string): Verdict => {
    let v = verdicts.get(name);
    if (v === undefined) {
      v = { refused: [], errors: [], warnings: [], waitingFor: null, notes: [] };
      verdicts.set(name, v);
    }
    return v;
  };
  for (const n of input.networks) verdictOf(n.name).refused = checks.get(n.name) ?? [];
  for (const [name, notes] of built.notes) verdictOf(name).notes = notes;
  for (const w of plan.waiting) verdictOf(w.network).waitingFor = w.parent;
  for (const c of plan.conflicts) {
    const v = verdictOf(c.network ?? '');
    (c.severity === 'error' ? v.errors : v.warnings).push(c);
  }
  // A network with nothing of its own to make (no VLAN, no shim) still waits
  // for its parent: Docker cannot use `-o parent=` before it exists.
  for (const net of input.networks) {
    const v = verdictOf(net.name);
    if (v.waitingFor === null && net.parent !== null && !k.byName.has(net.parent)) v.waitingFor = net.parent;
  }
  return { verdicts, desired: built.desired, plan };
}
