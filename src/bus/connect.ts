// The system bus connection (the address: ./address.ts).
//
// When the bus goes away dbus-next emits nothing until a write fails, and calls in
// flight never settle; onBusLost also watches the socket's end so the daemon
// can let go of the connection at once and wait for the bus to come back
// (src/bus-attach.ts).

import { sessionBus, type MessageBus } from 'dbus-next';
import type { EventEmitter } from 'node:events';
import { describeError } from '../errors.js';
import { systemBusAddress, viaNodeSocket } from './address.js';

export { DEFAULT_SYSTEM_BUS, systemBusAddress, viaNodeSocket } from './address.js';

export class BusConnectError extends Error {
  constructor(readonly address: string, readonly reason: string) {
    super(`cannot connect to the system bus at ${address}: ${reason}`);
    this.name = 'BusConnectError';
  }
}

/** Connect to the system bus; resolves once the bus has said Hello. */
export async function connectSystemBus(opts: { timeoutMs?: number; address?: string } = {}): Promise<MessageBus> {
  const address = opts.address ?? systemBusAddress();
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
 * The caller decides what to do; flatnetd keeps working and attaches again.
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
