// flatnetctl's main: parse, run one command, map errors to messages and exit codes.

import { packageVersion } from '../version.js';
import { DBusError } from 'dbus-next';
import { DaemonNotRunning } from './client.js';
import { helpText, parseCommandLine, WAIT_ONLINE_DEFAULT_TIMEOUT_SEC } from './args.js';
import { journalLines } from './journal.js';
import { change, check, cniConfig, engineArgs, EXIT, list, monitor, plan, probe, routerHints, status, type Io } from './commands.js';

const DENIED = new Set(['org.freedesktop.DBus.Error.AccessDenied', 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired']);

/** The message for a failed command: what went wrong and what to do. */
export function errorMessage(e: unknown, argv: readonly string[]): string {
  if (e instanceof DBusError) {
    if (DENIED.has(e.type)) {
      return `${argv.join(' ')}: permission denied: only root, or a user polkit allows (action org.flatnet.flatnet1.manage), may change flatnetd (try: sudo flatnetctl ${argv.join(' ')})`;
    }
    return e.text || e.type;
  }
  return e instanceof Error ? e.message : String(e);
}

/** $COLUMNS first, as systemd does, then the terminal's own; null when neither says (a pty of size 0). */
export function terminalWidth(columnsEnv: string | undefined, ttyColumns: number | undefined): number | null {
  const fromEnv = columnsEnv !== undefined && /^[1-9][0-9]{0,4}$/.test(columnsEnv) ? Number(columnsEnv) : 0;
  if (fromEnv > 0) return fromEnv;
  return ttyColumns !== undefined && ttyColumns > 0 ? ttyColumns : null;
}

export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const parsed = parseCommandLine(argv);
  const out = (t: string): void => { process.stdout.write(`${t}\n`); };
  const err = (t: string): void => { process.stderr.write(`${t}\n`); };
  switch (parsed.kind) {
    case 'help': out(helpText(packageVersion())); return EXIT.ok;
    case 'version': out(`flatnetctl ${packageVersion()}`); return EXIT.ok;
    case 'usage': err(`flatnetctl: ${parsed.message}\nSee 'flatnetctl --help'.`); return EXIT.usage;
    case 'run': break;
  }
  // Only monitor catches SIGINT/SIGTERM (to leave cleanly); elsewhere Ctrl-C kills as usual.
  const stopped = (): Promise<void> => new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const tty = process.stdout.isTTY === true;
  const { options } = parsed;
  const io: Io = {
    out, err, json: parsed.json, now: () => Date.now(), stopped,
    legend: !options.noLegend, summary: tty && !options.noLegend,
    width: tty && !options.full ? terminalWidth(env['COLUMNS'], process.stdout.columns) : null,
    journal: (network) => journalLines(network, options.lines),
    style: { colour: process.stdout.isTTY === true && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb' },
  };
  const { command, args } = parsed;
  try {
    switch (command.name) {
      case 'status': return await status(io, args);
      case 'list': return await list(io);
      case 'up': return await change('Up', args);
      case 'down': return await change('Down', args);
      case 'reload': return await change('Reload', args);
      case 'reconcile': return await change('Reconcile', args);
      case 'plan': return await plan(io, args);
      case 'check': return await check(io, args, options.kernel);
      case 'docker-args': return await engineArgs(io, 'DockerArgs', args);
      case 'podman-args': return await engineArgs(io, 'PodmanArgs', args);
      case 'cni-config': return await cniConfig(io, args, options);
      case 'router-hints': return await routerHints(io, args, options);
      case 'probe': return await probe(io, args, options.force === true);
      case 'monitor': return await monitor(io);
      case 'wait-online': {
        const { waitOnline } = await import('./wait-online.js');
        return await waitOnline(io, args, options.timeoutSec ?? WAIT_ONLINE_DEFAULT_TIMEOUT_SEC);
      }
      default: err(`flatnetctl: ${command.name} is not implemented`); return EXIT.failure;
    }
  } catch (e) {
    err(e instanceof DaemonNotRunning ? e.message : `flatnetctl: ${errorMessage(e, [command.name, ...args])}`);
    return e instanceof DaemonNotRunning ? EXIT.notRunning : EXIT.failure;
  }
}

