// flatnetd's command line. Pure: argv in, options or a usage error out.

import { parseArgs } from 'node:util';
import type { Level } from './log.js';
import { DEFAULT_CONFIG_DIRS } from './config/discover.js';
import { VIEW_MIN_LINKS } from './kernel/observed-cache.js';
import { DEFAULT_ENGINE_SOCKETS } from './engine/sockets.js';

export { DEFAULT_CONFIG_DIRS };

export interface DaemonOptions {
  configDirs: string[];
  parentWaitMs: number;
  kernelDebounceMs: number;
  configDebounceMs: number;
  viewMinLinks: number;
  bus: boolean;
  /** Ask the LAN (ARP probe) before assigning a shim's IPv4 address. */
  arpProbe: boolean;
  logLevel: Level;
  machineIdFile: string;
  netns: string | undefined;
  /** Container engine sockets to follow; empty = none. */
  engineSockets: string[];
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: flatnetd [OPTIONS]

Keeps macvlan/ipvlan host shims and 802.1Q VLAN parents as /etc/flatnet.d says.

  --config-dir DIR     read drop-ins from DIR (repeatable; replaces the defaults
                       ${DEFAULT_CONFIG_DIRS.join(', ')})
  --parent-wait SECS   how long a missing parent may hold back READY=1 (default 5)
  --debounce-ms MS     coalesce a stream of kernel events within MS (default 10;
                       a lone event waits 1 ms)
  --settle-ms MS       apply a drop-in change once the directories have been
                       quiet for MS (default 1000), so a file written in parts
                       or an editor's save in steps is not applied half done;
                       SIGHUP and flatnetctl reload do not wait
  --view-min-links N   from N links on (default 100), a run started by kernel
                       events re-reads only the links they touched
  --engine-socket PATH follow the container engine on PATH (repeatable; replaces
                       the defaults /run/docker.sock, /run/podman/podman.sock)
  --no-engine          do not follow any container engine
  --no-bus             do not take org.flatnet.flatnet1 on the system bus
  --no-arp-probe       assign shim IPv4 addresses without asking the LAN first
                       (RFC 5227 probe with arping; it never delays READY=1)
  --log-level LEVEL    debug, info, notice, warning or error (default info)
  --machine-id FILE    seed for stable shim MACs (default /etc/machine-id)
  --netns NAME         work on the links of network namespace NAME (ip -n NAME),
                       for tests and labs; follows no engine unless told to
  --version            print the version
  -h, --help           this text
`;

export class UsageError extends Error {}

/**
 * How long the drop-ins must be quiet before a change is applied. The gaps
 * seen between the parts of one save: vim's default write (the file renamed
 * to ~, then written anew) and a file written in two parts were 0.3 and
 * 0.5 s apart, and applying the half file deleted and re-made the shim. An
 * atomic save (write elsewhere, rename in) is one change and pays the wait once.
 */
export const SETTLE_MS = 1000;

const LEVELS: readonly Level[] = ['debug', 'info', 'notice', 'warning', 'error'];

function number(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}=${v}: must be a number in ${min}..${max}`);
  return n;
}

export function parseDaemonArgs(argv: string[]): DaemonOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'config-dir': { type: 'string', multiple: true },
        'parent-wait': { type: 'string' },
        'debounce-ms': { type: 'string' },
        'view-min-links': { type: 'string' },
        'settle-ms': { type: 'string' },
        'no-bus': { type: 'boolean' },
        'engine-socket': { type: 'string', multiple: true },
        'no-engine': { type: 'boolean' },
        'no-arp-probe': { type: 'boolean' },
        'log-level': { type: 'string' },
        'machine-id': { type: 'string' },
        netns: { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const v = parsed.values;
  const level = v['log-level'] ?? 'info';
  if (!(LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level=${level}: must be one of ${LEVELS.join(', ')}`);
  return {
    configDirs: v['config-dir'] ?? [...DEFAULT_CONFIG_DIRS],
    parentWaitMs: number('parent-wait', v['parent-wait'], 5, 0, 3600) * 1000,
    kernelDebounceMs: number('debounce-ms', v['debounce-ms'], 10, 0, 10_000),
    configDebounceMs: number('settle-ms', v['settle-ms'], SETTLE_MS, 0, 60_000),
    viewMinLinks: number('view-min-links', v['view-min-links'], VIEW_MIN_LINKS, 0, 1_000_000),
    bus: v['no-bus'] !== true,
    arpProbe: v['no-arp-probe'] !== true,
    logLevel: level as Level,
    machineIdFile: v['machine-id'] ?? '/etc/machine-id',
    netns: v.netns,
    // A daemon in a test's namespace (--netns) never follows the host's engine unless told to.
    engineSockets: v['no-engine'] === true ? [] : v['engine-socket'] ?? (v.netns === undefined ? [...DEFAULT_ENGINE_SOCKETS] : []),
    help: v.help === true,
    version: v.version === true,
  };
}
