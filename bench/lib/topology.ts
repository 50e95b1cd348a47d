// The bench's networks: N of them, `perParent` per veth parent, laid out
// exactly as bench/baseline.sh lays them out (network I: subnet 10.H.L.0/24,
// H = I/256 + 1, L = I%256; shim shimI with 10.H.L.192/32; route to the
// containers' range 10.H.L.192/27; parent vpP whose peer vqP is the "switch").

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ip, ipBatch } from './netns.js';
import { Monitor } from './monitor.js';
import { sleep } from './sh.js';

export interface BenchNet {
  index: number;
  /** The network's name: the drop-in's stem. */
  name: string;
  parent: string;
  peer: string;
  shim: string;
  subnet: string;
  /** The shim's address with its length, as the kernel lists it. */
  address: string;
  /** The containers' --ip-range, routed through the shim. */
  range: string;
}

export function networks(n: number, perParent = 1): BenchNet[] {
  if (n < 1 || n > 4000) throw new Error(`--n ${n}: must be 1..4000`);
  const nets: BenchNet[] = [];
  for (let i = 1; i <= n; i++) {
    const p = Math.floor((i - 1) / perParent) + 1;
    const net = `10.${Math.floor(i / 256) + 1}.${i % 256}`;
    nets.push({
      index: i,
      name: `n${String(i).padStart(4, '0')}`,
      parent: `vp${p}`,
      peer: `vq${p}`,
      shim: `shim${i}`,
      subnet: `${net}.0/24`,
      address: `${net}.192/32`,
      range: `${net}.192/27`,
    });
  }
  return nets;
}

export function parentsOf(nets: readonly BenchNet[]): { parent: string; peer: string }[] {
  const seen = new Map<string, string>();
  for (const n of nets) seen.set(n.parent, n.peer);
  return [...seen].map(([parent, peer]) => ({ parent, peer }));
}

/** veth parents, both ends up (the NICs flatnetd is given: it cannot create a veth). */
export async function createParents(ns: string, nets: readonly BenchNet[]): Promise<void> {
  const ps = parentsOf(nets);
  await ipBatch(ns, [
    ...ps.map((p) => `link add ${p.parent} type veth peer name ${p.peer}`),
    ...ps.flatMap((p) => [`link set ${p.peer} up`, `link set ${p.parent} up`]),
  ]);
}

/**
 * Waits until the namespace is quiet: no IPv6 address still tentative, then
 * no kernel event for 1.2 s (a new link's carrier and operstate reach user
 * space through linkwatch, up to a second later). Without this, a freshly
 * made parent sends its events into the middle of whatever is timed next;
 * on a real host the NICs have usually settled before the daemon starts.
 */
export async function settle(ns: string, maxMs = 10_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const r = await ip(ns, ['-6', 'address', 'show', 'tentative']);
    if (r.code === 0 && r.stdout.trim() === '') break;
    await sleep(100);
  }
  const mon = await Monitor.start(ns);
  try {
    // Longer than linkwatch's one-second batching of carrier and operstate changes.
    await mon.quiet(1200, Math.max(2000, deadline - performance.now()));
  } finally {
    mon.stop();
  }
}

/** The recipe's four steps per network as `ip -batch` lines. */
export function shimLines(nets: readonly BenchNet[]): string[] {
  return nets.flatMap((n) => [
    `link add ${n.shim} link ${n.parent} type macvlan mode bridge`,
    `address add ${n.address} dev ${n.shim}`,
    `link set ${n.shim} up`,
    `route add ${n.range} dev ${n.shim}`,
  ]);
}

/** The shims as the recipe leaves them (for a baseline namespace set up untimed). */
export async function createShims(ns: string, nets: readonly BenchNet[]): Promise<void> {
  await ipBatch(ns, shimLines(nets));
}

/** One drop-in per network, in the documented format (docs/flatnet.d.5.md). */
export function dropIn(n: BenchNet): string {
  return [
    `# flatnetd bench network ${n.index}`,
    '[Network]',
    `Parent=${n.parent}`,
    `Subnet=${n.subnet}`,
    `IPRange=${n.range}`,
    '',
    '[Shim]',
    `Name=${n.shim}`,
    `Address=${n.address}`,
    '',
  ].join('\n');
}

export function writeDropIns(dir: string, nets: readonly BenchNet[]): void {
  mkdirSync(dir, { recursive: true });
  for (const n of nets) writeFileSync(join(dir, `${n.name}.conf`), dropIn(n));
}
