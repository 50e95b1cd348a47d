import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, type Diagnostic } from '../../src/errors.js';
import type { NetworkConfig } from '../../src/model/config.js';
import { buildConfigSet } from '../../src/config/load.js';
import { networkFromUnit } from '../../src/config/network.js';
import { parseUnitFile } from '../../src/config/unitfile.js';

/** Repository root, from dist/test/support/. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = `${REPO}test/fixtures/config`;
export const LAN = '/etc/flatnet.d/10-lan.conf';

/** What a user sees: `error: path:line: Key=value: message`. */
export function shown(ds: readonly Diagnostic[]): string[] {
  return ds.map((d) => `${d.severity}: ${formatDiagnostic(d)}`);
}

/** Diagnostics of one drop-in (per-file checks only). */
export function check(text: string, path = LAN): string[] {
  return shown(networkFromUnit(path, parseUnitFile(path, text).sections).diagnostics);
}

/** A drop-in that must be valid; its warnings are returned with it. */
export function valid(text: string, path = LAN): { net: NetworkConfig; warnings: string[] } {
  const set = buildConfigSet([{ path, text }]);
  const errors = set.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(shown(errors), []);
  const net = set.networks[0];
  assert.ok(net !== undefined, 'the network is valid');
  return { net, warnings: shown(set.diagnostics) };
}

/** `[Network]` with the given lines, the README's flat LAN as the base. */
export const lan = (...extra: string[]): string =>
  ['[Network]', 'Parent=enp3s0', 'Subnet=192.168.88.0/24', 'Gateway=192.168.88.1', 'IPRange=192.168.88.192/27', ...extra, ''].join('\n');
