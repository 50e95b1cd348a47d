// The LAN as flatnetd asks it questions: ARP probes (RFC 5227) and
// announcements. A small interface so the loop never sees arping's wire
// format; src/lan/arping.ts is the real one, test/fake/fake-arp.ts the fake.

/** What the LAN answered to a probe for one address. */
export type ProbeAnswer =
  | { kind: 'free' }                    // nobody answered within the probe's wait
  | { kind: 'held'; mac: string }       // a host with this (lower-case) MAC answered
  | { kind: 'error'; message: string }; // the probe could not be sent (link down, no tool)

export interface Arp {
  /** An RFC 5227 probe (sender address 0.0.0.0) for `addr`, sent out of `dev`. */
  probe(dev: string, addr: string): Promise<ProbeAnswer>;
  /** A gratuitous ARP for `addr` from `dev`, so neighbours' caches follow its MAC. Never throws. */
  announce(dev: string, addr: string): Promise<void>;
}
