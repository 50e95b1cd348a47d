// The system bus address, kept apart from connect.ts so that main.ts can know
// where the bus is without loading dbus-next. dbus-next's systemBus() ignores a
// busAddress option and reads DBUS_SYSTEM_BUS_ADDRESS (default
// unix:path=/var/run/dbus/system_bus_socket); tests point that variable at a private bus.

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
