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

/**
 * A Notifier on NOTIFY_SOCKET, or the no-op one when systemd did not give us a
 * socket. It is usable at once: the addon (a native module, ~7 ms to load)
 * loads behind it while the first reconcile waits on the kernel, and what was
 * sent before it arrived goes out then, in order. `loaded` rejects when the
 * addon cannot load (the daemon then exits: systemd would wait for READY=1).
 */
export function systemdNotifier(env: NodeJS.ProcessEnv): { notifier: Notifier; loaded: Promise<void> } {
  if (!env['NOTIFY_SOCKET']) return { notifier: nullNotifier, loaded: Promise.resolve() };
  let mod: SdNotifyModule | null = null;
  const queued: ((m: SdNotifyModule) => void)[] = [];
  const send = (f: (m: SdNotifyModule) => void): void => {
    if (mod !== null) f(mod);
    else queued.push(f);
  };
  const loaded = import('sd-notify').then((m: { default?: unknown }) => {
    const got: unknown = m.default ?? m;
    if (!isSdNotify(got)) throw new Error('sd-notify addon did not load: is libsystemd0 installed?');
    mod = got;
    for (const f of queued.splice(0)) f(got);
  });
  const usec = Number(env['WATCHDOG_USEC'] ?? 0);
  const pid = env['WATCHDOG_PID'];
  const watchdogMs = usec > 0 && (pid === undefined || Number(pid) === process.pid) ? Math.floor(usec / 2000) : 0;
  return {
    loaded,
    notifier: {
      ready: () => send((m) => m.ready()),
      reloading: () => {
        const at = monotonicUsec(); // when reloading began, not when the addon arrived
        send((m) => m.sendState(`RELOADING=1\nMONOTONIC_USEC=${at}`));
      },
      stopping: () => send((m) => m.stopping()),
      status: (line) => send((m) => m.sendStatus(line)),
      watchdog: () => send((m) => m.watchdog()),
      watchdogIntervalMs: () => watchdogMs,
    },
  };
}

function monotonicUsec(): string {
  return (process.hrtime.bigint() / 1000n).toString();
}
