// The D-Bus adapter: what main.ts and flatnetctl import.

export { exportDaemon, type ExportOptions, type ExportedDaemon } from './export.js';
export { connectSystemBus, onBusLost, systemBusAddress, BusConnectError, DEFAULT_SYSTEM_BUS } from './connect.js';
export { BUS_NAME, MANAGER_PATH, NETWORK_PATH_PREFIX, MANAGER_IFACE, NETWORK_IFACE, OBJECT_MANAGER_IFACE,
  PROPERTIES_IFACE, busLabelEscape, busLabelUnescape, networkPath, networkNameFromPath } from './path.js';
export { BusErrors, ERROR_PREFIX, MAX_NAME_BYTES, DEFAULT_MAX_ARG_BYTES, toDBusError } from './errors.js';
export { toJson } from './json.js';
