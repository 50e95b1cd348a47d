// What must hold for any drop-in set whatever its contents: the parser and
// validator never throw and never take long, every diagnostic names its file
// (and its line and Key=value when a line is involved), and everything the
// validator accepts can be written to ip -batch and is accepted by a kernel
// (the fake one, which refuses what Linux refuses).

import { formatDiagnostic, type Diagnostic } from '../../src/errors.js';
import { buildConfigSet, type ConfigSet } from '../../src/config/load.js';
import { networkFromUnit } from '../../src/config/network.js';
import { parseUnitFile } from '../../src/config/unitfile.js';
import { IFNAMSIZ_MAX, networkNameProblem } from '../../src/config/keys.js';
import { renderBatch } from '../../src/kernel/render.js';
import { reconcileOnce } from '../../src/reconcile/run.js';
import { describeOp } from '../../src/plan/ops.js';
import { silentLogger } from '../../src/log.js';
import { FakeKernel } from '../fake/fake-kernel.js';

export interface DropIn { path: string; text: string }

export interface Measured {
  set: ConfigSet;
  /** The longest of: one file through parseUnitFile + networkFromUnit, the set through buildConfigSet
   *  (ms of this process's CPU time, so that the other test files the unit tier runs beside this one,
   *  and whatever else the machine is doing, do not count as the parser's). */
  ms: number;
}

/** CPU time this process has used, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Diagnostics that concern a whole file (or a defaulted key), never one line. */
const FILE_LEVEL: readonly RegExp[] = [
  /^the file name gives the network name /,
  /^no \[Network\] section$/,
  /^the shim cannot have the name of its parent \(the default shim name\)/,
];

const byteLength = (s: string): number => new TextEncoder().encode(s).length;

const lineCounts = new WeakMap<DropIn, number>();
function physicalLines(f: DropIn): number {
  let n = lineCounts.get(f);
  if (n === undefined) {
    n = 1;
    for (let i = f.text.indexOf('\n'); i >= 0; i = f.text.indexOf('\n', i + 1)) n++;
    lineCounts.set(f, n);
  }
  return n;
}

export class InvariantError extends Error {
  constructor(message: string, readonly files: readonly DropIn[]) {
    super(`${message}\n--- input ---\n${JSON.stringify(files, null, 1).slice(0, 4000)}`);
    this.name = 'InvariantError';
  }
}

function checkDiagnostic(d: Diagnostic, files: readonly DropIn[]): string | null {
  const shown = formatDiagnostic(d);
  if (d.message === '' || /\bundefined\b|\bNaN\b|\[object Object\]/.test(d.message)) return `bad message: ${shown}`;
  if (d.file === undefined) return `no file named: ${shown}`;
  const file = files.find((f) => f.path === d.file);
  if (file === undefined) return `names a file that was not given: ${shown}`;
  if (d.line !== undefined) {
    if (!Number.isInteger(d.line) || d.line < 1 || d.line > physicalLines(file)) return `line ${d.line} out of range: ${shown}`;
    if (!shown.startsWith(`${d.file}:${d.line}: `)) return `does not start with path:line: ${shown}`;
  } else {
    if (d.code === 'syntax' || d.code === 'unknown-key') return `a line-level diagnostic without its line: ${shown}`;
    // A key the user wrote always comes with its line; only defaulted keys
    // (Driver=macvlan when nothing says so) and whole-file problems have none.
    const defaulted = d.key !== undefined && !new RegExp(`^\\s*${d.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`, 'm').test(file.text);
    if (d.key === undefined && !FILE_LEVEL.some((re) => re.test(d.message))) return `neither a line nor a file-level problem: ${shown}`;
    if (d.key !== undefined && !defaulted && d.code !== 'duplicate') return `a written key without its line: ${shown}`;
    if (!shown.startsWith(`${d.file}: `)) return `does not start with path: ${shown}`;
  }
  if (d.key !== undefined && !shown.includes(`${d.key}=`)) return `key not shown as Key=value: ${shown}`;
  return null;
}

/** Parse and validate; checks every invariant of the config layer. */
export function checkConfigSet(files: readonly DropIn[]): Measured {
  // The per-file entry points alone too, as the unit tests call them; each
  // input is timed on its own (the loader's buildConfigSet is what the daemon runs).
  let ms = 0;
  for (const f of files) {
    const t = cpuMs();
    networkFromUnit(f.path, parseUnitFile(f.path, f.text).sections);
    ms = Math.max(ms, cpuMs() - t);
  }
  const t0 = cpuMs();
  const set = buildConfigSet(files);
  ms = Math.max(ms, cpuMs() - t0);

  for (const d of set.diagnostics) {
    const problem = checkDiagnostic(d, files);
    if (problem !== null) throw new InvariantError(problem, files);
  }
  const names = new Set<string>();
  const shims = new Set<string>();
  for (const n of set.networks) {
    const where = `network ${n.name} (${n.file})`;
    if (networkNameProblem(n.name) !== null) throw new InvariantError(`${where}: accepted with an invalid name`, files);
    if (names.has(n.name)) throw new InvariantError(`${where}: two valid networks of one name`, files);
    names.add(n.name);
    if (n.vlan !== null && !(n.vlan >= 1 && n.vlan <= 4094)) throw new InvariantError(`${where}: VLAN ${n.vlan} accepted`, files);
    if (n.mtu !== null && !(n.mtu >= 68 && n.mtu <= 65535)) throw new InvariantError(`${where}: MTU ${n.mtu} accepted`, files);
    for (const link of [n.parent, n.shim?.name, n.parent !== null && n.vlan !== null ? `${n.parent}.${n.vlan}` : null]) {
      if (link !== null && link !== undefined && (byteLength(link) > IFNAMSIZ_MAX || link === '')) {
        throw new InvariantError(`${where}: interface name "${link}" accepted`, files);
      }
    }
    if (n.shim !== null) {
      if (shims.has(n.shim.name)) throw new InvariantError(`${where}: shim ${n.shim.name} claimed twice`, files);
      shims.add(n.shim.name);
    }
  }
  for (const inv of set.invalid) {
    if (!files.some((f) => f.path === inv.file)) throw new InvariantError(`invalid entry for a file not given: ${inv.file}`, files);
  }
  return { set, ms };
}

export interface KernelCheck {
  /** Ops the fake kernel was asked for. */
  ops: number;
  /** Refusals of a known, reported, unfixed kind (see KNOWN_GAPS), by kind. */
  known: string[];
}

/**
 * Validation gaps found by this suite and reported, not fixed (each has a
 * `todo` test in kernel-reject.test.ts). A refusal of one of these kinds is
 * counted, not failed, so the fuzzer keeps looking for new kinds.
 */
export const KNOWN_GAPS = {
  /** An interface name with `#`, a quote or `\\`: valid to the kernel and the validator, but ip -batch cannot carry it. */
  unwritableName: 'an interface name ip -batch cannot carry',
} as const;

/**
 * Everything accepted, applied to a fake host that has every parent named:
 * no op that ip -batch could not carry, no op the kernel refuses, convergence.
 */
export async function checkAgainstFakeKernel(set: ConfigSet, files: readonly DropIn[], parentMtu = 1500): Promise<KernelCheck> {
  if (set.networks.length === 0) return { ops: 0, known: [] };
  const kernel = new FakeKernel();
  for (const p of new Set(set.networks.flatMap((n) => (n.parent === null ? [] : [n.parent])))) if (kernel.link(p) === undefined) kernel.addNic(p, { mtu: parentMtu });
  const r = await reconcileOnce(kernel, { networks: set.networks, frozen: [], down: [], machineId: '0123456789abcdef0123456789abcdef' }, silentLogger);
  const known: string[] = [];
  const batch = renderBatch(r.applied);
  const unwritable = (set.networks.some((n) => [n.parent, n.shim?.name].some((x) => x !== null && x !== undefined && /[#"'\\]/.test(x))));
  if (unwritable && batch.rejected !== undefined) known.push(KNOWN_GAPS.unwritableName);
  if (batch.rejected !== undefined && !unwritable) {
    const op = r.applied[batch.rejected.index];
    throw new InvariantError(`accepted, but ip -batch cannot carry "${op === undefined ? '?' : describeOp(op)}": ${batch.rejected.message}`, files);
  }
  for (const [name, o] of r.outcomes) {
    const refused = o.errors.filter((d) => d.code === 'kernel');
    if (unwritable && refused.every((d) => /cannot be written to ip -batch|contains a blank, '\/', ':', '#', a quote/.test(d.message))) continue;
    if (refused.length > 0) throw new InvariantError(`network ${name} accepted, but the kernel refused: ${refused.map(formatDiagnostic).join('; ')}`, files);
  }
  if (r.leftover.length > 0 && known.length === 0) throw new InvariantError(`did not converge: ${r.leftover.map(describeOp).join('; ')}`, files);
  return { ops: r.applied.length, known };
}
