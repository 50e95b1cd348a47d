// One container engine on one socket: attach when its socket appears, follow
// its event stream, keep a record of every container endpoint on the engine
// networks of our drop-ins, and re-attach the containers whose interfaces died
// with a re-made parent (reattach.ts says which). Owns the socket, so a class.
//
// Nothing here can stop flatnetd: every engine failure becomes a state, one
// journal line, and a retry with back-off.

import { formatDiagnostic, type Diagnostic } from '../errors.js';
import type { Logger } from '../log.js';
import { engineKeys, type NetworkConfig } from '../model/config.js';
import { createBody } from './create.js';
import { engineDrift } from './drift.js';
import { EngineError, type EngineClient } from './client.js';
import type { HttpStream } from './http.js';
import { deadEndpoints, missingFromParent, recordEndpoints, type EndpointRecord } from './reattach.js';
import { reconnect, type Job } from './reconnect.js';
import type { PendingStore } from './pending.js';
import type { EngineContainer, EngineEvent, EngineNetwork } from './types.js';

export type EngineState = 'absent' | 'attaching' | 'attached' | 'refused' | 'lost';

export interface EngineSessionStatus {
  socket: string;
  state: EngineState;
  /** `Docker 20.10.24+dfsg1 (API 1.41)`; '' before the first attach. */
  engine: string;
  /** Why it is not attached ('' when attached or simply absent). */
  message: string;
}

export interface NetworkReattach {
  /** Containers re-attached so far (all time, this flatnetd). */
  count: number;
  /** CLOCK_REALTIME µs of the last completed re-attach; 0 = never. */
  lastUSec: bigint;
  /** Containers still waiting to be re-attached. */
  pending: number;
  /** The last failure, with the container's name and the engine's words; '' when none. */
  lastError: string;
}

/** What a drop-in declares, for drift and create. */
export interface Declared {
  net: NetworkConfig;
  /** Subnet= or, when the network follows its parent, the parent's prefixes. */
  subnets: string[];
  /** What flatnetctl docker-args prints. */
  createArgs: string[];
}

export interface SessionDeps {
  socket: string;
  /** The drop-in of a network (null: none, or invalid with no last good version). */
  declared: (name: string) => Declared | null;
  client: EngineClient;
  log: Logger;
  /** Drop-in network names (the engine networks of the same name are followed). */
  names: () => readonly string[];
  /** Wall clock, ms. */
  now: () => number;
  onChange: () => void;
  retryMinMs?: number;
  retryMaxMs?: number;
  /**
   * The parent whose container interfaces are to be checked (its name and
   * ifindex), or null: the loop has not restored it, or Reattach=no.
   */
  liveParent?: (name: string) => { name: string; ifIndex: number } | null;
  /** The unicast MACs on a parent's list (engine/parent-macs.ts); null: cannot tell. */
  parentMacs?: (parent: string) => Promise<ReadonlySet<string> | null>;
  /** Re-attaches under way, kept across a restart (engine/pending.ts). */
  pending?: PendingStore;
}

/** The parent's unicast list at the last look, and which parent it was. */
interface ParentMacs {
  ifIndex: number;
  macs: ReadonlySet<string>;
}

interface NetState {
  records: Map<string, EndpointRecord>;
  connectedAt: Map<string, number>;
  /** When flatnetd saw the parent's new ifindex (0: no re-attach asked). */
  parentNewAtMs: number;
  jobs: Map<string, Job>;
  reattach: NetworkReattach;
  retryMs: number;
  retryTimer: NodeJS.Timeout | undefined;
  working: boolean;
  engine: EngineNetwork | null;
  /** Drift found at the last inspect (engine/drift.ts). */
  diagnostics: Diagnostic[];
  /** Diagnostics already in the journal: each is said once while it lasts. */
  said: Set<string>;
  /** A create was tried for this network (Create=yes): never again in a loop. */
  createTried: boolean;
  refreshRetryMs: number;
  refreshTimer: NodeJS.Timeout | undefined;
  /** The parent's list read with the last inspect (null: not macvlan, or unknown). */
  parentMacs: ParentMacs | null;
  /**
   * Containers re-attached because their MAC was off the parent, by the
   * parent's ifindex then: a container is re-attached once per parent, so a
   * list that never shows it (a driver's own dump) cannot loop us.
   */
  macReattached: Map<string, number>;
}

const REFRESH_MS = 50;

export class EngineSession {
  private readonly d: SessionDeps;
  private st: EngineState = 'absent';
  private engine = '';
  /** 'Docker' | 'Podman'. */
  private product = 'Docker';
  private message = '';
  private stream: HttpStream | undefined;
  private readonly nets = new Map<string, NetState>();
  private attachRetryMs: number;
  private attachTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<string>();
  private stopped = false;
  /** An attach is under way (negotiating, opening the stream, first inspects). */
  private busy = false;
  /** The last journal line about the engine's state, so each is said once. */
  private said = '';
  /** The re-attaches a killed flatnetd left half done were taken up (once, at the first attach). */
  private resumed = false;

  constructor(d: SessionDeps) {
    this.d = d;
    this.attachRetryMs = d.retryMinMs ?? 1000;
  }

  status(): EngineSessionStatus {
    return { socket: this.d.socket, state: this.st, engine: this.engine, message: this.message };
  }

  network(name: string): { reattach: NetworkReattach; engine: EngineNetwork | null; records: EndpointRecord[]; diagnostics: Diagnostic[] } {
    const n = this.net(name);
    return { reattach: { ...n.reattach, pending: n.jobs.size }, engine: n.engine, records: [...n.records.values()], diagnostics: n.diagnostics };
  }

  stop(): void {
    this.stopped = true;
    this.stream?.close();
    for (const t of [this.attachTimer, this.refreshTimer]) if (t) clearTimeout(t);
    for (const n of this.nets.values()) for (const t of [n.retryTimer, n.refreshTimer]) if (t) clearTimeout(t);
  }

  // ---- attaching -------------------------------------------------------

  /** The socket may have appeared (or flatnetd just started): attach unless attached. */
  async attach(): Promise<void> {
    if (this.stopped || this.st === 'attached' || this.busy) return;
    if (this.attachTimer) clearTimeout(this.attachTimer);
    this.attachTimer = undefined;
    this.busy = true;
    // A retry keeps showing why the last try failed (refused, lost) until one succeeds.
    if (this.st === 'absent') this.setState('attaching', '');
    try {
      const v = await this.d.client.negotiate();
      this.product = v.product.toLowerCase().includes('podman') ? 'Podman' : 'Docker';
      this.engine = `${this.product} ${v.version} (API ${this.d.client.api})`;
      // The stream first, then the inspects: nothing that happens in between is missed.
      this.stream = await this.d.client.events(this.d.now(), (e) => this.onEvent(e), (why) => this.lost(why));
      this.setState('attached', '');
      // From here a lost stream must be able to start the next attach.
      this.busy = false;
      this.attachRetryMs = this.d.retryMinMs ?? 1000;
      this.say('notice', `engine: attached to ${this.engine} at ${this.d.socket}`);
      this.resume();
      for (const name of this.d.names()) await this.refresh(name);
    } catch (e) {
      this.stream?.close();
      this.stream = undefined;
      const kind = typeof e === 'object' && e !== null && 'kind' in e ? String(e.kind) : '';
      const msg = e instanceof Error ? e.message : String(e);
      if (kind === 'missing') {
        this.setState('absent', '');
        this.say('info', `engine: no socket at ${this.d.socket}; containers are not followed until one appears`);
        return;
      }
      // A socket-activated engine still starting (docker.socket) answers late: not a refusal.
      if (kind === 'timeout') {
        this.setState('lost', msg);
        this.say('info', `engine: ${msg}; trying again (an engine that is starting answers late)`);
      } else {
        this.setState('refused', msg);
        this.say('warning', `engine: ${msg}; flatnetd goes on without it (host side only)`);
      }
      this.scheduleAttach();
    } finally {
      this.busy = false;
    }
  }

  private lost(why: string): void {
    this.stream = undefined;
    if (this.stopped) return;
    this.setState('lost', why);
    this.say('warning', `engine: ${this.d.socket}: ${why}; will attach again when it is back`);
    this.scheduleAttach();
  }

  /** While the engine is away (restarting) it is asked again with back-off; an attached idle engine never is. */
  private scheduleAttach(): void {
    if (this.stopped || this.attachTimer) return;
    const ms = this.attachRetryMs;
    this.attachRetryMs = Math.min(ms * 2, this.d.retryMaxMs ?? 60_000);
    this.attachTimer = setTimeout(() => {
      this.attachTimer = undefined;
      void this.attach();
    }, ms);
  }

  private setState(s: EngineState, message: string): void {
    if (this.st === s && this.message === message) return;
    this.st = s;
    this.message = message;
    this.d.onChange();
  }

  private say(level: 'info' | 'notice' | 'warning', line: string): void {
    if (line === this.said) return;
    this.said = line;
    this.d.log[level](line);
  }

  // ---- following -------------------------------------------------------

  private net(name: string): NetState {
    let n = this.nets.get(name);
    if (n === undefined) {
      n = { records: new Map(), connectedAt: new Map(), parentNewAtMs: 0, jobs: new Map(), reattach: { count: 0, lastUSec: 0n, pending: 0, lastError: '' }, retryMs: this.d.retryMinMs ?? 1000, retryTimer: undefined, working: false, engine: null, diagnostics: [], said: new Set(), createTried: false, refreshRetryMs: this.d.retryMinMs ?? 1000, refreshTimer: undefined, parentMacs: null, macReattached: new Map() };
      this.nets.set(name, n);
    }
    return n;
  }

  private onEvent(e: EngineEvent): void {
    const ours = new Set(this.d.names());
    if (e.type === 'network') {
      const name = e.attributes['name'] ?? '';
      if (!ours.has(name)) return;
      const container = e.attributes['container'];
      if (e.action === 'connect' && container !== undefined) this.net(name).connectedAt.set(container, e.timeMs);
      this.markDirty(name);
    } else if (e.type === 'container' && (e.action === 'start' || e.action === 'die' || e.action === 'destroy')) {
      for (const [name, n] of this.nets) if (n.records.has(e.actorId)) this.markDirty(name);
    }
  }

  /** Inspect a network again soon (a drop-in added on reload, an event). */
  markDirty(name: string): void {
    if (this.stopped) return;
    this.dirty.add(name);
    if (this.refreshTimer) return;
    // One start makes several events (connect, start): one look for them all.
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      const names = [...this.dirty];
      this.dirty.clear();
      void (async () => { for (const n of names) await this.refresh(n); })();
    }, REFRESH_MS);
  }

  /** Inspects the engine network and its containers and records their endpoints. */
  private async refresh(name: string): Promise<void> {
    if (this.stopped) return;
    const n = this.net(name);
    try {
      const net = await this.d.client.inspectNetwork(name);
      const containers: EngineContainer[] = [];
      for (const ep of net.endpoints) {
        try {
          containers.push(await this.d.client.inspectContainer(ep.containerId));
        } catch (e) {
          if (!(e instanceof EngineError && e.status === 404)) throw e;
        }
      }
      n.engine = net;
      n.records = recordEndpoints(net, containers, n.connectedAt);
      // Read after the inspects: a container connected in between is on both.
      n.parentMacs = await this.readParentMacs(name, net, n.records);
      n.refreshRetryMs = this.d.retryMinMs ?? 1000;
    } catch (e) {
      if (e instanceof EngineError && e.status === 404) {
        n.engine = null;
        n.records = new Map();
        if (await this.create(name, n)) return this.refresh(name);
      } else {
        // A busy engine (a slow inspect) or one going away: look again later.
        // A re-attach asked meanwhile waits for a good look (work() below).
        const ms = n.refreshRetryMs;
        n.refreshRetryMs = Math.min(ms * 2, this.d.retryMaxMs ?? 60_000);
        this.d.log.warning(`${name}: engine: cannot read the network: ${e instanceof Error ? e.message : String(e)}; looking again in ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`);
        if (this.st === 'attached' && !this.stopped && n.refreshTimer === undefined) {
          n.refreshTimer = setTimeout(() => {
            n.refreshTimer = undefined;
            this.markDirty(name);
          }, ms);
        }
        return;
      }
    }
    this.recheck(name);
    this.d.onChange();
    this.work(name);
  }

  /** [Engine] Create=yes and no such network: create it, once, as docker-args says. Never changes or deletes one. */
  private async create(name: string, n: NetState): Promise<boolean> {
    const d = this.d.declared(name);
    if (d === null || !engineKeys(d.net).create || n.createTried) return false;
    n.createTried = true;
    try {
      await this.d.client.createNetwork(createBody(d.createArgs));
      this.d.log.notice(`${name}: created the ${this.product} network (Create=yes): ${d.createArgs.join(' ')}`);
      return true;
    } catch (e) {
      const says = e instanceof EngineError ? e.engineSays : e instanceof Error ? e.message : String(e);
      // 409: made meanwhile by someone else; the refresh that follows reads it.
      if (e instanceof EngineError && e.status === 409) return true;
      this.d.log.error(`${name}: cannot create the ${this.product} network: ${says}`);
      return false;
    }
  }

  /** Drift of one network against the last inspect; new findings go to the journal once. */
  recheck(name: string): void {
    const n = this.net(name);
    const d = this.d.declared(name);
    n.diagnostics = d === null || n.engine === null ? [] : engineDrift({ ...d, engine: n.engine, engineName: this.product });
    const now = new Set(n.diagnostics.map(formatDiagnostic));
    for (const diag of n.diagnostics) {
      const line = formatDiagnostic(diag);
      if (n.said.has(line)) continue;
      if (diag.severity === 'error') this.d.log.error(line);
      else this.d.log.warning(line);
    }
    n.said = now;
  }

  // ---- re-attach -------------------------------------------------------

  /** flatnetd saw the network's parent come back under a new ifindex at `atMs`. */
  parentRemade(name: string, atMs: number): void {
    const n = this.net(name);
    n.parentNewAtMs = atMs;
    if (this.st === 'attached') void this.refresh(name);
    // Not attached: the jobs are worked out on attach, against what the engine says then.
  }

  /** The parent's unicast list, when it can say which container interfaces are alive. */
  private async readParentMacs(name: string, net: EngineNetwork, records: ReadonlyMap<string, EndpointRecord>): Promise<ParentMacs | null> {
    const parent = this.d.liveParent?.(name) ?? null;
    const read = this.d.parentMacs;
    // Passthru hands the parent's own address to its one child: nothing goes on the list.
    if (parent === null || read === undefined || net.driver !== 'macvlan' || net.options['macvlan_mode'] === 'passthru') return null;
    // Nobody to judge: no dump (an engine network with no running container costs nothing).
    if (![...records.values()].some((r) => r.running && r.spec.mac !== '')) return null;
    const macs = await read(parent.name);
    // The parent may have been re-made while we read: the next look reads again.
    const now = this.d.liveParent?.(name) ?? null;
    return macs === null || now === null || now.ifIndex !== parent.ifIndex ? null : { ifIndex: parent.ifIndex, macs };
  }

  private work(name: string): void {
    const n = this.net(name);
    const pm = n.parentMacs;
    if (pm !== null) {
      // The kernel's answer (reattach.ts): no history needed, so a flatnetd
      // started after the parent was re-made finds the dead interfaces too.
      const dead = missingFromParent(n.records, pm.macs);
      const deadIds = new Set(dead.map((d) => d.containerId));
      for (const [id, j] of n.jobs) if (!j.disconnected && !deadIds.has(id)) n.jobs.delete(id);
      for (const spec of dead) {
        const id = spec.containerId;
        if (n.jobs.has(id) || n.macReattached.get(id) === pm.ifIndex) continue;
        n.macReattached.set(id, pm.ifIndex);
        n.jobs.set(id, { spec, disconnected: false });
      }
      n.parentNewAtMs = 0;
    } else if (n.parentNewAtMs > 0) {
      // Jobs not yet begun are worked out again from the freshest record (a
      // container the engine restarted meanwhile has a good interface).
      for (const [id, j] of n.jobs) if (!j.disconnected) n.jobs.delete(id);
      for (const spec of deadEndpoints(n.records, n.parentNewAtMs)) if (!n.jobs.has(spec.containerId)) n.jobs.set(spec.containerId, { spec, disconnected: false });
      n.parentNewAtMs = 0;
    }
    if (n.jobs.size === 0 || n.working || n.retryTimer || this.st !== 'attached') return;
    void this.runJobs(name, n);
  }

  /**
   * What a killed flatnetd had written down (pending.ts): each is taken as
   * disconnected, so it is connected again with what it had; one that was
   * not disconnected after all is 'already connected', and the parent's list
   * then says whether its interface is alive.
   */
  private resume(): void {
    if (this.resumed || this.d.pending === undefined) return;
    this.resumed = true;
    const specs = this.d.pending.load();
    for (const spec of specs) this.net(spec.networkName).jobs.set(spec.containerId, { spec, disconnected: true });
    if (specs.length > 0) this.d.log.notice(`engine: taking up ${specs.length} re-attach${specs.length === 1 ? '' : 'es'} a previous flatnetd left half done: ${specs.map((x) => `${x.containerName} on ${x.networkName}`).join(', ')}`);
  }

  private savePending(): void {
    this.d.pending?.save([...this.nets.values()].flatMap((n) => [...n.jobs.values()].map((j) => j.spec)));
  }

  private async runJobs(name: string, n: NetState): Promise<void> {
    n.working = true;
    // Written down before any disconnect: from then on only we know the addresses.
    this.savePending();
    const done: string[] = [];
    let failed = false;
    for (const [id, job] of [...n.jobs]) {
      const fate = await reconnect(this.d.client, job, (step, says) => {
        n.reattach.lastError = `${job.spec.containerName}: ${step}: ${says}`;
        this.d.log.warning(`${name}: re-attaching ${job.spec.containerName}: ${step} failed: ${says}`);
      }, (says) => this.d.log.info(`${name}: ${job.spec.containerName} was removed before it could be re-attached (${says})`));
      if (fate === 'retry') {
        failed = true;
        if (this.st !== 'attached') break;
        continue;
      }
      n.jobs.delete(id);
      if (fate === 'done') {
        done.push(`${job.spec.containerName}${job.spec.ipv4 ? ` at ${job.spec.ipv4}` : ''}`);
        n.reattach.count++;
      }
    }
    n.working = false;
    this.savePending();
    if (done.length > 0) {
      n.reattach.lastUSec = BigInt(this.d.now()) * 1000n;
      this.d.log.notice(`${name}: re-attached ${done.join(', ')} to the re-made parent (the same address${done.length === 1 ? '' : 'es'}; the container${done.length === 1 ? ' was' : 's were'} not restarted)`);
    }
    if (n.jobs.size === 0) {
      n.retryMs = this.d.retryMinMs ?? 1000;
      if (!failed) n.reattach.lastError = '';
    } else if (this.st === 'attached') {
      const ms = n.retryMs;
      n.retryMs = Math.min(ms * 2, this.d.retryMaxMs ?? 60_000);
      this.d.log.info(`${name}: ${n.jobs.size} container${n.jobs.size === 1 ? '' : 's'} still to re-attach; trying again in ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`);
      n.retryTimer = setTimeout(() => {
        n.retryTimer = undefined;
        this.work(name);
      }, ms);
    }
    this.d.onChange();
  }
}
