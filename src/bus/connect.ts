// The system bus connection. dbus-next's systemBus() ignores a busAddress option
// and reads DBUS_SYSTEM_BUS_ADDRESS (default unix:path=/var/run/dbus/system_bus_socket);
// tests point that variable at a private bus.
//
// When the bus goes away dbus-next emits nothing until a write fails, and calls in
// flight never settle; onBusLost also watches the socket's end so the daemon can
// exit at once and let systemd restart it.

import { sessionBus, type MessageBus } from 'dbus-next';
import type { EventEmitter } from 'node:events';
import { describeError } from '../errors.js';

export const DEFAULT_SYSTEM_BUS = 'unix:path=/var/run/dbus/system_bus_socket';

export function systemBusAddress(env: Record<string, string | undefined> = process.env): string {
  return env['DBUS_SYSTEM_BUS_ADDRESS'] || DEFAULT_SYSTEM_BUS;
}

/**
 * The same address with `unix:path=` written `unix:socket=`, which makes
 * dbus-next use Node's own socket rather than usocket, its optional native
 * transport: usocket loses the tail of any message larger than the socket's
 * send buffer (~208 KiB), the bus drops the connection, and flatnetd exited —
 * a Describe of ~1000 networks, or of a drop-in with thousands of warnings,
 * did that for any caller (test/reliability/dbus-large.test.ts).
 */
export function viaNodeSocket(address: string): string {
  return address.split(';').map((a) => a.replace(/^unix:path=/, 'unix:socket=')).join(';');
}

export class BusConnectError extends Error {
  constructor(readonly address: string, readonly reason: string) {
    super(`cannot connect to the system bus at ${address}: ${reason}`);
    this.name = 'BusConnectError';
  }
}

/** Connect to the system bus; resolves once the bus has said Hello. */
export async function connectSystemBus(opts: { timeoutMs?: number } = {}): Promise<MessageBus> {
  const address = systemBusAddress();
  // systemBus() would take the same address from the environment, but through usocket.
  const bus = sessionBus({ busAddress: viaNodeSocket(address) });
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (err?: unknown): void => {
      if (timer !== undefined) clearTimeout(timer);
      bus.removeListener('connect', onConnect);
      bus.removeListener('error', onError);
      if (err === undefined) resolve();
      else {
        // Keep a late socket error from becoming an uncaught exception.
        bus.on('error', () => undefined);
        try { bus.disconnect(); } catch { /* already gone */ }
        // usocket appends its own source location (`USocket socket '../src/uwrap.cc:525'`): not for people.
        reject(new BusConnectError(address, describeError(err).replace(/,?\s*USocket socket '[^']*'/, '')));
      }
    };
    const onConnect = (): void => done();
    const onError = (e: unknown): void => done(e ?? new Error('connection failed'));
    bus.on('connect', onConnect);
    bus.on('error', onError);
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => done(new Error('no answer (timed out)')), opts.timeoutMs);
  });
  return bus;
}

/**
 * Call `handler` once when the bus connection is lost (socket closed or failed).
 * The daemon decides what to do; flatnetd exits and systemd restarts it.
 * Returns a function that removes the hook.
 */
export function onBusLost(bus: MessageBus, handler: (reason: string) => void): () => void {
  let fired = false;
  const fire = (reason: string): void => {
    if (fired) return;
    fired = true;
    handler(reason);
  };
  const onError = (e: unknown): void => fire(`system bus connection failed: ${describeError(e)}`);
  const onEnd = (): void => fire('the system bus closed the connection');
  bus.on('error', onError);
  // dbus-next keeps the socket's connection object private; its 'end' is the
  // only prompt sign that dbus-daemon went away.
  const conn = (bus as unknown as { _connection?: EventEmitter })._connection;
  conn?.on('end', onEnd);
  return () => {
    bus.removeListener('error', onError);
    conn?.removeListener('end', onEnd);
  };
}
