// The last journal lines about one network, for `flatnetctl status NAME`, as
// networkctl status shows a link's. flatnetd writes every line about a
// network as `NAME: …` (stderr to journald carries no fields of our own), so
// the network's story is a --grep on its unit's journal. Best effort: without
// journalctl, or without the right to read the journal, there is nothing to add.

import { spawnSync } from 'node:child_process';

export const UNIT = 'flatnetd.service';

/** `^lan\.v2: ` for journalctl --grep (PCRE): a network name may hold "." */
export function grepFor(network: string): string {
  return `^${network.replace(/[.\\^$|?*+()[\]{}-]/g, '\\$&')}: `;
}

export function journalArgs(network: string, lines: number): string[] {
  return ['--unit', UNIT, '--no-pager', '--quiet', '--output', 'short-iso', '--lines', String(lines), '--grep', grepFor(network)];
}

export function journalLines(network: string, lines: number): string[] {
  if (lines <= 0) return [];
  const r = spawnSync('journalctl', journalArgs(network, lines), { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined || r.status !== 0) return [];
  return r.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('-- '));
}
