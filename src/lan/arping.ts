// The Arp interface on iputils' arping (Debian package iputils-arping), run as
// a child process: it needs a packet socket (CAP_NET_RAW, AF_PACKET), which the
// unit grants, and nothing else of ours. Exit codes, measured with iputils
// 20221126: -D gives 0 when no reply came, 1 when one did (it stops at the
// first), 2 when it could not run (no such device, link down). -w takes whole
// seconds only.

import { execFile } from 'node:child_process';
import type { Arp, ProbeAnswer } from './arp.js';

export interface ArpingOptions {
  /** Run in this named network namespace (flatnetd --netns). */
  netns?: string;
  /** Probes sent within the wait (RFC 5227's PROBE_NUM, squeezed into the wait). */
  count?: number;
  /** Whole seconds to wait for an answer. */
  waitSeconds?: number;
  binary?: string;
}

interface Ran { code: number; stdout: string; stderr: string }

// `Unicast reply from 192.168.88.192 [02:11:22:33:44:55]  0.527ms`; a host that
// claims the address while we listen (its own ARP request, a gratuitous one)
// counts too: `Broadcast request from …`.
const REPLY_RE = /(?:reply|request) from \S+ \[([0-9A-Fa-f:]{17})\]/;

export function parseProbe(r: Ran): ProbeAnswer {
  if (r.code === 0) return { kind: 'free' };
  const m = REPLY_RE.exec(r.stdout);
  if (r.code === 1 && m?.[1] !== undefined) return { kind: 'held', mac: m[1].toLowerCase() };
  const why = (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
  return { kind: 'error', message: `arping exit ${r.code}${why === '' ? '' : `: ${why}`}` };
}

export class ArpingArp implements Arp {
  private readonly o: Required<Omit<ArpingOptions, 'netns'>> & { netns: string | undefined };
  constructor(opts: ArpingOptions = {}) {
    this.o = { netns: opts.netns, count: opts.count ?? 2, waitSeconds: opts.waitSeconds ?? 1, binary: opts.binary ?? 'arping' };
  }

  async probe(dev: string, addr: string): Promise<ProbeAnswer> {
    const r = await this.run(['-D', '-c', String(this.o.count), '-w', String(this.o.waitSeconds), '-I', dev, addr]);
    return parseProbe(r);
  }

  async announce(dev: string, addr: string): Promise<void> {
    await this.run(['-U', '-c', '1', '-w', '1', '-I', dev, addr]);
  }

  private run(args: string[]): Promise<Ran> {
    const argv = this.o.netns === undefined ? [this.o.binary, ...args] : ['ip', 'netns', 'exec', this.o.netns, this.o.binary, ...args];
    const [cmd, ...rest] = argv;
    return new Promise((resolve) => {
      execFile(cmd ?? 'arping', rest, { timeout: (this.o.waitSeconds + 5) * 1000 }, (err, stdout, stderr) => {
        if (err === null) { resolve({ code: 0, stdout, stderr }); return; }
        const code = typeof err.code === 'number' ? err.code : 2;
        resolve({ code, stdout, stderr: stderr || err.message });
      });
    });
  }
}
