// flatnetd's and flatnetctl's version: the one in package.json, which the
// Debian and Nix packages install beside dist/.

import { readFileSync } from 'node:fs';

/** The `version` of package.json (two levels above dist/src/), or `unknown`. */
export function packageVersion(): string {
  try {
    const v: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (typeof v === 'object' && v !== null && 'version' in v && typeof v.version === 'string') return v.version;
  } catch { /* unknown, below */ }
  return 'unknown';
}
