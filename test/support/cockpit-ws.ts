// A real Cockpit for the page's tests: Debian's cockpit-ws serving a local
// session (cockpit-bridge as the calling user, no login) on 127.0.0.1 inside
// the test's own network namespace, the bridge pointed at the test's private
// system bus, the package found under XDG_DATA_HOME as a user's own package.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { exec } from './lab.js';
import { waitUntil } from './wait.js';

export const COCKPIT_WS = '/usr/lib/cockpit/cockpit-ws';
export const COCKPIT_BRIDGE = '/usr/bin/cockpit-bridge';

/** Why Cockpit cannot run here, or null. */
export function cockpitMissing(): string | null {
  for (const p of [COCKPIT_WS, COCKPIT_BRIDGE]) if (!existsSync(p)) return `${p} is not installed (apt-get install cockpit-ws cockpit-bridge)`;
  return null;
}

export interface CockpitWs {
  /** The page's URL in this Cockpit (the package opened on its own, outside the shell's frame). */
  url: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

export interface CockpitOptions {
  netns: string;
  port: number;
  busAddress: string;
  /** XDG_DATA_HOME holding cockpit/flatnet/. */
  dataHome: string;
  /** A writable directory of the session's user (HOME, XDG_RUNTIME_DIR). */
  home: string;
  /** Run the whole session as this uid/gid (an unprivileged user); default the test's (root). */
  uid?: number;
}

export async function startCockpit(o: CockpitOptions): Promise<CockpitWs> {
  const as = o.uid === undefined ? [] : ['setpriv', `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups'];
  const env = [`DBUS_SYSTEM_BUS_ADDRESS=${o.busAddress}`, `XDG_DATA_HOME=${o.dataHome}`, `HOME=${o.home}`,
    `XDG_RUNTIME_DIR=${o.home}`, 'LANG=C.UTF-8', `PATH=${process.env['PATH'] ?? '/usr/bin:/bin'}`];
  const argv = ['netns', 'exec', o.netns, ...as, 'env', '-i', ...env, COCKPIT_WS, '--no-tls',
    `--local-session=${COCKPIT_BRIDGE}`, '--port', String(o.port), '--address', '127.0.0.1'];
  const proc: ChildProcess = spawn('ip', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer): void => { out = (out + b.toString()).slice(-20_000); };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  await waitUntil(`cockpit-ws listening on 127.0.0.1:${o.port} in ${o.netns}`, async () => {
    if (proc.exitCode !== null) throw new Error(`cockpit-ws exited with ${proc.exitCode}: ${out}`);
    const r = await exec(['ip', 'netns', 'exec', o.netns, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${o.port}`]);
    return r.code === 0;
  }, 10_000, 100);
  return {
    url: `http://127.0.0.1:${o.port}/cockpit/@localhost/flatnet/index.html`,
    port: o.port,
    log: () => out,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
