// An Arp that answers like arping does on a LAN the test describes: who holds
// which address (a MAC), which links cannot send, and a record of every probe
// and announcement, so tests script the LAN and read what flatnetd asked.

import type { Arp, ProbeAnswer } from '../../src/lan/arp.js';

export class FakeArp implements Arp {
  /** address → MAC of the host that answers for it. */
  readonly holders = new Map<string, string>();
  /** Links a probe cannot go out of (down, no such device). */
  readonly broken = new Set<string>();
  readonly probes: { dev: string; addr: string }[] = [];
  readonly announcements: { dev: string; addr: string }[] = [];
  /** While set, probes wait for it: the LAN's answer is late (a probe's wait). */
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;
  /** Probes waiting for their answer now, and the most at once. */
  inFlight = 0;
  most = 0;

  /** Answers wait until release(). */
  hold(): void {
    this.gate = new Promise((res) => { this.open = res; });
  }

  release(): void {
    this.gate = null;
    this.open();
  }

  async probe(dev: string, addr: string): Promise<ProbeAnswer> {
    this.probes.push({ dev, addr });
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    try {
      await Promise.resolve();
      if (this.gate !== null) await this.gate;
    } finally {
      this.inFlight--;
    }
    if (this.broken.has(dev)) return { kind: 'error', message: `arping exit 2: Interface "${dev}" is down` };
    const mac = this.holders.get(addr);
    return mac === undefined ? { kind: 'free' } : { kind: 'held', mac };
  }

  async announce(dev: string, addr: string): Promise<void> {
    this.announcements.push({ dev, addr });
    await Promise.resolve();
  }
}
