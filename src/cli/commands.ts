// One function per flatnetctl command. Each returns the exit code; errors are
// thrown and turned into messages and exit codes by run.ts (errorMessage).

import type { Message } from 'dbus-next';
import { BUS_NAME, MANAGER_IFACE, MANAGER_PATH, NETWORK_IFACE, OBJECT_MANAGER_IFACE, PROPERTIES_IFACE,
  networkNameFromPath } from '../bus/path.js';
import { toJson } from '../bus/json.js';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, formatDiagnostic, type Diagnostic } from '../errors.js';
import type { CommandOptions } from './args.js';
import type { CniConflist } from '../emit/cni.js';
import { connectClient, unwrap, WRITE_TIMEOUT_MS, type Client } from './client.js';
import { diagnosticsFromBus, planFromBus, probeFromBus } from './decode.js';
import { dockerCommand, pascalKeys, plural, type Style } from './format.js';
import { managerInfo, monitorText, networkView, renderDiagnostic, renderList, renderManagerStatus,
  renderNetworkStatus, type MonitorEvent, type NetworkView } from './views.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  style: Style;
  json: boolean;
  /** Column headers and check's verdict line (off with --no-legend). */
  legend: boolean;
  /** A table's trailing summary line: only for a person (a TTY), never with --no-legend. */
  summary: boolean;
  /** Shorten table columns to this many characters (the terminal's width); null: never (--full, not a TTY). */
  width: number | null;
  /** The last journal lines about a network (for `status NAME`); none when there is no journal to read. */
  journal?: (network: string) => string[];
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

/** States in which `status NAME` exits 1, as `systemctl is-failed` would say: the network is not working and will not by itself. */
export const FAILED_STATES: ReadonlySet<string> = new Set(['failed', 'invalid']);

function listOptions(io: Io): { header: boolean; summary: boolean; width: number | null } {
  return { header: io.legend, summary: io.summary, width: io.width };
}

export async function status(io: Io, args: string[]): Promise<number> {
  return withClient(async (c) => {
    if (args.length > 0) {
      const nets: NetworkView[] = [];
      for (const name of args) {
        const path = String(await c.manager('GetNetwork', 's', [name]));
        nets.push(networkView(path, await c.getAll(path, NETWORK_IFACE)));
      }
      // One name prints one object, as before; several print an array.
      const [only] = nets;
      if (io.json) io.out(toJson(nets.length === 1 && only !== undefined ? jsonNetwork(only) : nets.map(jsonNetwork), 2));
      else {
        io.out(nets.map((n) => {
          const story = io.journal?.(n.Name) ?? [];
          return [...renderNetworkStatus(io.style, n, io.now()), ...(story.length > 0 ? ['', ...story] : [])].join('\n');
        }).join('\n\n'));
      }
      return nets.some((n) => FAILED_STATES.has(n.State)) ? EXIT.failure : EXIT.ok;
    }
    const m = managerInfo(await c.getAll(MANAGER_PATH, MANAGER_IFACE));
    const nets = await allNetworks(c);
    if (io.json) io.out(toJson(pascalKeys({ ...m, Networks: nets.map(jsonNetwork) }), 2));
    else io.out(renderManagerStatus(io.style, m, nets, listOptions(io)).join('\n'));
    return EXIT.ok;
  });
}

export async function list(io: Io): Promise<number> {
  return withClient(async (c) => {
    const nets = await allNetworks(c);
    if (io.json) io.out(toJson(nets.map(jsonNetwork), 2));
    else {
      const lines = renderList(io.style, nets, listOptions(io));
      if (lines.length > 0) io.out(lines.join('\n'));
    }
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

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // readFile says why
  }
}

/** `plan`: what a reconcile would change now; `plan PATH…`: what it would change with these drop-ins installed. */
export async function plan(io: Io, paths: readonly string[] = []): Promise<number> {
  const candidates = new Map<string, string>();
  for (const p of paths) {
    const path = resolve(p);
    // A directory stands for its drop-ins, read as the daemon reads a config directory (as check does).
    if (await isDirectory(path)) {
      const { discoverDropIns } = await import('../config/discover.js');
      const found = await discoverDropIns([path]);
      const unreadable = found.diagnostics.filter((d) => d.severity === 'error');
      if (unreadable.length > 0) {
        io.err(unreadable.map((d) => renderDiagnostic(io.style, d)).join('\n'));
        return EXIT.failure;
      }
      if (found.files.length === 0) {
        io.err(`${path}: a directory with no drop-in in it (flatnetctl plan takes drop-in files, or directories of *.conf)`);
        return EXIT.failure;
      }
      for (const f of found.files) candidates.set(f.path, f.text);
      continue;
    }
    try {
      candidates.set(path, await readFile(path, 'utf8'));
    } catch (e) {
      io.err(`${path}: ${describeError(e)}`);
      return EXIT.failure;
    }
  }
  return withClient(async (c) => {
    const body = candidates.size === 0 ? await c.call(MANAGER_PATH, MANAGER_IFACE, 'Plan')
      : await c.call(MANAGER_PATH, MANAGER_IFACE, 'PlanFiles', 'a{ss}', [Object.fromEntries(candidates)]);
    const { operations, blocked } = planFromBus(body);
    const diagnostics = candidates.size === 0 ? [] : diagnosticsFromBus(body[2]);
    // As check: an unknown key is ignored by the daemon, which is rarely what the author meant (`Adress=`).
    const failed = diagnostics.some((d) => d.severity === 'error' || d.code === 'unknown-key');
    if (io.json) {
      // The bus's own keys, as status --json has them.
      io.out(toJson({ Operations: operations.map((o) => o.fields),
        Blocked: blocked.map((b) => ({ Network: b.network, State: b.state, Reason: b.reason })),
        ...(candidates.size === 0 ? {} : { Diagnostics: diagnostics.map((d) => pascalKeys({ ...d, text: formatDiagnostic(d) })) }) }, 2));
      return failed ? EXIT.failure : EXIT.ok;
    }
    if (diagnostics.length > 0) io.err(diagnostics.map((d) => renderDiagnostic(io.style, d)).join('\n'));
    const lines = operations.map((o) => o.description);
    const none = candidates.size === 0 ? 'none applied.' : 'none applied (the drop-ins are not installed).';
    if (operations.length > 0) lines.push('', `${plural(operations.length, 'operation')} planned, ${none}`);
    if (blocked.length > 0) {
      if (lines.length > 0) lines.push('');
      lines.push(...blocked.map((b) => `${b.network}: ${b.state}: ${b.reason}`));
    }
    if (operations.length === 0) {
      lines.push(...(blocked.length > 0 ? ['', `Nothing to do for the ${plural(blocked.length, 'network')} above until that changes.`]
        : [candidates.size === 0 ? 'Nothing to do: every network is as its drop-in says.' : 'Nothing to do: the kernel already is as these drop-ins say.']));
    }
    io.out(lines.join('\n'));
    return failed ? EXIT.failure : EXIT.ok;
  });
}

/** docker-args and podman-args: the engine's argv, as a command to paste or (--json) as the list. */
export async function engineArgs(io: Io, member: 'DockerArgs' | 'PodmanArgs', args: string[]): Promise<number> {
  return withClient(async (c) => {
    const argv = await c.manager(member, 's', [args[0] ?? '']);
    const words = Array.isArray(argv) ? argv.map(String) : [];
    io.out(io.json ? JSON.stringify(words, null, 2) : dockerCommand(words));
    return EXIT.ok;
  });
}

export async function cniConfig(io: Io, args: string[], options: CommandOptions): Promise<number> {
  return withClient(async (c) => {
    const text = String(await c.manager('CniConfig', 's', [args[0] ?? '']));
    if (options.multus !== true) {
      io.out(text);
      return EXIT.ok;
    }
    // Loaded on demand, like check's parser: other commands need no address arithmetic.
    const { multusAttachment, multusAttachmentYaml } = await import('../emit/cni.js');
    const conflist = JSON.parse(text) as CniConflist;
    io.out(io.json ? JSON.stringify(multusAttachment(conflist), null, 2) : multusAttachmentYaml(conflist));
    return EXIT.ok;
  });
}

/** A /22 at 24 addresses a probe wait apart is about 45 s; forced, larger ranges take longer still. */
const PROBE_TIMEOUT_MS = 600_000;

export async function probe(io: Io, args: string[], force: boolean): Promise<number> {
  return withClient(async (c) => {
    const r = probeFromBus(await c.call(MANAGER_PATH, MANAGER_IFACE, 'Probe', 'sb', [args[0] ?? '', force], PROBE_TIMEOUT_MS));
    const name = args[0] ?? '';
    if (io.json) {
      io.out(toJson({ Network: name, Scanned: r.scanned,
        Occupants: r.occupants.map((o) => ({ Address: o.address, MACAddress: o.mac, Owner: o.owner, Detail: o.detail })), Errors: r.errors }, 2));
      return EXIT.ok;
    }
    const rows = r.occupants;
    const lines = rows.map((o) => `${o.address.padEnd(15)}  ${o.mac}  ${(o.owner === 'foreign' ? 'FOREIGN' : 'this host').padEnd(9)}  ${o.detail}`);
    const foreign = rows.filter((o) => o.owner === 'foreign').length;
    io.out([
      ...(lines.length > 0 ? [`${'ADDRESS'.padEnd(15)}  ${'MAC'.padEnd(17)}  ${'OWNER'.padEnd(9)}  DETAIL`, ...lines, ''] : []),
      `${name}: ${plural(r.scanned, 'address', 'addresses')} scanned, ${rows.length} answered, ${foreign} foreign.`,
      ...r.errors.map((e) => `could not probe: ${e}`),
    ].join('\n'));
    return EXIT.ok;
  });
}

export async function routerHints(io: Io, args: string[], options: CommandOptions): Promise<number> {
  const router = options.for ?? '';
  const { isRouter, ROUTERS } = await import('../emit/router.js');
  if (!isRouter(router)) {
    io.err(`flatnetctl: router-hints needs --for ${ROUTERS.join('|')}`);
    return EXIT.usage;
  }
  return withClient(async (c) => {
    const text = String(await c.manager('RouterHints', 'ss', [args[0] ?? '', router]));
    io.out(io.json ? JSON.stringify({ router, text }, null, 2) : text);
    return EXIT.ok;
  });
}

export async function check(io: Io, paths: string[], kernel = false): Promise<number> {
  // Loaded on demand: only `check` needs the config parser.
  const { checkPaths } = await import('../config/check.js');
  const { sortDiagnostics } = await import('../config/load.js');
  const checked = await checkPaths(paths);
  const { notes, networks } = checked;
  let { diagnostics } = checked;
  if (kernel) {
    const { kernelDiagnostics, readLinks } = await import('./check-kernel.js');
    const links = readLinks();
    diagnostics = sortDiagnostics([...diagnostics, ...(Array.isArray(links) ? kernelDiagnostics(networks, links) : [links])]);
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  // An unknown key or section is ignored by the daemon, as systemd does; for
  // check it is a failure: `Adress=` would silently leave the address out.
  const ignored = diagnostics.filter((d) => d.code === 'unknown-key').length;
  const failed = errors > 0 || ignored > 0;
  if (io.json) {
    const shown = (d: Diagnostic): Record<string, unknown> => ({ ...d, text: formatDiagnostic(d) });
    io.out(toJson(pascalKeys({ ok: !failed, diagnostics: diagnostics.map(shown), notes: notes.map(shown), networks }), 2));
    return failed ? EXIT.failure : EXIT.ok;
  }
  const lines = [...diagnostics, ...notes].map((d) => renderDiagnostic(io.style, d));
  const names = networks.map((n) => n.name).join(', ');
  const warnings = diagnostics.length - errors;
  if (io.legend) {
    lines.push(errors > 0
      ? `${plural(errors, 'error')}${warnings > 0 ? `, ${plural(warnings, 'warning')}` : ''}; fix the drop-ins above.`
      : ignored > 0
        ? `${plural(ignored, 'line')} ignored (unknown key or section); fix the drop-ins above.`
        : `${plural(networks.length, 'network')} OK${names ? `: ${names}` : ''}${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}.`);
  }
  if (lines.length > 0) (failed ? io.err : io.out)(lines.join('\n'));
  return failed ? EXIT.failure : EXIT.ok;
}

function label(path: string): string {
  return networkNameFromPath(path) ?? path;
}

export async function monitor(io: Io): Promise<number> {
  const c = await connectClient();
  const emit = (ev: MonitorEvent): void => {
    if (io.json) io.out(toJson(pascalKeys({ time: new Date(io.now()).toISOString(), ...ev })));
    else {
      const line = monitorText(io.style, ev, new Date(io.now()));
      if (line !== '') io.out(line);
    }
  };
  // What each object looked like, so a change can say from what to what.
  const known = new Map<string, Record<string, unknown>>();
  const load = async (): Promise<void> => {
    known.clear();
    const m = await c.getAll(MANAGER_PATH, MANAGER_IFACE);
    if (Array.isArray(m['Networks'])) m['Networks'] = m['Networks'].map((p) => label(String(p)));
    known.set(MANAGER_PATH, m);
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
        // The manager's Networks are object paths (escaped: `_310_2dguest`); a person wants the names.
        const to = iface === MANAGER_IFACE && k === 'Networks' && Array.isArray(unwrap(v)) ? (unwrap(v) as unknown[]).map((p) => label(String(p))) : unwrap(v);
        changes[k] = { from: before[k], to };
        before[k] = to;
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
