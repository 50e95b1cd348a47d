// Ownership marks that survive a daemon restart because they live in the
// kernel: the link alias and the route protocol number. Nothing without them
// is ever changed or deleted (except a hand-made link adopted because it
// matches exactly, which then gets the alias).

/** Route protocol number for routes flatnetd installs (`ip route … proto 233`);
 *  shipped as `233 flatnet` in /etc/iproute2/rt_protos.d so `ip route` prints the name. */
export const ROUTE_PROTO = 233;

/** Link group (`ip link … group 233`) given to every link flatnetd creates, in
 *  the creating message itself. The alias is the ownership mark, but the kernel
 *  ignores an alias at creation, so udev's "add" event can come before it; the
 *  group is there from the first instant, so the udev rule that tells
 *  NetworkManager and systemd-networkd to keep off matches it without a race. */
export const LINK_GROUP = 233;

/** Kernel protocol number for prefix routes the kernel adds with an address. */
export const ROUTE_PROTO_KERNEL = 2;

const ALIAS_PREFIX = 'flatnet:';

export function ownerAlias(networks: readonly string[]): string {
  return ALIAS_PREFIX + [...networks].sort().join(',');
}

export function isOwnedAlias(alias: string | null): boolean {
  return alias !== null && alias.startsWith(ALIAS_PREFIX);
}

/** Networks named in an owned alias; [] for a foreign one. */
export function aliasNetworks(alias: string | null): string[] {
  if (!isOwnedAlias(alias) || alias === null) return [];
  return alias.slice(ALIAS_PREFIX.length).split(',').filter((s) => s.length > 0);
}

/** Whether an owned alias names one of `networks` (a frozen network's link is left exactly as it is). */
export function aliasNamesAny(alias: string | null, networks: ReadonlySet<string>): boolean {
  return aliasNetworks(alias).some((n) => networks.has(n));
}
