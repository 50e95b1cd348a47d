// The Engine API's objects as plain data, only the fields flatnetd reads.
// Docker and Podman's Docker-compatible API share these shapes; decode.ts
// builds them from the engine's JSON.

/** One IPAM pool of an engine network (`docker network create --subnet …`). */
export interface EnginePool {
  subnet: string;
  /** '' when none. */
  ipRange: string;
  /** '' when none. */
  gateway: string;
  /** `--aux-address` name → address. */
  aux: Record<string, string>;
}

/** One container's endpoint as the network inspect lists it. */
export interface EngineEndpoint {
  containerId: string;
  name: string;
  endpointId: string;
  mac: string;
  /** Without prefix; '' when none. */
  ipv4: string;
  ipv6: string;
}

export interface EngineNetwork {
  id: string;
  name: string;
  driver: string;
  /** `-o key=value` options: parent, macvlan_mode, ipvlan_mode, ipvlan_flag. */
  options: Record<string, string>;
  pools: EnginePool[];
  internal: boolean;
  ipv6: boolean;
  endpoints: EngineEndpoint[];
}

/** A container's settings on one network (container inspect, NetworkSettings.Networks[name]). */
export interface EngineAttachment {
  networkId: string;
  /** What the user asked for with `--ip`/`--ip6`; '' when the engine picked. */
  requestedIpv4: string;
  requestedIpv6: string;
  ipv4: string;
  ipv6: string;
  mac: string;
  aliases: string[];
}

export interface EngineContainer {
  id: string;
  /** Without the leading `/`. */
  name: string;
  running: boolean;
  /** Wall-clock ms of the last start (State.StartedAt); 0 when unknown. */
  startedAtMs: number;
  /** By network name. */
  networks: Record<string, EngineAttachment>;
}

export interface EngineEvent {
  type: string;
  action: string;
  /** Actor.ID: the network's or the container's id. */
  actorId: string;
  attributes: Record<string, string>;
  /** Wall-clock ms. */
  timeMs: number;
}

export interface EngineVersion {
  /** `20.10.24+dfsg1`, `4.3.1`. */
  version: string;
  apiVersion: string;
  minApiVersion: string;
  /** 'Docker Engine - Community', 'Podman Engine', … from Components[0].Name or Platform.Name; '' when absent. */
  product: string;
}

/** What connect sends: the endpoint as it was, so the container comes back the same. */
export interface ReconnectSpec {
  networkId: string;
  networkName: string;
  containerId: string;
  containerName: string;
  ipv4: string;
  ipv6: string;
  mac: string;
  aliases: string[];
}
