// Pure text formatting for flatnetctl: aligned like networkctl, colour only
// when asked (the caller decides: stdout is a TTY and NO_COLOR is unset).

export interface Style {
  colour: boolean;
}

const SGR = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m' };
type Paint = keyof typeof SGR;

export function paint(style: Style, what: Paint | null, text: string): string {
  return style.colour && what !== null && text !== '' ? `${SGR[what]}${text}${SGR.reset}` : text;
}

/** Colour for a network or manager state. */
export function stateColour(state: string): Paint | null {
  switch (state) {
    case 'configured': case 'running': return 'green';
    case 'degraded': case 'waiting-for-parent': case 'no-carrier': return 'yellow';
    case 'failed': case 'invalid': return 'red';
    case 'down': return 'dim';
    case 'starting': case 'reloading': case 'probing': return 'cyan';
    default: return null;
  }
}

/** Visible width (our output is ASCII plus a few single-width symbols like ●). */
function width(text: string): number {
  return [...text].length;
}

export interface Cell {
  text: string;
  paint?: Paint | null;
}

export interface TableOptions {
  /** Print the header line (off with --no-legend). */
  header?: boolean;
  /** Fit the table in this many characters by shortening the widest columns with "…"; null: never. */
  width?: number | null;
  /** Columns never shortened (a fixed vocabulary such as STATE reads wrong when cut). */
  keep?: readonly number[];
}

/** Columns no narrower than this are shortened to fit: enough to tell names apart. */
const MIN_COLUMN = 6;

/** `enp3s0.200-very-long` in 10 → `enp3s0.20…`. */
export function ellipsize(text: string, w: number): string {
  const chars = [...text];
  return chars.length <= w ? text : `${chars.slice(0, Math.max(0, w - 1)).join('')}…`;
}

/** Column widths that fit `max` (with one space between), taken from the widest columns first. */
export function fitWidths(widths: readonly number[], max: number, keep: readonly number[] = []): number[] {
  const out = [...widths];
  let total = out.reduce((a, b) => a + b, 0) + Math.max(0, out.length - 1);
  while (total > max) {
    let widest = -1;
    for (let i = 0; i < out.length; i++) {
      if (keep.includes(i) || (out[i] ?? 0) <= MIN_COLUMN) continue;
      if (widest < 0 || (out[i] ?? 0) > (out[widest] ?? 0)) widest = i;
    }
    if (widest < 0) break;
    out[widest] = (out[widest] ?? 0) - 1;
    total--;
  }
  return out;
}

/** Columns padded to the widest cell; the header bold; trailing spaces trimmed. */
export function table(style: Style, header: string[], rows: (string | Cell)[][], opts: TableOptions = {}): string[] {
  const cells = rows.map((r) => r.map((c): Cell => (typeof c === 'string' ? { text: c } : c)));
  const natural = header.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i]?.text ?? ''))));
  const widths = opts.width === undefined || opts.width === null ? natural : fitWidths(natural, opts.width, opts.keep);
  const line = (r: Cell[], head: boolean): string => r.map((c, i) => {
    const last = i === r.length - 1;
    const text = ellipsize(c.text, widths[i] ?? 0);
    const pad = last ? '' : ' '.repeat((widths[i] ?? 0) - width(text) + 1);
    return paint(style, head ? 'bold' : c.paint ?? null, text) + pad;
  }).join('').trimEnd();
  const body = cells.map((r) => line(r, false));
  return opts.header === false ? body : [line(header.map((h) => ({ text: h })), true), ...body];
}

/** `Label: value` lines with labels right-aligned (networkctl status style); lists go one item per line. */
export function fields(style: Style, rows: [string, string | string[] | Cell][]): string[] {
  const kept = rows.filter(([, v]) => (Array.isArray(v) ? v.length > 0 : (typeof v === 'string' ? v : v.text) !== ''));
  const w = Math.max(0, ...kept.map(([k]) => width(k)));
  const out: string[] = [];
  for (const [k, v] of kept) {
    const label = `${' '.repeat(w - width(k))}${k}: `;
    const values: Cell[] = Array.isArray(v) ? v.map((t) => ({ text: t })) : [typeof v === 'string' ? { text: v } : v];
    values.forEach((c, i) => out.push((i === 0 ? label : ' '.repeat(label.length)) + paint(style, c.paint ?? null, c.text)));
  }
  return out;
}

/** `2023-11-14 22:13:20 UTC (2 days ago)`; '' for 0 (never). */
export function formatTimestamp(usec: bigint, nowMs: number, timeZone?: string): string {
  if (usec <= 0n) return '';
  const ms = Number(usec / 1000n);
  const d = new Date(ms);
  const parts = new Intl.DateTimeFormat('en-US', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short', ...(timeZone !== undefined ? { timeZone } : {}),
  }).formatToParts(d);
  const p = (t: string): string => parts.find((x) => x.type === t)?.value ?? '';
  const stamp = `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
  return `${stamp} (${relative(nowMs - ms)})`;
}

/** `2min 3s ago`, `1h 5min ago`, `3 days ago`, as systemd writes them. */
export function relative(deltaMs: number): string {
  const s = Math.floor(Math.abs(deltaMs) / 1000);
  if (s < 1) return 'just now';
  let text: string;
  if (s < 60) text = `${s}s`;
  else if (s < 3600) text = `${Math.floor(s / 60)}min${s % 60 > 0 ? ` ${s % 60}s` : ''}`;
  else if (s < 86400) {
    const min = Math.floor((s % 3600) / 60);
    text = `${Math.floor(s / 3600)}h${min > 0 ? ` ${min}min` : ''}`;
  } else {
    const days = Math.floor(s / 86400);
    text = `${days} day${days === 1 ? '' : 's'}`;
  }
  return deltaMs < 0 ? `in ${text}` : `${text} ago`;
}

/** Quote one word for a POSIX shell; plain words stay as they are. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Options of `docker network create` that take their value as the next word. */
const VALUE_OPTIONS = new Set(['-d', '--driver', '-o', '--opt', '--subnet', '--ip-range', '--gateway', '--aux-address',
  '--label', '--scope', '--ipam-driver', '--ipam-opt', '--config-from']);

/** A ready-to-paste `docker network create \` command, one option (with its value) per line. */
export function dockerCommand(argv: readonly string[]): string {
  const lead = argv.slice(0, 3).join(' ') === 'docker network create' ? 3 : 0;
  const head = lead === 3 ? 'docker network create' : '';
  const rest = argv.slice(lead);
  const lines: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] ?? '';
    const next = rest[i + 1];
    if (VALUE_OPTIONS.has(word) && next !== undefined && i + 1 < rest.length - 1) {
      lines.push(`${shellQuote(word)} ${shellQuote(next)}`);
      i++;
    } else {
      lines.push(shellQuote(word));
    }
  }
  const all = head === '' ? lines : [head, ...lines.map((l) => `  ${l}`)];
  return all.map((l, i) => (i < all.length - 1 ? `${l} \\` : l)).join('\n');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Words whose PascalCase is not just the first letter raised: the drop-in's and the bus's own spelling. */
const PASCAL_WORDS: Record<string, string> = {
  ok: 'OK', vlan: 'VLAN', mtu: 'MTU', ipRanges: 'IPRanges', ipvlanFlag: 'IPVlanFlag', mac: 'MACAddress',
};

/**
 * Every key of a JSON value in PascalCase, the one style of all flatnetctl
 * JSON: it is the style of the bus properties (`status --json` prints them as
 * they are) and of networkctl's JSON.
 */
export function pascalKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascalKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[PASCAL_WORDS[k] ?? `${k.charAt(0).toUpperCase()}${k.slice(1)}`] = pascalKeys(v);
  }
  return out;
}
