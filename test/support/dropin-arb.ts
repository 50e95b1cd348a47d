// Generators of drop-ins for the fuzz tests: structured ones (sections,
// known and unknown keys, values near every boundary the validator draws),
// raw text, and mutations of the shipped examples in etc/flatnet.d.

import fc from 'fast-check';
import { KEYS } from '../../src/config/keys.js';

/** Values at and across every boundary a key has, and the hostile ones. */
export const EDGE_VALUES: readonly string[] = [
  '', ' ', '0', '-1', '1', '2', '4094', '4095', '4096', '65535', '65536', '67', '68', '1279', '1280', '1500', '9000',
  '99999999999999999999', '1e3', '0x10', '08', '+5', '٣', '١٠', ' 12', '12 ',
  'yes', 'No', 'TRUE', 'off', 'maybe', 'macvlan', 'ipvlan', 'MACVLAN', 'bridge', 'passthru', 'l3s', 'vepa', 'private', 'l2', 'l3',
  'enp3s0', 'eth0', 'ens33', 'eno1', 'lo', 'docker-link', 'a'.repeat(15), 'a'.repeat(16), `${'é'.repeat(7)}a`, 'é'.repeat(8),
  '.', '..', 'a/b', 'a:b', 'a b', 'a#b', 'a"b', "a'b", 'a\\b', 'a;b', '$(touch /tmp/pwned)', '$(reboot)', ';reboot', '`id`',
  '-rf', '--help', '%s%s%n', '../../etc/passwd', 'enp3s0.200', 'x'.repeat(300), 'x'.repeat(10_000),
  '192.168.88.0/24', '192.168.88.1', '192.168.88.9', '192.168.88.192/32', '192.168.88.192/27', '192.168.88.192', '192.168.88.300/32',
  '192.168.88.5/24', '0.0.0.0/0', '0.0.0.0', '255.255.255.255/32', '127.0.0.1/8', '224.0.0.1/32', '169.254.1.1/16',
  '1.2.3', '010.1.1.1', '1.2.3.4/33', '1.2.3.4/', '/24', '1.2.3.4/024', '1.2.3.4/-1', '1.2.3.4 /24',
  '::/0', '::', '::1/128', 'fd00::/64', 'fd00::1/64', 'fd00::1/129', 'fe80::1/64', 'fe80::1%eth0', '::ffff:1.2.3.4/128',
  '1::2::3', '12345::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 'FD14::C0:0/112',
  '02:00:00:00:00:01', '02:AB:cd:00:00:01', '01:00:5e:00:00:01', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00',
  '02-00-00-00-00-01', 'a8:a1:59:24:d0:61',
  '\u0000', '\u202e', '\uFEFF', '\u00a0', 'a\tb', '"quoted"', "'single'", '\\', '\\\\', 'a\\', '#', ';', '=', '==', '[Network]',
];

const SECTION_NAMES = ['Network', 'Shim', 'network', 'SHIM', 'Match', 'Link', 'Network ', ' Shim', 'Net work', '', '[Network]', 'Shim]', 'Ünïcode'];
const KNOWN_KEYS = [...new Set(KEYS.map((k) => k.key))];
const KEYS_OF: Record<string, string[]> = {
  Network: KEYS.filter((k) => k.section === 'Network').map((k) => k.key),
  Shim: KEYS.filter((k) => k.section === 'Shim').map((k) => k.key),
};

/** Plausible values per key, so many generated files get far into validation. */
const PLAUSIBLE: Record<string, fc.Arbitrary<string>> = (() => {
  const octet = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
  const lan = fc.integer({ min: 0, max: 255 }).map((h) => `192.168.88.${h}`);
  const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const v6 = fc.oneof(fc.tuple(hex, hex).map(([a, b]) => `fd00::${a}:${b}`), fc.array(hex, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')));
  const len4 = fc.integer({ min: 0, max: 33 });
  const len6 = fc.integer({ min: 0, max: 129 });
  const prefix = fc.oneof(
    fc.tuple(lan, len4).map(([a, l]) => `${a}/${l}`),
    fc.tuple(v4, len4).map(([a, l]) => `${a}/${l}`),
    fc.constantFrom('192.168.88.0/24', '192.168.88.192/27', '192.168.88.224/28', '10.0.0.0/8', 'fd00::/64', 'fd00::c0:0/112'),
    fc.tuple(v6, len6).map(([a, l]) => `${a}/${l}`),
  );
  const addr = fc.oneof(lan, v4, v6, fc.constantFrom('192.168.88.1', '192.168.88.192', 'fd00::1'));
  const ifname = fc.oneof(
    fc.constantFrom('enp3s0', 'eth0', 'ens33', 'docker-link', 'shim0', 'enp3s0.200', 'veth0'),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 17 }),
  );
  const byte = fc.integer({ min: 0, max: 255 }).map((b) => b.toString(16).padStart(2, '0'));
  return {
    Name: fc.oneof(ifname, fc.string({ unit: 'grapheme-ascii', maxLength: 70 })),
    Parent: ifname,
    VLAN: fc.integer({ min: -2, max: 4100 }).map(String),
    Driver: fc.constantFrom('macvlan', 'ipvlan', 'bridge', 'MacVlan'),
    Mode: fc.constantFrom('bridge', 'vepa', 'private', 'passthru', 'l2', 'l3', 'l3s', 'source'),
    IPVlanFlag: fc.constantFrom('bridge', 'private', 'vepa', 'l2'),
    Subnet: prefix,
    Gateway: addr,
    IPRange: prefix,
    MTU: fc.integer({ min: 0, max: 70_000 }).map(String),
    Promiscuous: fc.constantFrom('yes', 'no', 'true', 'false', 'on', 'off', '1', '0', 'maybe'),
    Address: fc.oneof(addr, prefix),
    Route: prefix,
    MACAddress: fc.array(byte, { minLength: 5, maxLength: 7 }).map((b) => b.join(':')),
  };
})();

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

function valueFor(key: string): fc.Arbitrary<string> {
  const plausible = Object.hasOwn(PLAUSIBLE, key) ? PLAUSIBLE[key] : undefined;
  const edges = fc.constantFrom(...EDGE_VALUES);
  return plausible === undefined ? fc.oneof(edges, anyText) : fc.oneof({ weight: 6, arbitrary: plausible }, { weight: 3, arbitrary: edges }, { weight: 1, arbitrary: anyText });
}

const keyName = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_KEYS) },
  { weight: 1, arbitrary: fc.constantFrom('name', 'PARENT', ' Parent', 'Parent ', 'Par ent', 'Addresses', 'X-Custom', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

/** One logical line of a drop-in (may itself contain a continuation). */
const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: keyName.chain((k) => valueFor(k.trim()).map((v) => `${k}=${v}`)) },
  { weight: 2, arbitrary: fc.constantFrom(...SECTION_NAMES).map((s) => `[${s}]`) },
  { weight: 1, arbitrary: anyText.map((t) => `# ${t}`) },
  { weight: 1, arbitrary: anyText.map((t) => `;${t}`) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: keyName.chain((k) => fc.tuple(valueFor(k), valueFor(k)).map(([a, b]) => `${k}=${a}\\\n${b}`)) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom('[Network', 'Network]', '[]', '=x', 'Key', '  = ', '\\', '\\\\', '[Network] # c', 'Parent=enp3s0 ; c') },
);

/** A section with lines meant for it most of the time. */
const section: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Network', 'Shim').chain((s) => fc.array(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...(KEYS_OF[s] ?? [])).chain((k) => valueFor(k).map((v) => `${k}=${v}`)) }, { weight: 1, arbitrary: line }),
    { maxLength: 12 },
  ).map((ls) => [`[${s}]`, ...ls])) },
  { weight: 1, arbitrary: fc.array(line, { maxLength: 8 }) },
);

const EOLS = ['\n', '\n', '\n', '\r\n', '\r'];

/** A whole drop-in's text. */
export const dropInText: fc.Arbitrary<string> = fc.tuple(
  fc.array(section, { minLength: 0, maxLength: 4 }),
  fc.constantFrom(...EOLS),
  fc.boolean(),
  fc.boolean(),
).map(([sections, eol, bom, finalEol]) => {
  const body = sections.flat().join(eol);
  return `${bom ? '\uFEFF' : ''}${body}${finalEol ? eol : ''}`;
});

const STEMS = ['10-lan', '20-x', 'lan', 'a b', 'ünï', '-dash', 'a.b', 'x'.repeat(70), '00', '_', 'new\nline', 'tab\tname', '.conf'];

/** A set of 1–3 drop-ins in one directory, with names that vary too. */
export const dropInSet: fc.Arbitrary<{ path: string; text: string }[]> = fc.array(
  fc.tuple(fc.constantFrom(...STEMS), dropInText),
  { minLength: 1, maxLength: 3 },
).map((files) => {
  const used = new Set<string>();
  return files.map(([stem, text], i) => {
    let path = `/etc/flatnet.d/${stem}.conf`;
    if (used.has(path)) path = `/etc/flatnet.d/${i}${stem}.conf`;
    used.add(path);
    return { path, text };
  });
});

/** Arbitrary text, not shaped like a drop-in at all. */
export const rawText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.array(fc.constantFrom('[', ']', '=', '\\', '\n', '\r', '#', ';', ' ', 'Network', 'Shim', 'Parent', 'Name', 'x', '\uFEFF'), { maxLength: 120 }).map((a) => a.join('')),
);

// ---- mutations of real drop-ins ----

export type Mutation = (lines: string[], at: number) => string[];

const keyAt = (l: string): { key: string; value: string } | null => {
  const eq = l.indexOf('=');
  return eq < 0 || l.trimStart().startsWith('#') ? null : { key: l.slice(0, eq), value: l.slice(eq + 1) };
};

const withValue = (v: string): Mutation => (ls, at) => ls.map((l, i) => {
  const kv = keyAt(l);
  return i === at && kv !== null ? `${kv.key}=${v}` : l;
});

/** Every fixed mutation applied to a key line: about a hundred and fifty per line. */
export const FIXED_MUTATIONS: readonly [string, Mutation][] = [
  ['delete the line', (ls, at) => ls.filter((_, i) => i !== at)],
  ['repeat the line', (ls, at) => ls.flatMap((l, i) => (i === at ? [l, l] : [l]))],
  ['move it before any section', (ls, at) => [ls[at] ?? '', ...ls.filter((_, i) => i !== at)]],
  ['move it to the end', (ls, at) => [...ls.filter((_, i) => i !== at), ls[at] ?? '']],
  ['lower-case the key', (ls, at) => ls.map((l, i) => (i === at ? l.replace(/^[^=]*/, (k) => k.toLowerCase()) : l))],
  ['blank around the key', (ls, at) => ls.map((l, i) => (i === at ? l.replace('=', ' = ') : l))],
  ['no "="', (ls, at) => ls.map((l, i) => (i === at ? l.replace('=', ' ') : l))],
  ['":" for "="', (ls, at) => ls.map((l, i) => (i === at ? l.replace('=', ':') : l))],
  ['value twice', (ls, at) => ls.map((l, i) => (i === at ? `${l}${keyAt(l)?.value ?? ''}` : l))],
  ['value cut in half', (ls, at) => ls.map((l, i) => (i === at ? l.slice(0, l.indexOf('=') + 1 + Math.floor((keyAt(l)?.value.length ?? 0) / 2)) : l))],
  ['trailing backslash', (ls, at) => ls.map((l, i) => (i === at ? `${l}\\` : l))],
  ['line break in the value', (ls, at) => ls.flatMap((l, i) => (i === at ? [l.slice(0, l.length - 2), l.slice(l.length - 2)] : [l]))],
  ['trailing comment', (ls, at) => ls.map((l, i) => (i === at ? `${l} # comment` : l))],
  ['trailing ; comment', (ls, at) => ls.map((l, i) => (i === at ? `${l} ; comment` : l))],
  ['commented out', (ls, at) => ls.map((l, i) => (i === at ? `#${l}` : l))],
  ['in [Shim] instead', (ls, at) => [...ls.filter((_, i) => i !== at), '[Shim]', ls[at] ?? '']],
  ['in [Network] instead', (ls, at) => [...ls.filter((_, i) => i !== at), '[Network]', ls[at] ?? '']],
  ['in an unknown section', (ls, at) => [...ls.filter((_, i) => i !== at), '[Unknown]', ls[at] ?? '']],
  ['CRLF', (ls) => ls.map((l) => `${l}\r`)],
  ...EDGE_VALUES.map((v): [string, Mutation] => [`value ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`, withValue(v)]),
];

/** Random edits at character level: insert, delete, replace, swap. */
export const charEdits = fc.array(
  fc.tuple(fc.constantFrom('insert', 'delete', 'replace', 'swap'), fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })),
  { minLength: 1, maxLength: 6 },
);

export function applyCharEdits(text: string, edits: readonly (readonly [string, number, string])[]): string {
  let s = text;
  for (const [op, pos, chars] of edits) {
    const p = s.length === 0 ? 0 : pos % (s.length + 1);
    if (op === 'insert') s = s.slice(0, p) + chars + s.slice(p);
    else if (op === 'delete') s = s.slice(0, p) + s.slice(p + chars.length);
    else if (op === 'replace') s = s.slice(0, p) + chars + s.slice(p + chars.length);
    else {
      const q = (p + chars.length * 7) % (s.length + 1);
      const [a, b] = p < q ? [p, q] : [q, p];
      s = s.slice(0, a) + s.slice(b, b + 1) + s.slice(a + 1, b) + s.slice(a, a + 1) + s.slice(b + 1);
    }
  }
  return s;
}

/** Line edits that move whole lines between files' positions. */
export const lineEdits = fc.array(
  fc.tuple(fc.constantFrom('dup', 'drop', 'swap', 'edge'), fc.nat(), fc.nat(), fc.constantFrom(...EDGE_VALUES)),
  { minLength: 1, maxLength: 5 },
);

export function applyLineEdits(text: string, edits: readonly (readonly [string, number, number, string])[]): string {
  let ls = text.split('\n');
  for (const [op, a, b, v] of edits) {
    if (ls.length === 0) break;
    const i = a % ls.length;
    const j = b % ls.length;
    if (op === 'dup') ls = [...ls.slice(0, j), ls[i] ?? '', ...ls.slice(j)];
    else if (op === 'drop') ls = ls.filter((_, k) => k !== i);
    else if (op === 'swap') { const t = ls[i] ?? ''; ls[i] = ls[j] ?? ''; ls[j] = t; }
    else ls = withValue(v)(ls, i);
  }
  return ls.join('\n');
}

export function keyLines(text: string): number[] {
  return text.split('\n').flatMap((l, i) => (keyAt(l) !== null && !l.startsWith(';') ? [i] : []));
}

// ---- drop-ins that are valid most of the time ----

/** A coherent network from small pools, so that sets of them collide the way real ones do. */
const coherent: fc.Arbitrary<string> = fc.record({
  name: fc.option(fc.constantFrom('lan', 'lan2', 'iot', 'dmz', 'a.b_c-d'), { nil: undefined }),
  parent: fc.option(fc.constantFrom('enp3s0', 'eth0', 'eth1'), { freq: 8, nil: undefined }),
  vlan: fc.option(fc.constantFrom(10, 20, 200), { freq: 3, nil: undefined }),
  driver: fc.option(fc.constantFrom('macvlan', 'ipvlan'), { freq: 2, nil: undefined }),
  mode: fc.option(fc.constantFrom('bridge', 'vepa', 'private', 'passthru', 'l2', 'l3', 'l3s'), { freq: 3, nil: undefined }),
  net: fc.integer({ min: 0, max: 3 }),
  v6: fc.boolean(),
  gateway: fc.boolean(),
  ranges: fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }),
  mtu: fc.option(fc.constantFrom(1280, 1400, 1500, 9000), { freq: 3, nil: undefined }),
  promisc: fc.option(fc.constantFrom('yes', 'no'), { freq: 3, nil: undefined }),
  shim: fc.option(fc.record({
    name: fc.option(fc.constantFrom('docker-link', 'shim0', 'shim1', 'enp3s0', 'eth0.10'), { nil: undefined }),
    hosts: fc.array(fc.integer({ min: 1, max: 254 }), { maxLength: 2 }),
    prefix: fc.constantFrom('', '/32', '/24', '/27'),
    routes: fc.option(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 2 }), { nil: undefined }),
    mac: fc.option(fc.constantFrom('02:00:00:00:00:01', '02:00:00:00:00:02', 'a8:a1:59:24:d0:61'), { freq: 3, nil: undefined }),
  }), { freq: 4, nil: undefined }),
}).map((n) => {
  const sub = `10.77.${n.net}`;
  const lines = ['[Network]'];
  if (n.name !== undefined) lines.push(`Name=${n.name}`);
  if (n.parent !== undefined) lines.push(`Parent=${n.parent}`);
  if (n.vlan !== undefined) lines.push(`VLAN=${n.vlan}`);
  if (n.driver !== undefined) lines.push(`Driver=${n.driver}`);
  if (n.mode !== undefined) lines.push(`Mode=${n.mode}`);
  lines.push(`Subnet=${sub}.0/24`);
  if (n.v6) lines.push(`Subnet=fd77:${n.net}::/64`);
  if (n.gateway) lines.push(`Gateway=${sub}.1`);
  for (const r of n.ranges) lines.push(`IPRange=${sub}.${r * 32}/27`);
  if (n.mtu !== undefined) lines.push(`MTU=${n.mtu}`);
  if (n.promisc !== undefined) lines.push(`Promiscuous=${n.promisc}`);
  if (n.shim !== undefined) {
    lines.push('', '[Shim]');
    if (n.shim.name !== undefined) lines.push(`Name=${n.shim.name}`);
    for (const h of n.shim.hosts) lines.push(`Address=${sub}.${h}${n.shim.prefix}`);
    if (n.v6) lines.push(`Address=fd77:${n.net}::${n.shim.hosts[0] ?? 2}/128`);
    if (n.shim.routes !== undefined) for (const r of n.shim.routes) lines.push(`Route=${sub}.${r * 32}/27`);
    if (n.shim.mac !== undefined) lines.push(`MACAddress=${n.shim.mac}`);
  }
  return `${lines.join('\n')}\n`;
});

/** A coherent drop-in, now and then with one line edited to an edge value. */
export const mostlyValidText: fc.Arbitrary<string> = fc.tuple(coherent, fc.option(lineEdits, { freq: 3, nil: undefined }))
  .map(([text, edits]) => (edits === undefined ? text : applyLineEdits(text, edits.slice(0, 1))));

/** 1–4 mostly valid drop-ins, named so that file order varies. */
export const mostlyValidSet: fc.Arbitrary<{ path: string; text: string }[]> = fc.array(
  fc.tuple(fc.constantFrom('10-lan', '20-iot', '30-dmz', 'lan', 'x'), mostlyValidText),
  { minLength: 1, maxLength: 4 },
).map((files) => files.map(([stem, text], i) => ({ path: `/etc/flatnet.d/${i}${stem}.conf`, text })));
