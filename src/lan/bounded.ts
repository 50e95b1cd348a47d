// One gate for every ARP question flatnetd asks (probes before use and
// announcements after): at most a fixed number of arping processes at once,
// the rest wait their turn in order. A hundred networks at boot, or a hostile
// LAN that makes every probe run its full wait, then cost a bounded number of
// processes, never a hundred at once.

import type { Arp, ProbeAnswer } from './arp.js';

/** arping processes at once (each waits about a second for an answer): a hundred addresses in two waits;
 *  what that costs and brings is in docs/benchmarks.md. */
export const ARP_PARALLEL = 64;

export class BoundedArp implements Arp {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  /** The most arping processes seen at once (tests, bench). */
  most = 0;

  constructor(private readonly inner: Arp, private readonly parallel = ARP_PARALLEL) {}

  probe(dev: string, addr: string): Promise<ProbeAnswer> {
    return this.turn(() => this.inner.probe(dev, addr));
  }

  announce(dev: string, addr: string): Promise<void> {
    return this.turn(() => this.inner.announce(dev, addr));
  }

  private async turn<T>(f: () => Promise<T>): Promise<T> {
    // A finished turn hands its slot straight to the next in line, so a
    // newcomer can never slip in between and make one too many.
    if (this.running >= this.parallel) await new Promise<void>((res) => this.queue.push(res));
    else this.running++;
    this.most = Math.max(this.most, this.running);
    try {
      return await f();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
