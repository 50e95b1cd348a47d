// flatnetctl's side of the bus: plain method calls on the system bus (dbus-next's
// low-level Message API; proxies would introspect first and add a round trip).

import { DBusError, Message, Variant, type MessageBus } from 'dbus-next';
import { connectSystemBus } from '../bus/connect.js';
import { BUS_NAME, MANAGER_IFACE, MANAGER_PATH, OBJECT_MANAGER_IFACE, PROPERTIES_IFACE } from '../bus/path.js';

export const NOT_RUNNING = `flatnetd is not running (${BUS_NAME} not on the system bus)`;

/** flatnetd is not there: exit code 3. */
export class DaemonNotRunning extends Error {
  constructor(detail?: string) {
    super(detail === undefined ? NOT_RUNNING : `${NOT_RUNNING}: ${detail}`);
    this.name = 'DaemonNotRunning';
  }
}

/** Calls that change the host: the daemon asks polkit about a caller other than root. */
const MUTATING = new Set(['Reload', 'Reconcile', 'Up', 'Down']);
/** D-Bus header flag: the caller can wait while polkit asks for a password (through the user's polkit agent). */
const ALLOW_INTERACTIVE_AUTHORIZATION = 0x4;

const GONE = new Set(['org.freedesktop.DBus.Error.ServiceUnknown', 'org.freedesktop.DBus.Error.NameHasNoOwner']);

/** Reads answer within 25 s (sd-bus's default); changes may take a reconcile, so longer. */
export const READ_TIMEOUT_MS = 25_000;
export const WRITE_TIMEOUT_MS = 120_000;

export function unwrap(v: unknown): unknown {
  return v instanceof Variant ? unwrap(v.value) : v;
}

function unwrapAll(dict: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (dict !== null && typeof dict === 'object') for (const [k, v] of Object.entries(dict)) out[k] = unwrap(v);
  return out;
}

export class Client {
  constructor(readonly bus: MessageBus) {}

  async call(path: string, iface: string, member: string, signature = '', body: unknown[] = [],
    timeoutMs = READ_TIMEOUT_MS): Promise<unknown[]> {
    const flags = MUTATING.has(member) ? ALLOW_INTERACTIVE_AUTHORIZATION : 0;
    const msg = new Message({ destination: BUS_NAME, path, interface: iface, member, signature, body, flags });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`flatnetd did not answer ${member} within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      const reply = await Promise.race([this.bus.call(msg), timeout]);
      return Array.isArray(reply?.body) ? reply.body : [];
    } catch (e) {
      if (e instanceof DBusError && GONE.has(e.type)) throw new DaemonNotRunning();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async manager(member: string, signature = '', body: unknown[] = [], timeoutMs = READ_TIMEOUT_MS): Promise<unknown> {
    return (await this.call(MANAGER_PATH, MANAGER_IFACE, member, signature, body, timeoutMs))[0];
  }

  async getAll(path: string, iface: string): Promise<Record<string, unknown>> {
    return unwrapAll((await this.call(path, PROPERTIES_IFACE, 'GetAll', 's', [iface]))[0]);
  }

  /** Every network object: path → its Network properties. */
  async managedObjects(iface: string): Promise<Map<string, Record<string, unknown>>> {
    const [objects] = await this.call(MANAGER_PATH, OBJECT_MANAGER_IFACE, 'GetManagedObjects');
    const out = new Map<string, Record<string, unknown>>();
    if (objects !== null && typeof objects === 'object') {
      for (const [path, ifaces] of Object.entries(objects)) {
        const props = (ifaces as Record<string, unknown>)[iface];
        if (props !== undefined) out.set(path, unwrapAll(props));
      }
    }
    return out;
  }

  async daemonRunning(): Promise<boolean> {
    const reply = await this.bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
      member: 'NameHasOwner', signature: 's', body: [BUS_NAME],
    }));
    return reply?.body[0] === true;
  }

  async addMatch(rule: string): Promise<void> {
    await this.bus.call(new Message({
      destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus',
      member: 'AddMatch', signature: 's', body: [rule],
    }));
  }

  close(): void {
    try { this.bus.disconnect(); } catch { /* already closed */ }
  }
}

/** Connect and make sure flatnetd is there; DaemonNotRunning otherwise. */
export async function connectClient(opts: { requireDaemon?: boolean } = {}): Promise<Client> {
  let bus: MessageBus;
  try {
    bus = await connectSystemBus({ timeoutMs: READ_TIMEOUT_MS });
  } catch (e) {
    throw new DaemonNotRunning(e instanceof Error ? e.message : String(e));
  }
  const client = new Client(bus);
  if (opts.requireDaemon !== false && !(await client.daemonRunning())) {
    client.close();
    throw new DaemonNotRunning();
  }
  return client;
}
