// What the daemon publishes about itself and each network (D-Bus, flatnetctl,
// sd_notify STATUS=). Derived from desired, observed and the last errors.

import type { ScanReport } from '../lan/scanner.js';
import type { Diagnostic } from '../errors.js';
import type { Op } from '../plan/ops.js';

/** Every manager state, in the order the XML and flatnetd(8) list them. */
export const MANAGER_STATES = ['starting', 'running', 'degraded', 'reloading', 'stopping'] as const;
export type ManagerState = typeof MANAGER_STATES[number];

/**
 * Every network state, in the order dbus/org.flatnet.flatnet1.Network.xml and
 * flatnetd(8) list them (test/dbus/introspect.test.ts holds the three equal).
 *   configured          every link, address and route is as the drop-in says
 *   probing             all is made but a shim address, which waits for the LAN's answer to an ARP probe
 *   no-carrier          configured, but the parent has no carrier: the containers cannot be reached
 *   waiting-for-parent  the parent interface does not exist
 *   degraded            up, but something could not be made right (see LastError)
 *   failed              the kernel refused to create it (see LastError)
 *   down                taken down by Down(); links removed until Up() or a reload
 *   invalid             the drop-in has errors and there is no last good version
 */
export const NETWORK_STATES = ['configured', 'probing', 'no-carrier', 'waiting-for-parent', 'degraded', 'failed', 'down', 'invalid'] as const;
export type NetworkState = typeof NETWORK_STATES[number];

export interface NetworkStatus {
  name: string;
  state: NetworkState;
  configFile: string;
  /** Effective parent link name (`enp3s0.200`); '' for none. */
  parent: string;
  parentIfIndex: number;
  /** 0 when none. */
  vlan: number;
  driver: string;
  mode: string;
  /** Shim link name; '' when the network has no [Shim]. */
  shim: string;
  shimIfIndex: number;
  /** Carrier of the effective parent. */
  carrier: boolean;
  /** Shim addresses as configured (CIDR), whether or not the shim exists. */
  addresses: string[];
  /** Addresses the shim has in the kernel now (CIDR; IPv6 link-local left out); [] while it does not exist. */
  liveAddresses: string[];
  /** Routes through the shim (CIDR destinations). */
  routes: string[];
  ipRanges: string[];
  subnets: string[];
  gateways: string[];
  lastError: string;
  /** CLOCK_REALTIME µs of the last state change (0 = never). */
  lastChangeUSec: bigint;
  /** How many times flatnetd put something back that had gone missing or wrong. */
  restoreCount: number;
  /** The container engine's side (src/engine/); absent when no engine is followed. */
  engine?: NetworkEngineStatus;
}

/** A network as the container engines see it. */
export interface NetworkEngineStatus {
  /** Containers reconnected after their interfaces died with a re-made parent. */
  reattachCount: number;
  /** CLOCK_REALTIME µs of the last completed re-attach; 0 = never. */
  lastReattachUSec: bigint;
  /** Containers still to re-attach (being retried). */
  reattachPending: number;
  /** The last re-attach failure: the container's name and the engine's words; '' when none. */
  reattachError: string;
  /** Differences between the drop-in and the engine network of the same name. */
  diagnostics: Diagnostic[];
}

/** One container engine socket and what flatnetd has of it. */
export interface EngineSummary {
  socket: string;
  /** absent | attaching | attached | refused | lost */
  state: string;
  /** `Docker 20.10.24+dfsg1 (API 1.41)`; '' before the first attach. */
  engine: string;
  /** Why it is not attached; '' when it is or is simply absent. */
  message: string;
}

/** What the engine follower gives the daemon to publish. */
export interface EngineView {
  network(name: string): NetworkEngineStatus;
  engines(): EngineSummary[];
}

/** What the D-Bus adapter and the CLI need from the daemon; implemented by reconcile/daemon.ts. */
/** How much work the daemon has done since it started (Describe and the Manager's properties). */
export interface DaemonCounters {
  /** Reconciles run. */
  runs: number;
  /** Kernel events heard. */
  events: number;
  /** Times the kernel event monitor had to be restarted (events may have been lost). */
  resyncs: number;
  /** Changes written to the kernel. */
  writes: number;
}

/** A network that a plan will not (or cannot) make as its drop-in says, and why. */
export interface BlockedNetwork {
  name: string;
  state: NetworkState;
  reason: string;
}

/** A candidate drop-in for PlanFiles: the path it is shown under, and its text. */
export interface CandidateFile {
  path: string;
  text: string;
}

/** What candidate drop-ins would change against the running kernel (nothing applied). */
export interface CandidatePlan {
  operations: Op[];
  blocked: BlockedNetwork[];
  /** The candidates' own errors and warnings, at path:line. */
  diagnostics: Diagnostic[];
}

export interface DaemonApi {
  readonly version: string;
  readonly counters: Readonly<DaemonCounters>;
  state(): ManagerState;
  networks(): NetworkStatus[];
  network(name: string): NetworkStatus | undefined;
  diagnostics(): Diagnostic[];
  /** Everything as one JSON-able object (like networkctl's Describe). */
  describe(): unknown;
  /** Ops a reconcile would make now; nothing applied. */
  plan(): Promise<Op[]>;
  /** What the drop-ins would change with these candidates in the config directory; nothing applied. */
  planFiles(files: readonly CandidateFile[]): Promise<CandidatePlan>;
  /** `docker network create` argv for a network; throws FlatnetError('not-found') when no such network,
   *  'invalid-value' when its drop-in is invalid with no last good version. */
  dockerArgs(name: string): string[];
  /** `podman network create` argv (netavark); throws FlatnetError when Podman cannot make it as written. */
  podmanArgs(name: string): string[];
  /** This node's CNI conflist, as JSON text. */
  cniConfig(name: string): string;
  /** Advice for the router's side (`routeros`, `openwrt`), as text. */
  routerHints(name: string, router: string): string;
  reload(): Promise<void>;
  reconcile(): Promise<void>;
  up(name: string): Promise<void>;
  down(name: string): Promise<void>;
  /** The container engines followed (none: an empty list); optional for stand-ins. */
  engines?(): EngineSummary[];
  /** Scan the network's IPRange= and gateways on the LAN (ARP); `force` for more than a /22. Absent: not offered. */
  probe?(name: string, force: boolean): Promise<ScanReport>;
  /** Called after every change of the manager state, the network set or any network's status. */
  onChange(listener: (change: DaemonChange) => void): () => void;
}

export type DaemonChange =
  | { what: 'manager' }
  | { what: 'network-added'; name: string }
  | { what: 'network-removed'; name: string }
  | { what: 'network'; name: string };
