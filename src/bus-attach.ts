// Puts the daemon on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
// When the bus goes away dbus-next emits nothing until a write fails and
// pending calls never settle, so we exit and let systemd restart us
// (Restart=on-failure); the links stay, and the next start adopts them.

import { connectSystemBus, exportDaemon, onBusLost } from './bus/index.js';
import { describeError } from './errors.js';
import type { DaemonApi } from './model/status.js';
import type { Logger } from './log.js';

export interface BusAttachment {
  close(): Promise<void>;
}

export async function attachBus(daemon: DaemonApi, log: Logger, onLost: (reason: string) => void): Promise<BusAttachment> {
  const bus = await connectSystemBus({ timeoutMs: 10_000 });
  const unhook = onBusLost(bus, onLost);
  let exported;
  try {
    exported = await exportDaemon(bus, daemon, { logger: log });
  } catch (e) {
    unhook();
    bus.disconnect();
    throw new Error(`cannot take org.flatnet.flatnet1 on the system bus: ${describeError(e)}`);
  }
  log.info('on the system bus as org.flatnet.flatnet1');
  return {
    close: async () => {
      unhook();
      exported.close();
      bus.disconnect();
    },
  };
}
