// flatnetctl, docker and systemd as the guest's checks use them.

import { readFileSync } from 'node:fs';
import { must, run, sleepMs, unitProp, type Run } from './lib.js';

export function cmdline(key: string): string | undefined {
  const w = readFileSync('/proc/cmdline', 'utf8').split(/\s+/).find((x) => x.startsWith(`${key}=`));
  return w?.slice(key.length + 1);
}

export function ctl(...args: string[]): Run {
  return run(['flatnetctl', ...args], { timeoutMs: 60_000 });
}

export function ctlJson<T>(...args: string[]): T {
  const out = must(['flatnetctl', ...args], { timeoutMs: 60_000 });
  try {
    return JSON.parse(out) as T;
  } catch {
    throw new Error(`flatnetctl ${args.join(' ')}: not JSON: ${out.slice(0, 400)}`);
  }
}

/** The fields of `flatnetctl list --json` the checks read. */
export interface NetStatus {
  Name: string;
  State: string;
  Parent: string;
  ParentIfIndex: number | string;
  Shim: string;
  ShimIfIndex: number | string;
  Carrier: boolean;
  LastError: string;
  RestoreCount: number | string;
}

export function netStatuses(): NetStatus[] {
  return ctlJson<NetStatus[]>('list', '--json');
}

export function statesLine(list: readonly NetStatus[]): string {
  return list.map((n) => `${n.Name}=${n.State}${n.LastError ? ` (${n.LastError})` : ''}`).join(' ');
}

export function restoreCounts(list: readonly NetStatus[]): string {
  return list.map((n) => `${n.Name}:${String(n.RestoreCount)}`).join(' ');
}

/** One property of a network object, as busctl prints it (`b true`, `s "configured"`): cheaper than flatnetctl under emulation. */
export function netProp(name: string, prop: string): string {
  return run(['busctl', '--system', 'get-property', 'org.flatnet.flatnet1', `/org/flatnet/flatnet1/network/${name}`, 'org.flatnet.flatnet1.Network', prop]).stdout.trim();
}

// --- docker ------------------------------------------------------------------------

export function docker(...args: string[]): Run {
  return run(['docker', ...args], { timeoutMs: 120_000 });
}

export function containerIp(name: string): string {
  return must(['docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name]).trim();
}

/** true when `ping` gets an answer (3 tries, 2 s each at most). */
export function pings(ip: string, ns?: string): Run {
  const argv = ['ping', '-n', '-c', '3', '-i', '0.3', '-W', '2', ip];
  return run(ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv], { timeoutMs: 20_000 });
}

/** One line of what ping said, for a failure message. */
export function pingSays(r: Run): string {
  return `${r.argv}: exit ${r.code}; ${(r.stdout + r.stderr).split('\n').filter((l) => /transmitted|unreachable|Unreachable|error|not/.test(l)).join(' | ').trim()}`;
}

// --- systemd -----------------------------------------------------------------------

export function monotonicS(unit: string, prop: string): number {
  return Number(unitProp(unit, prop)) / 1e6;
}

/** Waits for a unit to be active again after a restart, with a main PID other than `oldPid`. */
export function waitRestarted(unit: string, oldPid: string, timeoutMs: number): string {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const state = unitProp(unit, 'ActiveState');
    const pid = unitProp(unit, 'MainPID');
    if (state === 'active' && pid !== '0' && pid !== oldPid) return pid;
    if (Date.now() > end) throw new Error(`${unit}: not active again within ${timeoutMs / 1000}s (ActiveState=${state}, MainPID=${pid}, NRestarts=${unitProp(unit, 'NRestarts')})`);
    sleepMs(300);
  }
}
