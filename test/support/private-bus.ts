// A private "system" bus for the demo and the real-daemon bus tests:
// dbus-daemon with our own policy file,
// on a filesystem socket (an abstract socket would be invisible from inside
// the NAS's network namespace, where flatnetd runs).

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const POLICY = fileURLToPath(new URL('../../../dbus/org.flatnet.flatnet1.conf', import.meta.url));
export const FLATNETCTL = fileURLToPath(new URL('../../src/cli/flatnetctl.js', import.meta.url));

export interface DemoBus {
  address: string;
  env: NodeJS.ProcessEnv;
  stop(): void;
  kill(signal?: NodeJS.Signals): void;
  pid: number;
}

/** `dir` must be reachable by every uid that will connect (tests switch to nobody).
 *  `socket` names the socket file in `dir` (a test can listen under another
 *  name and rename it into place once its own clients are connected). */
export async function startDemoBus(dir: string, socket = 'system_bus_socket'): Promise<DemoBus> {
  const conf = join(dir, 'bus.conf');
  writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=${join(dir, socket)}</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>${POLICY}</include>
</busconfig>
`);
  const proc: ChildProcess = spawn('dbus-daemon', [`--config-file=${conf}`, '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  if (proc.stdout === null) throw new Error('dbus-daemon gave no stdout');
  const address = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('dbus-daemon did not print its address within 10 s')), 10_000);
    createInterface({ input: proc.stdout! }).once('line', (l) => { clearTimeout(t); resolve(l.trim()); });
    proc.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  return { address, env: { DBUS_SYSTEM_BUS_ADDRESS: address }, stop: () => proc.kill('SIGTERM'), kill: (signal = 'SIGTERM') => proc.kill(signal), pid: proc.pid ?? 0 };
}

/** Runs flatnetctl against the bus; returns what it printed (stdout and stderr). */
export async function flatnetctl(bus: DemoBus, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [FLATNETCTL, ...args], { env: { ...process.env, ...bus.env, NO_COLOR: '1' } });
    return stdout + stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message?: string };
    return `${err.stdout ?? ''}${err.stderr ?? err.message ?? ''}`;
  }
}
