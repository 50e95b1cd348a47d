// What the daemon publishes about itself and each network (D-Bus, flatnetctl,
// sd_notify STATUS=). Derived from desired, observed and the last errors.

import type { Diagnostic } from '../errors.js';
import type { Op } from '../plan/ops.js';

export type ManagerState = 'starting' | 'running' | 'degraded' | 'reloading' | 'stopping';

export type NetworkState =
  | 'configured'          // every link, address and route is as the drop-in says
  | 'pending'             // a reconcile is about to run / running
  | 'waiting-for-parent'  // the parent interface does not exist
  | 'degraded'            // up, but something could not be made right (see LastError)
  | 'failed'              // the kernel refused to create it (see LastError)
  | 'down'                // taken down by Down(); links removed until Up() or a reload
  | 'invalid';            // the drop-in has errors and there is no last good version

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
  /** Shim addresses as configured (CIDR). */
  addresses: string[];
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
}

/** What the D-Bus adapter and the CLI need from the daemon; implemented by reconcile/daemon.ts. */
export interface DaemonApi {
  readonly version: string;
  state(): ManagerState;
  networks(): NetworkStatus[];
  network(name: string): NetworkStatus | undefined;
  diagnostics(): Diagnostic[];
  /** Everything as one JSON-able object (like networkctl's Describe). */
  describe(): unknown;
  /** Ops a reconcile would make now; nothing applied. */
  plan(): Promise<Op[]>;
  /** `docker network create` argv for a network; throws FlatnetError('unknown'…) when no such network. */
  dockerArgs(name: string): string[];
  reload(): Promise<void>;
  reconcile(): Promise<void>;
  up(name: string): Promise<void>;
  down(name: string): Promise<void>;
  /** Scan the network's IPRange= and gateways on the LAN (ARP); `force` for more than a /22. Absent: not offered. */
  probe?(name: string, force: boolean): Promise<unknown>;
  /** Called after every change of the manager state, the network set or any network's status. */
  onChange(listener: (change: DaemonChange) => void): () => void;
}

export type DaemonChange =
  | { what: 'manager' }
  | { what: 'network-added'; name: string }
  | { what: 'network-removed'; name: string }
  | { what: 'network'; name: string };
