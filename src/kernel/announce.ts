// A gratuitous ARP after flatnetd changes a shim's MAC (MACAddress= edited):
// without one, every neighbour (containers, the router) keeps sending to the
// old MAC until its ARP entry for the shim's address goes stale, tens of
// seconds of lost packets (issue 12). The kernel announces a new MAC by itself
// only with the arp_notify sysctl, which the service cannot write
// (ProtectKernelTunables=) and iproute2 cannot set on a link, so arping from
// Debian's iputils-arping sends it: `arping -U` (unsolicited ARP request, which
// updates entries neighbours already have). It needs an AF_PACKET socket and
// CAP_NET_RAW; where the unit or the system gives neither, or arping is not
// installed, the announcement fails with one log line and nothing else changes.

import { execFile } from 'node:child_process';

/** Announce every IPv4 address of `dev` now. Never throws, never waits for the
 *  ARP to go out: a reconcile is not held up by it. */
export type Announce = (dev: string) => void;

export interface ArpingOptions {
  /** The `ip` binary, to read the link's addresses. */
  ip: string;
  /** arping (default `arping`, found on PATH). */
  arping?: string;
  /** The daemon works in this named namespace (`ip -n`): arping runs there too. */
  netns?: string;
  log: (line: string) => void;
}

function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 5_000 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, out: err === null ? stdout : (stderr.trim() || err.message) });
    });
  });
}

/** `inet 192.168.88.192/32 …` lines of `ip -4 -o addr show` → bare addresses. */
export function ipv4Addresses(text: string): string[] {
  return [...text.matchAll(/\binet (\d{1,3}(?:\.\d{1,3}){3})\//g)].map((m) => m[1] ?? '').filter((a) => a !== '');
}

export function arpingAnnouncer(o: ArpingOptions): Announce {
  const arping = o.arping ?? 'arping';
  const inNs = (argv: string[]): [string, string[]] => (o.netns === undefined ? [argv[0] ?? '', argv.slice(1)] : [o.ip, ['netns', 'exec', o.netns, ...argv]]);
  return (dev) => {
    void (async () => {
      const ns = o.netns === undefined ? [] : ['-n', o.netns];
      const addrs = await run(o.ip, [...ns, '-4', '-o', 'addr', 'show', 'dev', dev]);
      if (!addrs.ok) { o.log(`could not announce ${dev}'s new MAC: ${addrs.out}`); return; }
      for (const a of ipv4Addresses(addrs.out)) {
        const [cmd, args] = inNs([arping, '-U', '-c', '1', '-I', dev, a]);
        const r = await run(cmd, args);
        o.log(r.ok ? `announced ${a} on ${dev} with its new MAC (gratuitous ARP)` : `could not announce ${a} on ${dev} (gratuitous ARP): ${r.out}`);
      }
    })();
  };
}
