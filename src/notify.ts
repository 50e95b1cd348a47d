// The systemd notification protocol as the daemon uses it. The real one wraps
// the `sd-notify` addon (libsystemd's sd_notify: Node has no unix datagram
// sockets); tests and `--no-notify` get the no-op.

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

interface SdNotifyModule {
  ready(): void;
  stopping(): void;
  watchdog(): void;
  sendStatus(text: string): void;
  sendState(text: string): void;
}

function isSdNotify(m: unknown): m is SdNotifyModule {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return ['ready', 'stopping', 'watchdog', 'sendStatus', 'sendState'].every((k) => typeof r[k] === 'function');
}

/** A Notifier on NOTIFY_SOCKET, or the no-op one when systemd did not give us a socket. */
export async function systemdNotifier(env: NodeJS.ProcessEnv): Promise<Notifier> {
  if (!env['NOTIFY_SOCKET']) return nullNotifier;
  const mod: unknown = await import('sd-notify').then((m: { default?: unknown }) => m.default ?? m);
  if (!isSdNotify(mod)) throw new Error('sd-notify addon did not load: is libsystemd0 installed?');
  const usec = Number(env['WATCHDOG_USEC'] ?? 0);
  const pid = env['WATCHDOG_PID'];
  const watchdogMs = usec > 0 && (pid === undefined || Number(pid) === process.pid) ? Math.floor(usec / 2000) : 0;
  return {
    ready: () => mod.ready(),
    reloading: () => mod.sendState(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`),
    stopping: () => mod.stopping(),
    status: (line) => mod.sendStatus(line),
    watchdog: () => mod.watchdog(),
    watchdogIntervalMs: () => watchdogMs,
  };
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
