// One function per flatnetctl command. Each returns the exit code; errors are
// thrown and turned into messages and codes by flatnetctl.ts.

import type { Message } from 'dbus-next';
import { BUS_NAME, MANAGER_IFACE, MANAGER_PATH, NETWORK_IFACE, OBJECT_MANAGER_IFACE, PROPERTIES_IFACE,
  networkNameFromPath } from '../bus/path.js';
import { toJson } from '../bus/json.js';
import { formatDiagnostic } from '../errors.js';
import { connectClient, unwrap, WRITE_TIMEOUT_MS, type Client } from './client.js';
import { planFromBus } from './decode.js';
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
    const { operations, blocked } = planFromBus(await c.call(MANAGER_PATH, MANAGER_IFACE, 'Plan'));
    if (io.json) {
      // The bus's own keys, as status --json has them.
      io.out(toJson({ Operations: operations.map((o) => o.fields),
        Blocked: blocked.map((b) => ({ Network: b.network, State: b.state, Reason: b.reason })) }, 2));
      return EXIT.ok;
    }
    const lines = operations.map((o) => o.description);
    if (operations.length > 0) lines.push('', `${plural(operations.length, 'operation')} planned, none applied.`);
    if (blocked.length > 0) {
      if (lines.length > 0) lines.push('');
      lines.push(...blocked.map((b) => `${b.network}: ${b.state}: ${b.reason}`));
    }
    if (operations.length === 0) {
      lines.push(...(blocked.length > 0 ? ['', `Nothing to do for the ${plural(blocked.length, 'network')} above until that changes.`]
        : ['Nothing to do: every network is as its drop-in says.']));
    }
    io.out(lines.join('\n'));
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
