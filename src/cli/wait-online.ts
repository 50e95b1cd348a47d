// `flatnetctl wait-online [NAME…] [--timeout=SECS]`: what
// systemd-networkd-wait-online is for networkd, for flatnetd's networks.
// It waits on the bus's signals (PropertiesChanged, InterfacesAdded/Removed,
// NameOwnerChanged) and re-reads the state when one arrives: no polling.

import type { Message } from 'dbus-next';
import { BUS_NAME, MANAGER_IFACE, MANAGER_PATH, NETWORK_IFACE } from '../bus/path.js';
import { connectClient, type Client } from './client.js';
import { EXIT, type Io } from './commands.js';

export interface OnlineNetwork {
  Name: string;
  State: string;
  LastError: string;
}

export type Verdict = { online: true } | { online: false; waiting: string[] };

/** Networks taken down on purpose (`flatnetctl down`) are not waited for unless named. */
const SKIPPED_WHEN_ALL = new Set(['down']);

/**
 * Online when every network named (none: every network the daemon runs, but
 * those taken down) is `configured`, after the daemon has read its drop-ins.
 * @param manager the daemon's State, or null when it is not on the bus
 */
export function onlineVerdict(manager: string | null, nets: readonly OnlineNetwork[], names: readonly string[]): Verdict {
  if (manager === null) return { online: false, waiting: ['flatnetd (not running)'] };
  if (manager === 'starting') return { online: false, waiting: ['flatnetd (starting)'] };
  const byName = new Map(nets.map((n) => [n.Name, n]));
  const targets = names.length > 0 ? names : nets.filter((n) => !SKIPPED_WHEN_ALL.has(n.State)).map((n) => n.Name);
  const waiting: string[] = [];
  for (const name of targets) {
    const n = byName.get(name);
    if (n === undefined) waiting.push(`${name} (no such network)`);
    else if (n.State !== 'configured') waiting.push(`${name} (${n.State}${n.LastError !== '' ? `: ${n.LastError}` : ''})`);
  }
  return waiting.length === 0 ? { online: true } : { online: false, waiting };
}

async function readState(c: Client): Promise<{ manager: string | null; nets: OnlineNetwork[] }> {
  if (!(await c.daemonRunning())) return { manager: null, nets: [] };
  const m = await c.getAll(MANAGER_PATH, MANAGER_IFACE);
  const objects = await c.managedObjects(NETWORK_IFACE);
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    manager: str(m['State']),
    nets: [...objects.values()].map((p) => ({ Name: str(p['Name']), State: str(p['State']), LastError: str(p['LastError']) })),
  };
}

/** @param timeoutSec 0: wait forever */
export async function waitOnline(io: Io, names: readonly string[], timeoutSec: number): Promise<number> {
  const c = await connectClient({ requireDaemon: false });
  let last: Verdict = { online: false, waiting: ['flatnetd (not asked yet)'] };
  let settle: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => { settle = resolve; });
  // Level-triggered, as the daemon itself: a signal only says "read again";
  // reads are serialised, and a signal during a read asks for one more.
  let reading = false;
  let again = false;
  const look = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        const s = await readState(c);
        last = onlineVerdict(s.manager, s.nets, names);
        if (last.online) settle(EXIT.ok);
      } while (again);
    } catch (e) {
      // The daemon may go away between two calls; its NameOwnerChanged brings the next look.
      if (!(e instanceof Error && /not running/.test(e.message))) {
        io.err(`flatnetctl: ${e instanceof Error ? e.message : String(e)}`);
        settle(EXIT.failure);
      }
    } finally {
      reading = false;
    }
  };
  const onSignal = (msg: Message): void => {
    if (msg.type === 4) look().catch(() => undefined);
  };
  c.bus.on('message', onSignal);
  c.bus.on('error', (e: unknown) => {
    io.err(`flatnetctl: lost the system bus: ${e instanceof Error ? e.message : String(e)}`);
    settle(EXIT.failure);
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    // Subscribe before the first read, so no change falls in between.
    await c.addMatch(`type='signal',sender='${BUS_NAME}',path_namespace='${MANAGER_PATH}'`);
    await c.addMatch(`type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${BUS_NAME}'`);
    if (timeoutSec > 0) {
      timer = setTimeout(() => {
        const what = last.online ? [] : last.waiting;
        io.err(`flatnetctl: wait-online: not online after ${timeoutSec} s; still waiting for ${what.join(', ')}`);
        settle(EXIT.failure);
      }, timeoutSec * 1000);
    }
    await look();
    return await done;
  } finally {
    clearTimeout(timer);
    c.close();
  }
}
