// The address guard: asks the LAN before a shim's IPv4 address is first
// assigned, withholds an address another host answers for, and announces one
// once it is on the shim. It remembers what it learnt, so runs started by
// kernel events (or a flood of ARP on the LAN) never ask again and an address
// never flaps; a held address is asked about again only in a run someone asked
// for (flatnetctl reconcile, a reload, up) — there is no periodic polling.

import type { Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import type { Logger } from '../log.js';
import type { Arp } from './arp.js';
import type { RaPolicy } from './ra.js';
import { claimsOf, dadDiagnostic, dadFailures, heldDiagnostic, withhold, type Claim } from './claims.js';

const ANNOUNCE_PARALLEL = 4;

type Learnt = { kind: 'ours' } | { kind: 'held'; mac: string };

export interface Vetted {
  /** The networks to make true this round: held and not-yet-asked addresses taken out. */
  networks: NetworkConfig[];
  /** Per network: the addresses other hosts hold. */
  errors: Map<string, Diagnostic[]>;
}

export class AddressGuard {
  private readonly learnt = new Map<string, Learnt>();
  /** Claims that probed free and are to be announced once seen on the shim. */
  private readonly toAnnounce = new Set<string>();
  /** Claims asked about in the current run (a run asks each at most once). */
  private askedThisRun = new Set<string>();
  private reprobe = false;
  /** Announcements in flight (tests and stop() may wait for them). */
  private inFlight = new Set<Promise<void>>();
  private announceQueue: Claim[] = [];
  /** Probes sent so far (for tests, bench and Describe). */
  probes = 0;

  /** `arp` null: IPv4 addresses are assigned unasked (--no-arp-probe); IPv6 DAD and RAs are still minded. */
  constructor(private readonly arp: Arp | null, private readonly log: Logger, private readonly ra?: RaPolicy) {}

  /** A new run: `reprobe` when someone asked for it (not a kernel event). */
  beginRun(reprobe: boolean): void {
    this.reprobe = reprobe;
    this.askedThisRun = new Set();
  }

  async vet(networks: readonly NetworkConfig[], observed: Observed): Promise<Vetted> {
    await this.ra?.apply(networks, observed);
    const claims = this.arp === null ? [] : claimsOf(networks, observed);
    this.forgetGone(claims);
    const ask: Claim[] = [];
    for (const c of claims) {
      if (c.assigned) {
        // Newly ours (probed free, or found on the shim: a restart, a MAC
        // changed in place): neighbours' caches are told the shim's MAC.
        const known = this.learnt.get(c.key)?.kind === 'ours';
        this.learnt.set(c.key, { kind: 'ours' });
        if (this.toAnnounce.delete(c.key) || !known) this.announce(c);
        continue;
      }
      const l = this.learnt.get(c.key);
      if (l?.kind === 'ours' || this.askedThisRun.has(c.key)) continue;
      if (l?.kind === 'held' && !this.reprobe) continue;
      if (c.parentExists) ask.push(c);
    }
    await Promise.all(ask.map((c) => this.ask(c)));
    const byName = new Map(networks.map((n) => [n.name, n] as const));
    const withheld = new Map<string, Set<string>>();
    const errors = new Map<string, Diagnostic[]>();
    for (const c of claims) {
      if (c.assigned) continue;
      const l = this.learnt.get(c.key);
      if (l?.kind === 'ours') continue;
      // Not asked yet (the parent is still to be made) or held: not assigned.
      const set = withheld.get(c.network) ?? new Set<string>();
      set.add(c.cidr);
      withheld.set(c.network, set);
      if (l?.kind === 'held') {
        const list = errors.get(c.network) ?? [];
        list.push(heldDiagnostic(byName.get(c.network), c, l.mac));
        errors.set(c.network, list);
      }
    }
    this.vetDad(networks, observed, byName, withheld, errors);
    return { networks: withhold(networks, withheld), errors };
  }

  /** IPv6 is the kernel's own business (RFC 4862 DAD); its verdict is reported
   *  like a held IPv4 address. In a run someone asked for, a failed address
   *  is taken off for one round and put back, so the kernel asks again. */
  private vetDad(networks: readonly NetworkConfig[], observed: Observed, byName: ReadonlyMap<string, NetworkConfig>,
    withheld: Map<string, Set<string>>, errors: Map<string, Diagnostic[]>): void {
    for (const f of dadFailures(networks, observed)) {
      const key = `dad\0${f.network}\0${f.shim}\0${f.cidr}`;
      if (this.reprobe && !this.askedThisRun.has(key)) {
        this.askedThisRun.add(key);
        const set = withheld.get(f.network) ?? new Set<string>();
        set.add(f.cidr);
        withheld.set(f.network, set);
        this.log.info(`${f.network}: ${f.addr} failed duplicate address detection on ${f.shim}; adding it again so the kernel asks again`);
        continue;
      }
      const list = errors.get(f.network) ?? [];
      list.push(dadDiagnostic(byName.get(f.network), f));
      errors.set(f.network, list);
    }
  }

  /** Resolves when every announcement sent so far is done. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async ask(c: Claim): Promise<void> {
    this.askedThisRun.add(c.key);
    this.probes++;
    const was = this.learnt.get(c.key);
    if (this.arp === null) return;
    const a = await this.arp.probe(c.parent, c.addr);
    if (a.kind === 'held') {
      // The network's state line says so (with the drop-in's place); this is the detail.
      if (was?.kind !== 'held' || was.mac !== a.mac) this.log.debug(`${c.network}: ${c.addr} is in use on the LAN by ${a.mac} (answered an ARP probe on ${c.parent}); not assigning it to ${c.shim}`);
      this.learnt.set(c.key, { kind: 'held', mac: a.mac });
      return;
    }
    if (a.kind === 'error') {
      // Nobody can answer on a link that cannot send; the address is taken as
      // free rather than kept off a LAN that may simply be unplugged now.
      this.log.warning(`${c.network}: could not probe ${c.addr} on ${c.parent} (${a.message}); assigning it unprobed`);
    } else if (was?.kind === 'held') {
      this.log.notice(`${c.network}: ${c.addr} is free on the LAN again; assigning it to ${c.shim}`);
    }
    this.learnt.set(c.key, { kind: 'ours' });
    this.toAnnounce.add(c.key);
  }

  /** Announcements wait their turn, a few at a time, after the run that
   *  assigned them: spawning a hundred arping at once held a boot's READY=1
   *  back by seconds on a loaded machine (bench, N=100). */
  private announce(c: Claim): void {
    this.announceQueue.push(c);
    this.pumpAnnouncements();
  }

  private pumpAnnouncements(): void {
    const arp = this.arp;
    if (arp === null) return;
    while (this.inFlight.size < ANNOUNCE_PARALLEL && this.announceQueue.length > 0) {
      const c = this.announceQueue.shift();
      if (c === undefined) break;
      const p: Promise<void> = new Promise<void>((res) => setImmediate(res))
        .then(() => arp.announce(c.shim, c.addr))
        .catch(() => undefined)
        .finally(() => { this.inFlight.delete(p); this.pumpAnnouncements(); });
      this.inFlight.add(p);
      this.log.debug(`${c.network}: announcing ${c.addr} on ${c.shim} (gratuitous ARP)`);
    }
  }

  private forgetGone(claims: readonly Claim[]): void {
    const live = new Set(claims.map((c) => c.key));
    for (const k of this.learnt.keys()) if (!live.has(k)) this.learnt.delete(k);
    for (const k of this.toAnnounce) if (!live.has(k)) this.toAnnounce.delete(k);
  }
}
