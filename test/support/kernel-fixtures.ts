// Reads test/fixtures/kernel/* from the source tree (tsc does not copy them
// into dist/, so the path is resolved from the repository root).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// dist/test/support/kernel-fixtures.js → repository root is three levels up.
const root = fileURLToPath(new URL('../../../', import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(`${root}test/fixtures/kernel/${name}`, 'utf8');
}

export function fixtureJson(name: string): unknown {
  return JSON.parse(fixtureText(name)) as unknown;
}

/** A capture script's `<case>\t<exit code>\t<stderr or ok>` lines, as case → answer. */
export function recordedAnswers(name: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fixtureText(name).split('\n')) {
    const [what, , answer] = line.split('\t');
    if (what !== undefined && answer !== undefined) m.set(what, answer);
  }
  return m;
}
