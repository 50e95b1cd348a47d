// The systemd notification protocol as the daemon uses it: one datagram per
// message to $NOTIFY_SOCKET. Node has no unix datagram sockets, so the send is
// our own Node-API addon (native/notify: a socket() and a sendto(), no
// libsystemd). Node-API's ABI is stable across Node majors: the addon built
// at install time keeps loading after Node is upgraded, which a V8-API addon
// (NODE_MODULE_VERSION-bound) does not, and a daemon that cannot say READY=1
// leaves docker.service waiting for nothing.
//
// If the addon cannot be loaded at all (not built, removed), messages go
// through systemd-notify(1) instead: a child per message, which systemd
// believes only with NotifyAccess=all (the shipped unit says main: `all`
// would raise its exposure score for a case the packages' tests rule out);
// systemd-notify waits for systemd to have read each (its barrier) before it
// exits, so its own exit does not lose the message.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Notifier {
  ready(): void;
  reloading(): void;
  stopping(): void;
  status(line: string): void;
  watchdog(): void;
  /** WATCHDOG_USEC/2 in ms when systemd asked for keep-alives, else 0. */
  watchdogIntervalMs(): number;
}

export const nullNotifier: Notifier = {
  ready: () => undefined,
  reloading: () => undefined,
  stopping: () => undefined,
  status: () => undefined,
  watchdog: () => undefined,
  watchdogIntervalMs: () => 0,
};

/** Sends one notification (`KEY=VALUE` lines); reports a failure through `onError`. */
export type Send = (message: string) => void;

/** Where the addon is, from dist/src/notify.js (the build) and from the packages' trees alike. */
export const NOTIFY_ADDON = new URL('../../native/notify/build/Release/flatnetd_notify.node', import.meta.url);

interface NotifyAddon {
  send(address: string, message: string): number;
}

function isNotifyAddon(m: unknown): m is NotifyAddon {
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>)['send'] === 'function';
}

/** The addon's send on `address`, or why it cannot be had. */
export function addonSend(address: string, addonPath: string, onError: (e: string) => void): Send | { error: string } {
  let addon: unknown;
  try {
    addon = createRequire(import.meta.url)(addonPath);
  } catch (e) {
    return { error: firstLine(e instanceof Error ? e.message : String(e)) };
  }
  if (!isNotifyAddon(addon)) return { error: `${addonPath}: not the notify addon (no send())` };
  return (message) => {
    const r = addon.send(address, message);
    if (r !== 0) onError(`cannot send ${firstLine(message)} to NOTIFY_SOCKET=${address}: errno ${-r}`);
  };
}

/**
 * systemd-notify(1), one child per message, one at a time so they arrive in
 * order. The child's environment carries NOTIFY_SOCKET.
 */
export function systemdNotifySend(env: NodeJS.ProcessEnv, onError: (e: string) => void, command = 'systemd-notify'): Send {
  let chain = Promise.resolve();
  return (message) => {
    chain = chain.then(() => new Promise<void>((resolve) => {
      const child = spawn(command, message.split('\n'), { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
      child.on('error', (e) => { onError(`${command}: ${e.message}`); resolve(); });
      child.on('close', (code) => {
        if (code !== 0 && code !== null) onError(`${command} ${firstLine(message)}: exit ${code}${err ? `: ${firstLine(err.trim())}` : ''}`);
        resolve();
      });
    }));
  };
}

export interface SystemdNotifier {
  notifier: Notifier;
  /** Set when the addon could not be loaded and systemd-notify(1) stands in: say so once. */
  fallback: string | null;
}

export interface NotifierOptions {
  /** Where the addon is; FLATNET_NOTIFY_ADDON (a test hook) or NOTIFY_ADDON. */
  addonPath?: string;
  onError: (e: string) => void;
}

/**
 * A Notifier on NOTIFY_SOCKET, or the no-op one when systemd did not give us
 * a socket.
 */
export function systemdNotifier(env: NodeJS.ProcessEnv, o: NotifierOptions): SystemdNotifier {
  const address = env['NOTIFY_SOCKET'];
  if (address === undefined || address === '') return { notifier: nullNotifier, fallback: null };
  const addonPath = o.addonPath ?? env['FLATNET_NOTIFY_ADDON'] ?? fileURLToPath(NOTIFY_ADDON);
  const viaAddon = addonSend(address, addonPath, o.onError);
  const send = typeof viaAddon === 'function' ? viaAddon : systemdNotifySend(env, o.onError);
  const fallback = typeof viaAddon === 'function' ? null : viaAddon.error;
  const usec = Number(env['WATCHDOG_USEC'] ?? 0);
  const pid = env['WATCHDOG_PID'];
  const watchdogMs = usec > 0 && (pid === undefined || Number(pid) === process.pid) ? Math.floor(usec / 2000) : 0;
  return {
    fallback,
    notifier: {
      ready: () => send('READY=1'),
      reloading: () => send(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`),
      stopping: () => send('STOPPING=1'),
      status: (line) => send(`STATUS=${line.replace(/\n/g, ' ')}`),
      watchdog: () => send('WATCHDOG=1'),
      watchdogIntervalMs: () => watchdogMs,
    },
  };
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0] ?? '';
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
