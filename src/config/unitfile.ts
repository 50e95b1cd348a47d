// A systemd unit-file reader that keeps what the `ini` package throws away:
// repeated sections stay separate, repeated keys stay in order, a `;` or `#`
// after a value's first character is part of the value, and every entry keeps
// its line number. Meaning is given to the entries by keys.ts, not here.

import type { Diagnostic } from '../errors.js';

export interface UnitEntry {
  key: string;
  value: string;
  /** Line of the entry's first physical line (continuations follow it). */
  line: number;
}

export interface UnitSection {
  name: string;
  line: number;
  entries: UnitEntry[];
}

export interface ParsedUnit {
  sections: UnitSection[];
  diagnostics: Diagnostic[];
}

const COMMENT_START = /^[ \t]*[#;]/;

/** A line continues when it ends in an odd run of backslashes (`\\` is a literal one). */
function continues(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function shown(s: string): string {
  const t = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(t);
}

export function parseUnitFile(path: string, text: string): ParsedUnit {
  const sections: UnitSection[] = [];
  const diagnostics: Diagnostic[] = [];
  let current: UnitSection | null = null;

  const syntax = (line: number, message: string, kv?: { key: string; value: string }): void => {
    const d: Diagnostic = { severity: 'error', code: 'syntax', file: path, line, message };
    if (kv !== undefined) {
      d.key = kv.key;
      d.value = kv.value;
    }
    diagnostics.push(d);
  };

  const logicalLine = (raw: string, line: number): void => {
    const t = raw.trim();
    if (t === '') return;
    if (t.startsWith('[')) {
      const name = t.endsWith(']') ? t.slice(1, -1) : null;
      if (name === null) return syntax(line, `section header ${shown(t)} has no closing "]"`);
      if (name === '' || name.trim() !== name || /[[\]]/.test(name)) return syntax(line, `invalid section header ${shown(t)}`);
      current = { name, line, entries: [] };
      sections.push(current);
      return;
    }
    const eq = t.indexOf('=');
    if (eq < 0) return syntax(line, `not a [Section], Key=Value or comment line: ${shown(t)}`);
    const key = t.slice(0, eq).trim();
    const value = t.slice(eq + 1).trim();
    if (key === '') return syntax(line, `no key before "=": ${shown(t)}`);
    if (current === null) return syntax(line, 'assignment before any [Section]', { key, value });
    current.entries.push({ key, value, line });
  };

  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split('\n');
  // Continuation as systemd does it: the trailing backslash becomes a space,
  // comment lines inside a continuation are skipped, a blank line ends it.
  let pending: { text: string; line: number } | null = null;
  for (const [i, physical] of lines.entries()) {
    const raw = physical.endsWith('\r') ? physical.slice(0, -1) : physical;
    if (COMMENT_START.test(raw)) continue;
    const joined: string = pending === null ? raw : pending.text + raw;
    const start: number = pending === null ? i + 1 : pending.line;
    if (continues(joined)) {
      pending = { text: `${joined.slice(0, -1)} `, line: start };
      continue;
    }
    pending = null;
    logicalLine(joined, start);
  }
  if (pending !== null) logicalLine(pending.text, pending.line);
  return { sections, diagnostics };
}
