// One function per flatnetctl command. Each returns the exit code; errors are
// thrown and turned into messages and codes by flatnetctl.ts.

import type { Message } from 'dbus-next';
import { BUS_NAME, MANAGER_IFACE, MANAGER_PATH, NETWORK_IFACE, OBJECT_MANAGER_IFACE, PROPERTIES_IFACE,
  networkNameFromPath } from '../bus/path.js';
import { toJson } from '../bus/json.js';
import { formatDiagnostic } from '../errors.js';
import { connectClient, unwrap, WRITE_TIMEOUT_MS, type Client } from './client.js';
import { dockerCommand, plural, type Style } from './format.js';
import { managerInfo, monitorText, networkView, renderDiagnostic, renderList, renderManagerStatus,
  renderNetworkStatus, type MonitorEvent, type NetworkView } from './views.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  style: Style;
  json: boolean;
  now(): number;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); for monitor. */
  stopped(): Promise<void>;
}

export const EXIT = { ok: 0, failure: 1, usage: 2, notRunning: 3 } as const;

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connectClient();
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

async function allNetworks(c: Client): Promise<NetworkView[]> {
  const objects = await c.managedObjects(NETWORK_IFACE);
  return [...objects].map(([path, props]) => networkView(path, props)).sort((a, b) => a.Name.localeCompare(b.Name));
}

function jsonNetwork(n: NetworkView): Record<string, unknown> {
  return { ...n };
}

export async function status(io: Io, args: string[]): Promise<number> {
  return withClient(async (c) => {
    const name = args[0];
    if (name !== undefined) {
      const path = String(await c.manager('GetNetwork', 's', [name]));
      const n = networkView(path, await c.getAll(path, NETWORK_IFACE));
      io.out(io.json ? toJson(jsonNetwork(n), 2) : renderNetworkStatus(io.style, n, io.now()).join('\n'));
      return EXIT.ok;
    }
    const m = managerInfo(await c.getAll(MANAGER_PATH, MANAGER_IFACE));
    const nets = await allNetworks(c);
    if (io.json) io.out(toJson({ ...m, Networks: nets.map(jsonNetwork) }, 2));
    else io.out(renderManagerStatus(io.style, m, nets).join('\n'));
    return EXIT.ok;
  });
}

export async function list(io: Io): Promise<number> {
  return withClient(async (c) => {
    const nets = await allNetworks(c);
    io.out(io.json ? toJson(nets.map(jsonNetwork), 2) : renderList(io.style, nets).join('\n'));
    return EXIT.ok;
  });
}

export async function change(member: 'Up' | 'Down' | 'Reload' | 'Reconcile', args: string[]): Promise<number> {
  return withClient(async (c) => {
    const name = args[0];
    if (name === undefined) await c.manager(member, '', [], WRITE_TIMEOUT_MS);
    else await c.manager(member, 's', [name], WRITE_TIMEOUT_MS);
    return EXIT.ok;
  });
}

export async function plan(io: Io): Promise<number> {
  return withClient(async (c) => {
    const text = String(await c.manager('Plan'));
    const parsed: unknown = JSON.parse(text);
    if (io.json) {
      io.out(JSON.stringify(parsed, null, 2));
      return EXIT.ok;
    }
    const ops = parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { ops?: unknown }).ops)
      ? (parsed as { ops: { description?: unknown }[] }).ops : [];
    if (ops.length === 0) io.out('Nothing to do: every network is as its drop-in says.');
    else io.out([...ops.map((o) => String(o.description ?? '')), '', `${plural(ops.length, 'operation')} planned, none applied.`].join('\n'));
    return EXIT.ok;
  });
}

export async function dockerArgs(io: Io, args: string[]): Promise<number> {
  return withClient(async (c) => {
    const argv = await c.manager('DockerArgs', 's', [args[0] ?? '']);
    const words = Array.isArray(argv) ? argv.map(String) : [];
    io.out(io.json ? JSON.stringify(words, null, 2) : dockerCommand(words));
    return EXIT.ok;
  });
}

/** A /22 at 24 addresses a probe wait apart is about 45 s; forced, larger ranges take longer still. */
const PROBE_TIMEOUT_MS = 600_000;

export async function probe(io: Io, args: string[], force: boolean): Promise<number> {
  return withClient(async (c) => {
    const text = String(await c.manager('Probe', 'sb', [args[0] ?? '', force], PROBE_TIMEOUT_MS));
    if (io.json) { io.out(text); return EXIT.ok; }
    const r = JSON.parse(text) as { network?: string; scanned?: number; occupants?: { address: string; mac: string; owner: string; detail: string }[]; errors?: string[] };
    const rows = r.occupants ?? [];
    const lines = rows.map((o) => `${o.address.padEnd(15)}  ${o.mac}  ${(o.owner === 'foreign' ? 'FOREIGN' : 'this host').padEnd(9)}  ${o.detail}`);
    const foreign = rows.filter((o) => o.owner === 'foreign').length;
    io.out([
      ...(lines.length > 0 ? [`${'ADDRESS'.padEnd(15)}  ${'MAC'.padEnd(17)}  ${'OWNER'.padEnd(9)}  DETAIL`, ...lines, ''] : []),
      `${r.network ?? args[0] ?? ''}: ${plural(r.scanned ?? 0, 'address', 'addresses')} scanned, ${rows.length} answered, ${foreign} foreign.`,
      ...(r.errors ?? []).map((e) => `could not probe: ${e}`),
    ].join('\n'));
    return EXIT.ok;
  });
}

export async function check(io: Io, paths: string[]): Promise<number> {
  // Loaded on demand: only `check` needs the config parser.
  const { checkPaths } = await import('../config/check.js');
  const { diagnostics, networks } = await checkPaths(paths);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (io.json) {
    io.out(toJson({ ok: errors === 0, diagnostics: diagnostics.map((d) => ({ ...d, text: formatDiagnostic(d) })), networks }, 2));
  } else {
    const lines = diagnostics.map((d) => renderDiagnostic(io.style, d));
    const names = networks.map((n) => n.name).join(', ');
    const warnings = diagnostics.length - errors;
    lines.push(errors > 0
      ? `${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}; fix the drop-ins above.`
      : `${plural(networks.length, 'network')} OK${names ? `: ${names}` : ''}${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}.`);
    (errors > 0 ? io.err : io.out)(lines.join('\n'));
  }
  return errors > 0 ? EXIT.failure : EXIT.ok;
}

function label(path: string): string {
  return networkNameFromPath(path) ?? path;
}

export async function monitor(io: Io): Promise<number> {
  const c = await connectClient();
  const emit = (ev: MonitorEvent): void => {
    if (io.json) io.out(toJson({ time: new Date(io.now()).toISOString(), ...ev }));
    else {
      const line = monitorText(io.style, ev, new Date(io.now()));
      if (line !== '') io.out(line);
    }
  };
  // What each object looked like, so a change can say from what to what.
  const known = new Map<string, Record<string, unknown>>();
  const load = async (): Promise<void> => {
    known.clear();
    known.set(MANAGER_PATH, await c.getAll(MANAGER_PATH, MANAGER_IFACE));
    for (const [path, props] of await c.managedObjects(NETWORK_IFACE)) known.set(path, props);
  };
  const onSignal = (msg: Message): void => {
    if (msg.type !== 4) return; // SIGNAL
    const body = Array.isArray(msg.body) ? msg.body : [];
    if (msg.interface === PROPERTIES_IFACE && msg.member === 'PropertiesChanged') {
      const [iface, changed] = body;
      if (iface !== NETWORK_IFACE && iface !== MANAGER_IFACE) return;
      const before = known.get(msg.path) ?? {};
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const [k, v] of Object.entries((changed ?? {}) as Record<string, unknown>)) {
        changes[k] = { from: before[k], to: unwrap(v) };
        before[k] = unwrap(v);
      }
      known.set(msg.path, before);
      emit(iface === MANAGER_IFACE ? { event: 'changed', object: 'manager', name: 'flatnetd', changes }
        : { event: 'changed', object: 'network', name: label(msg.path), changes });
    } else if (msg.interface === OBJECT_MANAGER_IFACE && msg.member === 'InterfacesAdded') {
      const [path, ifaces] = body as [string, Record<string, Record<string, unknown>>];
      const props: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ifaces?.[NETWORK_IFACE] ?? {})) props[k] = unwrap(v);
      known.set(path, props);
      emit({ event: 'added', object: 'network', name: label(path), state: String(props['State'] ?? '') });
    } else if (msg.interface === OBJECT_MANAGER_IFACE && msg.member === 'InterfacesRemoved') {
      const [path] = body as [string];
      known.delete(path);
      emit({ event: 'removed', object: 'network', name: label(path) });
    } else if (msg.interface === 'org.freedesktop.DBus' && msg.member === 'NameOwnerChanged' && body[0] === BUS_NAME) {
      const running = body[2] !== '';
      emit({ event: 'daemon', running });
      if (running) load().catch((e: unknown) => io.err(`flatnetctl: ${e instanceof Error ? e.message : String(e)}`));
    }
  };
  c.bus.on('message', onSignal);
  // Subscribe before reading the current state, so no change falls in between.
  await c.addMatch(`type='signal',sender='${BUS_NAME}',path_namespace='${MANAGER_PATH}'`);
  await c.addMatch(`type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${BUS_NAME}'`);
  await load();
  io.err('Following flatnetd; Ctrl-C to stop.');
  const lost = new Promise<number>((resolve) => {
    c.bus.on('error', (e: unknown) => {
      io.err(`flatnetctl: lost the system bus: ${e instanceof Error ? e.message : String(e)}`);
      resolve(EXIT.failure);
    });
  });
  const code = await Promise.race([io.stopped().then(() => EXIT.ok), lost]);
  c.close();
  return code;
}
