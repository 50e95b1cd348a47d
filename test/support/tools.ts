// Small helpers for the packaging tests: where the repository is, running a
// tool and reading what it said, and systemd's unit-file syntax.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/packaging/). */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  if (r.error) return { code: null, stdout: '', stderr: String(r.error) };
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function have(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).code === 0;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** One `Key=Value` line of a unit file, in order, with its line number. */
export interface UnitEntry {
  section: string;
  key: string;
  value: string;
  line: number;
}

/** systemd unit syntax: `[Section]`, `Key=Value`, `#`/`;` comment lines, `\` continuations. */
export function parseUnit(text: string): UnitEntry[] {
  const entries: UnitEntry[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let l = (lines[i] ?? '').trim();
    const lineNo = i + 1;
    while (l.endsWith('\\') && i + 1 < lines.length) {
      i++;
      l = `${l.slice(0, -1)} ${(lines[i] ?? '').trim()}`;
    }
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(l);
    if (sec) {
      section = sec[1] ?? '';
      continue;
    }
    const eq = l.indexOf('=');
    if (eq < 0) throw new Error(`line ${lineNo}: not Key=Value: ${l}`);
    entries.push({ section, key: l.slice(0, eq).trim(), value: l.slice(eq + 1).trim(), line: lineNo });
  }
  return entries;
}

/** The value in force for a scalar key (the last assignment), or undefined. */
export function scalar(entries: readonly UnitEntry[], section: string, key: string): string | undefined {
  const hits = entries.filter((e) => e.section === section && e.key === key);
  return hits[hits.length - 1]?.value;
}

/** A list key's words, as systemd accumulates them: repeated lines add, an empty assignment resets. */
export function words(entries: readonly UnitEntry[], section: string, key: string): string[] {
  let acc: string[] = [];
  for (const e of entries) {
    if (e.section !== section || e.key !== key) continue;
    if (e.value === '') acc = [];
    else acc.push(...e.value.split(/\s+/));
  }
  return acc;
}
