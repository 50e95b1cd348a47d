// Ipv6Conf on /proc/sys/net/ipv6/conf/<link>/: the files are per network
// namespace (the one of the process that opens them), so under --netns the
// write goes through `ip netns exec NS sysctl`.

import { writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Ipv6Conf } from './ra.js';

export class ProcSysIpv6Conf implements Ipv6Conf {
  /** @param conf the directory of the per-link settings (another only in tests) */
  constructor(private readonly netns?: string, private readonly conf = '/proc/sys/net/ipv6/conf') {}

  async set(link: string, key: 'accept_ra', value: string): Promise<void> {
    // Link names never hold '/', and '.' or '..' are refused by the config:
    // the name is one path element.
    if (this.netns === undefined) {
      // Written at once, not through the thread pool: a /proc/sys file is
      // kernel memory and never waits for a disk, and a first run writes one
      // per shim, where open, write and close each handed over to a thread
      // and back cost several times the write itself.
      writeFileSync(`${this.conf}/${link}/${key}`, value);
      return;
    }
    // sysctl reads '.' as '/': a VLAN-style name needs the slash form.
    await promisify(execFile)('ip', ['netns', 'exec', this.netns, 'sysctl', '-q', '-w', `net/ipv6/conf/${link}/${key}=${value}`]);
  }
}
