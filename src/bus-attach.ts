// Puts the daemon on the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
// When the bus goes away dbus-next emits nothing until a write fails and
// pending calls never settle, so we exit and let systemd restart us.

import type { DaemonApi } from './model/status.js';
import type { Logger } from './log.js';

export interface BusAttachment {
  close(): Promise<void>;
}

export async function attachBus(_daemon: DaemonApi, log: Logger): Promise<BusAttachment> {
  log.warning('D-Bus interface not built yet; running without it');
  return { close: async () => undefined };
}
