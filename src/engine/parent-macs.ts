// The MAC addresses of a parent's macvlan children, read from the host's own
// namespace: macvlan_open() puts each child's address on its lower device's
// unicast list (dev_uc_add), macvlan_stop() takes it off, and the list dies
// with the device. A container's interface lives in the container's
// namespace, out of `ip link`'s sight, but its address stays on the parent's
// list, which `bridge fdb show dev PARENT` dumps (ndo_dflt_fdb_dump: "self
// permanent" entries). So whether a container's interface on a parent is
// alive is a question the kernel answers now, with no history kept by
// flatnetd and without entering the container (which the unit's
// ProtectProc=invisible and CAP_NET_ADMIN-only bounding set would refuse).

import { execFile } from 'node:child_process';
import { unicastMacs } from './reattach.js';

/** A dump that has not answered by then is abandoned: the check is skipped, not failed. */
const DUMP_TIMEOUT_MS = 5000;

/**
 * The unicast addresses on `parent`'s list; null when it cannot be read
 * (no such device, no `bridge`): the caller then knows nothing, not "none".
 * @param argv0 the command to run, `bridge` by default (a test may prefix `ip netns exec NS`)
 */
export function parentMacs(parent: string, argv0: readonly string[] = ['bridge']): Promise<ReadonlySet<string> | null> {
  const [cmd, ...pre] = argv0;
  if (cmd === undefined) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile(cmd, [...pre, '-json', 'fdb', 'show', 'dev', parent], { timeout: DUMP_TIMEOUT_MS, maxBuffer: 4 << 20 }, (err, stdout) => {
      if (err !== null) return resolve(null);
      try {
        resolve(unicastMacs(JSON.parse(stdout === '' ? '[]' : stdout) as unknown));
      } catch {
        resolve(null);
      }
    });
  });
}
