// What a drop-in key is (section, name, list or scalar, value parser) and the
// small parsers the kinds build their keys from. Kept apart from keys.ts (the
// table and its walker) so that a kind can declare its keys without importing
// the table that lists every kind.

export type SectionName = 'Network' | 'Shim' | 'Engine';
export const SECTIONS: readonly SectionName[] = ['Network', 'Shim', 'Engine'];

export type KeyValue = string | number | boolean;
export type ParseResult = { ok: true; value: KeyValue } | { ok: false; message: string };
export type Parser = (text: string) => ParseResult;

export interface KeySpec {
  section: SectionName;
  key: string;
  /** Repeated assignments accumulate; an empty assignment empties the list. */
  list: boolean;
  parse: Parser;
}

/** IFNAMSIZ - 1: the longest interface name the kernel takes, in bytes. */
export const IFNAMSIZ_MAX = 15;

const utf8 = new TextEncoder();
const ASCII = /^[\x00-\x7f]*$/;
/** UTF-8 bytes of `s`; an ASCII name (nearly every one) is its length, with nothing encoded. */
export const byteLength = (s: string): number => (ASCII.test(s) ? s.length : utf8.encode(s).length);

export const ok = (value: KeyValue): ParseResult => ({ ok: true, value });
export const bad = (message: string): ParseResult => ({ ok: false, message });

export function uintParser(lo: number, hi: number): Parser {
  return (t) => {
    const n = /^[0-9]{1,6}$/.test(t) ? Number(t) : NaN;
    return n >= lo && n <= hi ? ok(n) : bad(`must be ${lo}..${hi}`);
  };
}

export function orList(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1] ?? ''}`;
}

export function enumParser(values: readonly string[], what = `must be ${orList(values)}`): Parser {
  return (t) => (values.includes(t) ? ok(t) : bad(what));
}
