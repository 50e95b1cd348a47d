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

/** Syntax errors shown per file; the rest are counted in one more line. */
export const MAX_SYNTAX_ERRORS = 10;

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

  // A file that is not a drop-in at all (XML, a script) would give one error
  // per line: the first few say what is wrong, one more line says how many followed.
  let suppressed = 0;
  let firstSuppressed = 0;
  const syntax = (line: number, message: string, kv?: { key: string; value: string }): void => {
    if (diagnostics.length >= MAX_SYNTAX_ERRORS) {
      if (suppressed++ === 0) firstSuppressed = line;
      return;
    }
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
      const commented = name === null ? /^\[([^\]]*)\][ \t]+[#;]/.exec(t) : null;
      if (commented !== null) {
        // The section is still opened, so its keys are read and not each reported as outside any section.
        current = { name: commented[1] ?? '', line, entries: [] };
        sections.push(current);
        return syntax(line, 'inline comments are not supported: put the comment on a line of its own, starting with # or ;');
      }
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
  // The pieces are joined once at the end: re-joining on every line made a
  // file of continuations quadratic (1 MiB took minutes).
  let pending: { parts: string[]; line: number } | null = null;
  for (const [i, physical] of lines.entries()) {
    const raw = physical.endsWith('\r') ? physical.slice(0, -1) : physical;
    if (COMMENT_START.test(raw)) continue;
    // A pending part ends in a space, so the backslash run is all in `raw`.
    if (continues(raw)) {
      const part = `${raw.slice(0, -1)} `;
      if (pending === null) pending = { parts: [part], line: i + 1 };
      else pending.parts.push(part);
      continue;
    }
    if (pending === null) logicalLine(raw, i + 1);
    else logicalLine(pending.parts.join('') + raw, pending.line);
    pending = null;
  }
  if (pending !== null) logicalLine(pending.parts.join(''), pending.line);
  if (suppressed > 0) {
    diagnostics.push({
      severity: 'error', code: 'syntax', file: path, line: firstSuppressed,
      message: `… and ${suppressed} more line${suppressed === 1 ? '' : 's'} with syntax errors, not shown (is this a drop-in at all?)`,
    });
  }
  return { sections, diagnostics };
}
