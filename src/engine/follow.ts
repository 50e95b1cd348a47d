// The engines beside the daemon: one session per engine socket (Docker's,
// Podman's), started when its socket appears, and the one hook into the loop:
// a network whose effective parent came back under a new ifindex. The loop
// does not know the Engine API; it only publishes statuses, which this reads.

import type { Logger } from '../log.js';
import type { DaemonChange, EngineView, NetworkEngineStatus, NetworkStatus } from '../model/status.js';
import type { Diagnostic } from '../errors.js';
import type { EngineClient } from './client.js';
import type { PendingStore } from './pending.js';
import { EngineSession, type Declared, type EngineSessionStatus, type NetworkReattach } from './session.js';

export { DEFAULT_ENGINE_SOCKETS } from './sockets.js';

/** What the follower needs from the daemon. */
export interface EngineHost {
  networks(): NetworkStatus[];
  network(name: string): NetworkStatus | undefined;
  onChange(listener: (c: DaemonChange) => void): () => void;
  /** The drop-in's `[Engine] Reattach=` (default yes). */
  reattachWanted(name: string): boolean;
  /** What the drop-in declares, for drift and Create=. */
  declared(name: string): Declared | null;
}

export interface FollowDeps {
  sockets: readonly string[];
  host: EngineHost;
  log: Logger;
  makeClient: (socket: string) => EngineClient;
  watch: (socket: string, onMaybe: () => void) => () => void;
  /** Wall clock, ms. */
  now: () => number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** The unicast MACs on a parent's list (engine/parent-macs.ts); absent: only the ifindex history tells. */
  parentMacs?: (parent: string) => Promise<ReadonlySet<string> | null>;
  /** Where each engine's re-attaches under way are kept across a restart (engine/pending.ts). */
  pending?: (socket: string) => PendingStore;
}

/** The loop has made the parent and the shim: configured, degraded, or
 *  probing (only the shim's own address waits for the LAN's answer, which the
 *  containers' interfaces do not need). */
const restored = (state: string): boolean => state === 'configured' || state === 'degraded' || state === 'probing';

export class EngineFollower implements EngineView {
  private readonly d: FollowDeps;
  private readonly sessions: EngineSession[] = [];
  private readonly unwatch: (() => void)[] = [];
  private readonly parentIndex = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private emitQueued = false;

  constructor(d: FollowDeps) {
    this.d = d;
  }

  start(): void {
    for (const s of this.d.host.networks()) if (s.parentIfIndex > 0) this.parentIndex.set(s.name, s.parentIfIndex);
    this.unsubscribe = this.d.host.onChange((c) => {
      // A drop-in added by a reload: its engine network has not been looked at yet.
      if (c.what === 'network-added') for (const s of this.sessions) if (s.status().state === 'attached') s.markDirty(c.name);
      if (c.what === 'network' || c.what === 'network-added') this.look(c.name);
    });
    for (const socket of this.d.sockets) {
      const session = new EngineSession({
        socket,
        declared: (name) => this.d.host.declared(name),
        client: this.d.makeClient(socket),
        log: this.d.log,
        names: () => this.d.host.networks().map((s) => s.name),
        now: this.d.now,
        onChange: () => this.emit(),
        ...(this.d.retryMinMs !== undefined ? { retryMinMs: this.d.retryMinMs } : {}),
        ...(this.d.retryMaxMs !== undefined ? { retryMaxMs: this.d.retryMaxMs } : {}),
        liveParent: (name) => this.liveParent(name),
        ...(this.d.parentMacs !== undefined ? { parentMacs: this.d.parentMacs } : {}),
        ...(this.d.pending !== undefined ? { pending: this.d.pending(socket) } : {}),
      });
      this.sessions.push(session);
      this.unwatch.push(this.d.watch(socket, () => void session.attach()));
      void session.attach();
    }
  }

  stop(): void {
    this.unsubscribe?.();
    for (const u of this.unwatch) u();
    for (const s of this.sessions) s.stop();
  }

  /** A parent the loop has restored, whose containers may be re-attached. */
  private liveParent(name: string): { name: string; ifIndex: number } | null {
    const s = this.d.host.network(name);
    if (s === undefined || s.parentIfIndex <= 0 || !restored(s.state)) return null;
    return this.d.host.reattachWanted(name) ? { name: s.parent, ifIndex: s.parentIfIndex } : null;
  }

  /** The parent's ifindex is what tells (see reattach.ts): only a new one, seen configured, asks for a re-attach. */
  private look(name: string): void {
    // A drop-in edited or a parent's prefixes changed: compare again with what the engine last said.
    for (const session of this.sessions) session.recheck(name);
    const s = this.d.host.network(name);
    // Once the loop has done its part (the parent and the shim restored, or as far as
    // they can be: degraded), not while it waits for the parent or the network is down.
    if (s === undefined || s.parentIfIndex <= 0 || !restored(s.state)) return;
    const before = this.parentIndex.get(name);
    this.parentIndex.set(name, s.parentIfIndex);
    if (before === s.parentIfIndex) return;
    // The first parent this flatnetd sees (it was missing at start, or the
    // network is new): no old ifindex to compare, but the parent's own list
    // says whose interface is gone (parent-macs.ts). A look does that check.
    if (before === undefined) {
      for (const session of this.sessions) if (session.status().state === 'attached') session.markDirty(name);
      return;
    }
    if (!this.d.host.reattachWanted(name)) {
      this.d.log.info(`${name}: parent ${s.parent} re-made (#${before} → #${s.parentIfIndex}); containers not re-attached (Reattach=no)`);
      return;
    }
    this.d.log.info(`${name}: parent ${s.parent} re-made (#${before} → #${s.parentIfIndex}): re-attaching the containers whose interfaces went with the old one`);
    const at = this.d.now();
    for (const session of this.sessions) session.parentRemade(name, at);
  }

  engines(): EngineSessionStatus[] {
    return this.sessions.map((s) => s.status());
  }

  reattach(name: string): NetworkReattach {
    const sum: NetworkReattach = { count: 0, lastUSec: 0n, pending: 0, lastError: '' };
    for (const s of this.sessions) {
      const r = s.network(name).reattach;
      sum.count += r.count;
      sum.pending += r.pending;
      if (r.lastUSec > sum.lastUSec) sum.lastUSec = r.lastUSec;
      if (r.lastError !== '') sum.lastError = r.lastError;
    }
    return sum;
  }

  network(name: string): NetworkEngineStatus {
    const r = this.reattach(name);
    return { reattachCount: r.count, lastReattachUSec: r.lastUSec, reattachPending: r.pending, reattachError: r.lastError, diagnostics: this.diagnostics(name) };
  }

  /** Drift between the drop-in and each engine's network of that name (engine/drift.ts). */
  diagnostics(name: string): Diagnostic[] {
    return this.sessions.flatMap((s) => s.network(name).diagnostics);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Coalesced: an attach or a refresh changes several things in one turn; they are published once. */
  private emit(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    setImmediate(() => {
      this.emitQueued = false;
      for (const l of this.listeners) l();
    });
  }
}
