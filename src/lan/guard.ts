// The address guard: asks the LAN before a shim's IPv4 address is first
// assigned, withholds an address another host answers for, and announces one
// once it is on the shim. It never makes a run wait for an answer: a run
// starts the probes it needs and goes on with those addresses left out (the
// network is `probing`), so parent, shim and routes are made and READY=1 is
// sent at once; when an answer comes, the daemon is told to look again and
// the next run assigns a free address. It remembers what it learnt, so runs
// started by kernel events (or a flood of ARP on the LAN) never ask again and
// an address never flaps; a held address is asked about again only in a run
// someone asked for (flatnetctl reconcile, a reload, up): no periodic polling.

import type { Diagnostic } from '../errors.js';
import type { NetworkConfig } from '../model/config.js';
import type { Observed } from '../model/observed.js';
import type { Logger } from '../log.js';
import type { Arp, ProbeAnswer } from './arp.js';
import type { RaPolicy } from './ra.js';
import { claimsOf, dadDiagnostic, dadFailures, heldDiagnostic, withhold, type Claim } from './claims.js';

type Learnt = { kind: 'ours' } | { kind: 'held'; mac: string };

export interface Vetted {
  /** The networks to make true this round: held and not-yet-answered addresses taken out. */
  networks: NetworkConfig[];
  /** Per network: the addresses other hosts hold. */
  errors: Map<string, Diagnostic[]>;
  /** Per network: the addresses whose probe has not answered yet. */
  probing: Map<string, string[]>;
}

export class AddressGuard {
  private readonly learnt = new Map<string, Learnt>();
  /** Claims that probed free and are to be announced once seen on the shim. */
  private readonly toAnnounce = new Set<string>();
  /** Claims asked about in the current run (a run asks each at most once). */
  private askedThisRun = new Set<string>();
  private reprobe = false;
  /** Probes and announcements in flight, by claim key for probes. */
  private readonly probing = new Map<string, Promise<void>>();
  private readonly announcing = new Set<Promise<void>>();
  private answered: () => void = () => undefined;
  /** Probes asked for in the current run, started by launch(). */
  private readonly queued: (() => void)[] = [];
  /** Probes sent so far (for tests, bench and Describe). */
  probes = 0;

  /** `arp` null: IPv4 addresses are assigned unasked (--no-arp-probe); IPv6 DAD and RAs are still minded.
   *  Give it a bounded Arp (bounded.ts): the guard starts every probe a run needs at once. */
  constructor(private readonly arp: Arp | null, private readonly log: Logger, private readonly ra?: RaPolicy) {}

  /** Called (once per probe) when a probe has answered: the daemon looks again. */
  onAnswer(f: () => void): void {
    this.answered = f;
  }

  /** A new run: `reprobe` when someone asked for it (not a kernel event). */
  beginRun(reprobe: boolean): void {
    this.reprobe = reprobe;
    this.askedThisRun = new Set();
  }

  /** Whether any probe is waiting for its answer. */
  get pending(): boolean {
    return this.probing.size > 0;
  }

  async vet(networks: readonly NetworkConfig[], observed: Observed): Promise<Vetted> {
    await this.ra?.apply(networks, observed);
    const claims = this.arp === null ? [] : claimsOf(networks, observed);
    this.forgetGone(claims);
    for (const c of claims) {
      if (c.assigned) {
        // On the shim: ours. Announced when we probed it free (a MAC changed
        // in place is announced by the kernel backend, src/kernel/announce.ts).
        this.learnt.set(c.key, { kind: 'ours' });
        if (this.toAnnounce.delete(c.key)) this.announce(c);
        continue;
      }
      const l = this.learnt.get(c.key);
      if (l?.kind === 'ours' || this.probing.has(c.key) || this.askedThisRun.has(c.key)) continue;
      if (l?.kind === 'held' && !this.reprobe) continue;
      if (c.parentExists) this.ask(c);
    }
    const byName = new Map(networks.map((n) => [n.name, n] as const));
    const withheld = new Map<string, Set<string>>();
    const errors = new Map<string, Diagnostic[]>();
    const probing = new Map<string, string[]>();
    for (const c of claims) {
      if (c.assigned) continue;
      const l = this.learnt.get(c.key);
      if (l?.kind === 'ours') continue;
      // Not asked yet (the parent is still to be made), asked, or held: not assigned.
      add(withheld, c.network, c.cidr);
      // Held stays held while it is asked about again: the state changes only with the answer, never flaps.
      if (l?.kind === 'held') addList(errors, c.network, heldDiagnostic(byName.get(c.network), c, l.mac));
      else if (this.probing.has(c.key)) addList(probing, c.network, c.addr);
    }
    this.vetDad(networks, observed, byName, withheld, errors);
    return { networks: withhold(networks, withheld), errors, probing };
  }

  /** The networks with what the LAN has said so far: an IPv4 address another
   *  host holds, or whose probe has not answered yet, taken out. An address
   *  never asked about stays in (a dry run of an edit shows it; the loop
   *  assigns it once the probe comes back clean). Nothing is asked and
   *  nothing written: Manager.Plan's and PlanFiles' view. */
  preview(networks: readonly NetworkConfig[], observed: Observed): NetworkConfig[] {
    if (this.arp === null) return [...networks];
    const withheld = new Map<string, Set<string>>();
    for (const c of claimsOf(networks, observed)) {
      if (c.assigned) continue;
      if (this.learnt.get(c.key)?.kind === 'held' || this.probing.has(c.key)) add(withheld, c.network, c.cidr);
    }
    return withhold(networks, withheld);
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
        add(withheld, f.network, f.cidr);
        this.log.info(`${f.network}: ${f.addr} failed duplicate address detection on ${f.shim}; adding it again so the kernel asks again`);
        continue;
      }
      addList(errors, f.network, dadDiagnostic(byName.get(f.network), f));
    }
  }

  /** Resolves when every probe and announcement asked for so far is done. */
  async settled(): Promise<void> {
    this.launch();
    while (this.probing.size > 0 || this.announcing.size > 0) await Promise.all([...this.probing.values(), ...this.announcing]);
  }

  /** Queues a probe; launch() starts it once the run is over. */
  private ask(c: Claim): void {
    const arp = this.arp;
    if (arp === null) return;
    this.askedThisRun.add(c.key);
    this.probes++;
    const was = this.learnt.get(c.key);
    let go: () => void = () => undefined;
    const started = new Promise<void>((res) => { go = res; });
    const p = started
      .then(() => arp.probe(c.parent, c.addr))
      .then((a) => this.learn(c, was, a), (e: unknown) => this.learn(c, was, { kind: 'error', message: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        this.probing.delete(c.key);
        this.answered();
      });
    this.probing.set(c.key, p);
    this.queued.push(go);
  }

  /** Starts the probes the last run asked for. Called by the daemon after the
   *  run (and READY=1): forking arping in the middle of the first reconcile
   *  held its ip batch back, on a loaded machine by tens of milliseconds. */
  launch(): void {
    for (const go of this.queued.splice(0)) go();
  }

  private learn(c: Claim, was: Learnt | undefined, a: ProbeAnswer): void {
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

  private announce(c: Claim): void {
    const arp = this.arp;
    if (arp === null) return;
    this.log.debug(`${c.network}: announcing ${c.addr} on ${c.shim} (gratuitous ARP)`);
    const p: Promise<void> = arp.announce(c.shim, c.addr).catch(() => undefined).finally(() => this.announcing.delete(p));
    this.announcing.add(p);
  }

  private forgetGone(claims: readonly Claim[]): void {
    const live = new Set(claims.map((c) => c.key));
    for (const k of this.learnt.keys()) if (!live.has(k)) this.learnt.delete(k);
    for (const k of this.toAnnounce) if (!live.has(k)) this.toAnnounce.delete(k);
  }
}

function add(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k) ?? new Set<string>();
  s.add(v);
  m.set(k, s);
}

function addList<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k) ?? [];
  l.push(v);
  m.set(k, l);
}
