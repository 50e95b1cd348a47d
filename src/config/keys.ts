// The drop-in keys as one table, systemd-networkd style: `Section.Key` →
// value parser, and whether repeated assignments accumulate (lists) or
// replace (scalars); a link kind's own keys come from its file (src/kinds/).
// collectKeys walks parsed sections through the table; network.ts turns what
// it collected into a NetworkConfig.

import type { Diagnostic, Place } from '../errors.js';
import { parentKinds, shimKinds } from '../kinds/registry.js';
import { parsePrefixText, prefixText, networkAddr, parseAddr } from './ip.js';
import {
  bad, byteLength, enumParser, IFNAMSIZ_MAX, ok, orList, SECTIONS, uintParser,
  type KeySpec, type KeyValue, type Parser, type SectionName,
} from './key-spec.js';
import { nearest } from './suggest.js';
import type { UnitSection } from './unitfile.js';

export {
  enumParser, IFNAMSIZ_MAX, orList, SECTIONS, uintParser,
  type KeySpec, type KeyValue, type ParseResult, type Parser, type SectionName,
} from './key-spec.js';

/** The kernel's dev_valid_name(): 1..15 bytes, not `.`/`..`, no `/`, `:` or whitespace. */
export function ifnameProblem(name: string): string | null {
  if (name === '') return 'interface name must not be empty';
  if (byteLength(name) > IFNAMSIZ_MAX) return `interface name longer than ${IFNAMSIZ_MAX} bytes`;
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`;
  if (/[/:\s]/.test(name)) return 'interface name must not contain "/", ":" or whitespace';
  // The kernel would take these, but `ip -batch` cuts a line at "#" and has no
  // escapes for quotes: refused here, at the line, not later by the kernel side.
  if (/["'\\#]/.test(name)) return 'interface name must not contain "#", a quote or "\\" (flatnetd cannot manage such names)';
  return null;
}

export const parseIfname: Parser = (t) => {
  const p = ifnameProblem(t);
  return p === null ? ok(t) : bad(p);
};

export const NETWORK_NAME_MAX = 64;

/** Network names end up in Docker network names and in our link alias (`flatnet:a,b`). */
export function networkNameProblem(name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    return 'network name must start with a letter or digit and hold only letters, digits, "_", "." and "-"';
  }
  if (name.length > NETWORK_NAME_MAX) return `network name longer than ${NETWORK_NAME_MAX} characters`;
  return null;
}

const parseNetworkName: Parser = (t) => {
  const p = networkNameProblem(t);
  return p === null ? ok(t) : bad(p);
};

const TRUE = ['yes', 'true', 'on', '1'];
const FALSE = ['no', 'false', 'off', '0'];
export const parseBool: Parser = (t) => {
  const l = t.toLowerCase();
  if (TRUE.includes(l)) return ok(true);
  if (FALSE.includes(l)) return ok(false);
  return bad('must be a boolean: yes/no, true/false, on/off or 1/0');
};

/** A prefix in network form: `192.168.88.192/27`. A host bit set is an error that names the network form. */
export const parsePrefix: Parser = (t) => {
  const r = parsePrefixText(t, false);
  if (!r.ok) return bad(r.message);
  const net = networkAddr(r.prefix.addr, r.prefix.len).toString();
  const canonical = prefixText({ text: net, len: r.prefix.len });
  if (net !== r.prefix.text) return bad(`host bits set, did you mean ${canonical}?`);
  return ok(canonical);
};

/** An interface address, prefix optional (`192.168.88.192` = `/32`); host bits are the point. */
export const parseHostAddress: Parser = (t) => {
  const r = parsePrefixText(t, true);
  return r.ok ? ok(prefixText(r.prefix)) : bad(r.message);
};

export const parseAddress: Parser = (t) => {
  if (t.includes('/')) return bad('must be an address without a prefix length');
  const a = parseAddr(t);
  return a === null ? bad('not an IP address') : ok(a.text);
};

export const parseMac: Parser = (t) => {
  if (!/^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/.test(t)) return bad('not a MAC address (xx:xx:xx:xx:xx:xx)');
  const mac = t.toLowerCase();
  if (mac === '00:00:00:00:00:00') return bad('the all-zero MAC address cannot be used');
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return bad('a multicast MAC address; a link needs a unicast one');
  return ok(mac);
};

const PARENT_KINDS = parentKinds();
const DRIVERS = shimKinds();

/** Network.Mode: any driver's modes; which fit the chosen Driver= is network.ts's check. */
const MODE_KEY: KeySpec = {
  section: 'Network', key: 'Mode', list: false,
  parse: enumParser(DRIVERS.flatMap((k) => k.modes), `must be ${DRIVERS.map((k) => `${k.modes.join(', ')} (${k.kind})`).join(' or ')}`),
};

/** The generic keys, with the kinds' own (src/kinds/) where the man page lists them. */
export const KEYS: readonly KeySpec[] = [
  { section: 'Network', key: 'Name', list: false, parse: parseNetworkName },
  { section: 'Network', key: 'Parent', list: false, parse: parseIfname },
  ...PARENT_KINDS.flatMap((k) => k.keys),
  { section: 'Network', key: 'Driver', list: false, parse: enumParser(DRIVERS.map((k) => k.kind)) },
  MODE_KEY,
  ...DRIVERS.flatMap((k) => k.keys),
  { section: 'Network', key: 'Subnet', list: true, parse: parsePrefix },
  { section: 'Network', key: 'Gateway', list: true, parse: parseAddress },
  { section: 'Network', key: 'IPRange', list: true, parse: parsePrefix },
  { section: 'Network', key: 'MTU', list: false, parse: uintParser(68, 65535) },
  { section: 'Network', key: 'Promiscuous', list: false, parse: parseBool },
  { section: 'Shim', key: 'Name', list: false, parse: parseIfname },
  { section: 'Shim', key: 'Address', list: true, parse: parseHostAddress },
  { section: 'Shim', key: 'Route', list: true, parse: parsePrefix },
  { section: 'Shim', key: 'MACAddress', list: false, parse: parseMac },
  { section: 'Shim', key: 'IPv6AcceptRA', list: false, parse: parseBool },
  { section: 'Engine', key: 'Reattach', list: false, parse: parseBool },
  { section: 'Engine', key: 'Create', list: false, parse: parseBool },
];

/** KEYS by section, then key, each with its `Section.Key` id: every line of every drop-in is looked up. */
const BY_SECTION = new Map<string, Map<string, { spec: KeySpec; id: string }>>();
for (const spec of KEYS) {
  let keys = BY_SECTION.get(spec.section);
  if (keys === undefined) BY_SECTION.set(spec.section, (keys = new Map()));
  // The first row of a key wins, as a search of the table in order found it.
  if (!keys.has(spec.key)) keys.set(spec.key, { spec, id: `${spec.section}.${spec.key}` });
}

export function findKey(section: string, key: string): KeySpec | undefined {
  return BY_SECTION.get(section)?.get(key)?.spec;
}

export interface Assignment {
  value: KeyValue;
  place: Place;
}

export interface Collected {
  /** By `Section.Key`: the values in force (one for a scalar, the accumulated list for a list key). */
  values: Map<string, Assignment[]>;
  /** `Section.Key`s with a value that did not parse: checks that depend on them are skipped. */
  failed: Set<string>;
  /** `Section.Key`s assigned at all, an empty reset included (`Route=` alone means "no routes"). */
  assigned: Set<string>;
  /** Known sections present, with the line of the first header. */
  sections: Map<SectionName, number>;
}

// systemd keeps a `#` or `;` after a value's first character as part of the
// value, and so do we; no key's value may hold whitespace, so a value with
// " #" or " ;" is a comment pasted on the line, and saying so is the fix.
const INLINE_COMMENT = /\s[#;]/;
export const INLINE_COMMENT_MESSAGE = 'inline comments are not supported: put the comment on a line of its own, starting with # or ;';

function sectionHint(name: string): string {
  const near = nearest(name, SECTIONS);
  return near === null ? ` (the sections are ${orList(SECTIONS.map((s) => `[${s}]`))})` : `; did you mean [${near}]?`;
}

/**
 * Unknown keys in one file that get a "did you mean": a typo comes one or a
 * few at a time; a file of 120,000 unknown keys (the fuzzer's) is not a drop-in
 * and must not cost a string comparison against every key for each of them.
 */
export const MAX_HINTS = 100;

function keyHint(section: SectionName, key: string): string {
  const here = KEYS.filter((k) => k.section === section).map((k) => k.key);
  const exact = KEYS.find((k) => k.section !== section && k.key.toLowerCase() === key.toLowerCase());
  if (exact !== undefined && !here.some((k) => k.toLowerCase() === key.toLowerCase())) return `; ${exact.key}= belongs in [${exact.section}]`;
  const near = nearest(key, here);
  if (near !== null) return `; did you mean ${near}=?`;
  const elsewhere = nearest(key, KEYS.filter((k) => k.section !== section).map((k) => k.key));
  const spec = elsewhere === null ? undefined : KEYS.find((k) => k.section !== section && k.key === elsewhere);
  if (spec !== undefined) return `; did you mean ${spec.key}= in [${spec.section}]?`;
  return ` (the keys of [${section}] are ${orList(here.map((k) => `${k}=`))})`;
}

function isSectionName(s: string): s is SectionName {
  return (SECTIONS as readonly string[]).includes(s);
}

export function collectKeys(path: string, sections: readonly UnitSection[]): { collected: Collected; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const collected: Collected = { values: new Map(), failed: new Set(), assigned: new Set(), sections: new Map() };
  // A list grows in place and its values are looked up in a map: copying and
  // scanning the list on every line made 40k Address= lines take a minute.
  const listSeen = new Map<string, Map<KeyValue, Assignment>>();
  let hinted = 0;
  for (const sec of sections) {
    if (!isSectionName(sec.name)) {
      diagnostics.push({
        severity: 'warning', code: 'unknown-key', file: path, line: sec.line,
        message: `unknown section [${sec.name}], ignored${hinted++ < MAX_HINTS ? sectionHint(sec.name) : ''}`,
      });
      continue;
    }
    if (!collected.sections.has(sec.name)) collected.sections.set(sec.name, sec.line);
    for (const e of sec.entries) {
      const place: Place = { file: path, line: e.line, key: e.key, value: e.value };
      const known = BY_SECTION.get(sec.name)?.get(e.key);
      if (known === undefined) {
        const hint = hinted++ < MAX_HINTS ? keyHint(sec.name, e.key) : '';
        diagnostics.push({ severity: 'warning', code: 'unknown-key', ...place, message: `unknown key in [${sec.name}], ignored${hint}` });
        continue;
      }
      const { spec, id } = known;
      collected.assigned.add(id);
      // An empty assignment resets: a list to empty, a scalar to its default.
      if (e.value === '') {
        collected.values.delete(id);
        collected.failed.delete(id);
        listSeen.delete(id);
        continue;
      }
      const r = INLINE_COMMENT.test(e.value) ? bad(INLINE_COMMENT_MESSAGE) : spec.parse(e.value);
      if (!r.ok) {
        diagnostics.push({ severity: 'error', code: 'invalid-value', ...place, message: r.message });
        collected.failed.add(id);
        continue;
      }
      const assignment: Assignment = { value: r.value, place };
      const prev = spec.list ? collected.values.get(id) : undefined;
      const seen = listSeen.get(id);
      if (prev === undefined || seen === undefined) {
        collected.values.set(id, [assignment]);
        if (spec.list) listSeen.set(id, new Map([[r.value, assignment]]));
        continue;
      }
      const twice = seen.get(r.value);
      if (twice !== undefined) {
        diagnostics.push({
          severity: 'warning', code: 'duplicate', ...place,
          message: `already listed on line ${twice.place.line ?? '?'}; once is enough`,
        });
        continue;
      }
      prev.push(assignment);
      seen.set(r.value, assignment);
    }
  }
  return { collected, diagnostics };
}
