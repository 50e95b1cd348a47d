// Pure: iproute2's JSON dumps (and monitor lines) → Observed. No I/O here, so
// the unit tests feed it JSON captured from a real kernel
// (test/fixtures/kernel/capture.sh).
//
// The backend dumps with `-N` (numbers for protocol/table/scope/type), so the
// result does not depend on names an admin put in /etc/iproute2; names are
// still understood, for dumps a person captured without -N.

import { FlatnetError } from '../errors.js';
import { NO_ATTRS } from '../kinds/kind.js';
import { kindOfInfo } from '../kinds/registry.js';
import type { KernelEvent } from './kernel.js';
import type { Observed, ObservedAddress, ObservedLink, ObservedRoute } from '../model/observed.js';
import { ROUTE_PROTO } from '../model/ownership.js';

type Json = Record<string, unknown>;

/** `ip` prints a finite lifetime in seconds, or this for "forever". */
const INFINITY_LIFE = 4294967295;

/** /etc/iproute2/rt_protos as shipped, plus our own name (ownership.ts). */
const PROTO_NUMBERS: Readonly<Record<string, number>> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11,
  bird: 12, dnrouted: 13, xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, openr: 99,
  bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192, flatnet: ROUTE_PROTO,
};

const TABLE_NUMBERS: Readonly<Record<string, number>> = { unspec: 0, default: 253, main: 254, local: 255 };

const SCOPE_NAMES: Readonly<Record<string, string>> = {
  '0': 'global', '200': 'site', '253': 'link', '254': 'host', '255': 'nowhere',
};

/** rtm_type numbers as `-N` prints them. Only unicast routes reach the planner:
 *  local/broadcast/multicast/anycast are the kernel's own bookkeeping, and
 *  blackhole/unreachable/prohibit/throw carry no device to put a shim route on. */
const ROUTE_TYPE_UNICAST = new Set(['unicast', '1']);

function fail(where: string, message: string): never {
  throw new FlatnetError('internal', `cannot read iproute2 output: ${where}: ${message}`, { object: where });
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(dump: unknown, what: string): Json[] {
  if (!Array.isArray(dump)) fail(what, 'expected a JSON array');
  return dump.map((e: unknown, i) => (isObject(e) ? e : fail(`${what} entry ${i}`, 'expected an object')));
}

function str(o: Json, key: string): string | null {
  const v = o[key];
  return typeof v === 'string' ? v : null;
}

function num(o: Json, key: string): number | null {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function needNum(o: Json, key: string, where: string): number {
  return num(o, key) ?? fail(where, `"${key}" is missing or not a number`);
}

function needStr(o: Json, key: string, where: string): string {
  return str(o, key) ?? fail(where, `"${key}" is missing or not a string`);
}

function strList(o: Json, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A number printed as a string by -N, or a name from the given table. */
function numberOrName(value: string, names: Readonly<Record<string, number>>, what: string, where: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const n = names[value];
  if (n === undefined) fail(where, `${what} "${value}" has no known number (dump with ip -N)`);
  return n;
}

export function routeProtoNumber(value: string, where = 'route'): number {
  return numberOrName(value, PROTO_NUMBERS, 'protocol', where);
}

export function routeTableNumber(value: string, where = 'route'): number {
  return numberOrName(value, TABLE_NUMBERS, 'table', where);
}

/** `-N` prints scopes as numbers; the model keeps iproute2's words. */
export function scopeName(value: string): string {
  return SCOPE_NAMES[value] ?? value;
}

function linkOf(e: Json, byName: ReadonlyMap<string, number>): number | null {
  // iproute2 prints the lower device as `"link": "<name>"` when it lives in
  // this namespace, and as `link_index` + `link_netnsid` when it lives in
  // another (a veth peer moved into the LAN namespace): that index means
  // nothing here.
  if (e['link_netnsid'] !== undefined) return null;
  const name = str(e, 'link');
  if (name === null) return num(e, 'link_index');
  const idx = byName.get(name);
  if (idx !== undefined) return idx;
  // ll_idx_n2a() prints `if<N>` for an index it could not name.
  const m = /^if(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

function carrierOf(flags: readonly string[], operstate: string | null): boolean {
  // LOWER_UP alone is not enough: a bridge without forwarding ports has been
  // seen printing LOWER_UP together with NO-CARRIER and operstate DOWN.
  if (!flags.includes('LOWER_UP') || flags.includes('NO-CARRIER')) return false;
  return operstate === null || operstate === 'UP' || operstate === 'UNKNOWN';
}

/** Links from `ip -json -details link show` or `ip -json -details addr show`.
 *  `wireless` is always false: only /sys can tell (the backend fills it in).
 *  `known`: ifindexes of links outside this dump, for naming parents (a dump
 *  of one link names its parent, which it does not hold). */
export function parseLinks(dump: unknown, known: ReadonlyMap<string, number> = new Map()): ObservedLink[] {
  const list = entries(dump, 'ip -json link');
  const byName = new Map<string, number>(known);
  for (const [i, e] of list.entries()) {
    const where = `ip -json link entry ${i}`;
    byName.set(needStr(e, 'ifname', where), needNum(e, 'ifindex', where));
  }
  return list.map((e) => {
    const name = str(e, 'ifname') ?? '';
    const where = `link ${name}`;
    const flags = strList(e, 'flags');
    const info = isObject(e['linkinfo']) ? e['linkinfo'] : null;
    const kind = info === null ? null : str(info, 'info_kind');
    const data = info !== null && isObject(info['info_data']) ? info['info_data'] : null;
    // Each kind reads its own info_data (src/kinds/); a kind we never make (veth, bridge) has nothing to read.
    const attrs = kindOfInfo(kind)?.readback.read(data) ?? NO_ATTRS;
    return {
      ifindex: needNum(e, 'ifindex', where),
      name,
      kind,
      parentIndex: linkOf(e, byName),
      vlanId: attrs.vlanId,
      mode: attrs.mode,
      ipvlanFlag: attrs.ipvlanFlag,
      mtu: needNum(e, 'mtu', where),
      mac: (str(e, 'address') ?? '').toLowerCase(),
      up: flags.includes('UP'),
      carrier: carrierOf(flags, str(e, 'operstate')),
      promisc: flags.includes('PROMISC'),
      alias: str(e, 'ifalias'),
      maxMtu: num(e, 'max_mtu') ?? 0,
      wireless: false,
    };
  });
}

/** Addresses from `ip -json addr show` (each entry is a link with `addr_info`). */
export function parseAddresses(dump: unknown): ObservedAddress[] {
  const out: ObservedAddress[] = [];
  for (const [i, e] of entries(dump, 'ip -json addr').entries()) {
    const ifindex = needNum(e, 'ifindex', `ip -json addr entry ${i}`);
    const infos = Array.isArray(e['addr_info']) ? e['addr_info'] : [];
    for (const a of infos) {
      if (!isObject(a)) continue;
      const fam = str(a, 'family');
      if (fam !== 'inet' && fam !== 'inet6') continue;
      const where = `address on ${str(e, 'ifname') ?? ifindex}`;
      const local = needStr(a, 'local', where).toLowerCase();
      const life = num(a, 'valid_life_time');
      out.push({
        ifindex,
        cidr: `${local}/${needNum(a, 'prefixlen', where)}`,
        family: fam === 'inet' ? 4 : 6,
        scope: scopeName(str(a, 'scope') ?? 'global'),
        dynamic: a['dynamic'] === true || (life !== null && life !== INFINITY_LIFE),
        ...(a['dadfailed'] === true ? { dadFailed: true } : {}),
      });
    }
  }
  return out;
}

function familyOf(r: Json, hint: 4 | 6 | undefined): 4 | 6 {
  if (hint !== undefined) return hint;
  const dst = str(r, 'dst') ?? '';
  if (dst !== 'default') return dst.includes(':') ? 6 : 4;
  // A combined dump prints both defaults as "default": the gateway, the
  // preferred source, or the v6-only "pref" field tells them apart.
  const gw = str(r, 'gateway') ?? str(r, 'prefsrc');
  if (gw !== null) return gw.includes(':') ? 6 : 4;
  return r['pref'] !== undefined ? 6 : 4;
}

function canonicalDst(dst: string, family: 4 | 6): string {
  if (dst === 'default') return family === 4 ? '0.0.0.0/0' : '::/0';
  const lower = dst.toLowerCase();
  return lower.includes('/') ? lower : `${lower}/${family === 4 ? 32 : 128}`;
}

function gatewayOf(r: Json): string | null {
  const gw = str(r, 'gateway');
  if (gw !== null) return gw.toLowerCase();
  // RTA_VIA (a v4 route through a v6 next hop) prints as {"via": {"host": …}}.
  const via = r['via'];
  return isObject(via) ? (str(via, 'host')?.toLowerCase() ?? null) : null;
}

/** Routes from `ip -json [-4|-6] route show table all type unicast`. iproute2 names the
 *  device, not its index: `links` (from the same observation) maps it. Routes
 *  without a single device (multipath, blackhole) and the kernel's local,
 *  broadcast, multicast and anycast entries are left out.
 *  @param dev the device a `dev X` dump was filtered by (ip then leaves it out of each route) */
export function parseRoutes(dump: unknown, links: readonly ObservedLink[], family?: 4 | 6, dev?: string): ObservedRoute[] {
  const byName = new Map(links.map((l) => [l.name, l.ifindex] as const));
  const out: ObservedRoute[] = [];
  for (const [i, r] of entries(dump, 'ip -json route').entries()) {
    const type = str(r, 'type') ?? 'unicast';
    if (!ROUTE_TYPE_UNICAST.has(type)) continue;
    const device = str(r, 'dev') ?? dev ?? null;
    if (device === null) continue;
    // A route whose device vanished between the two dumps: the next observe sees it right.
    const ifindex = byName.get(device);
    if (ifindex === undefined) continue;
    const where = `ip -json route entry ${i}`;
    const fam = familyOf(r, family);
    out.push({
      dst: canonicalDst(needStr(r, 'dst', where), fam),
      family: fam,
      ifindex,
      // Without -d, iproute2 leaves out the defaults: protocol boot, table main, scope global.
      proto: routeProtoNumber(str(r, 'protocol') ?? 'boot', where),
      table: routeTableNumber(str(r, 'table') ?? 'main', where),
      metric: num(r, 'metric') ?? 0,
      scope: scopeName(str(r, 'scope') ?? 'global'),
      gateway: gatewayOf(r),
      src: str(r, 'prefsrc')?.toLowerCase() ?? null,
    });
  }
  return out;
}

/** The whole observation from the three dumps the backend makes. */
export function parseObserved(addrDump: unknown, route4Dump: unknown, route6Dump: unknown): Observed {
  const links = parseLinks(addrDump);
  return {
    links,
    addresses: parseAddresses(addrDump),
    routes: [...parseRoutes(route4Dump, links, 4), ...parseRoutes(route6Dump, links, 6)],
  };
}

/** One line of `ip -oneline monitor label link address route` → what changed.
 *  Without `label`, the line's shape says it. Blank lines → null. */
export function parseMonitorLine(line: string): KernelEvent | null {
  const text = line.trim();
  if (text === '') return null;
  const label = /^\[([A-Z]+)\]/.exec(text);
  if (label) {
    const what = label[1] === 'LINK' ? 'link' : label[1] === 'ADDR' ? 'address' : label[1] === 'ROUTE' ? 'route' : null;
    // Another label (NSID, NEIGH…) means ip printed something we did not ask for: look at everything.
    return { what: what ?? 'resync', text };
  }
  const body = text.replace(/^Deleted\s+/, '');
  // `3: eth0@if2: <BROADCAST,…> mtu …` is a link; `3: eth0    inet 10.0.0.2/24 …` an address.
  if (/^\d+:\s+\S+:\s+</.test(body)) return { what: 'link', text };
  if (/^\d+:\s+\S+\s+inet6?\s/.test(body)) return { what: 'address', text };
  return { what: 'route', text };
}

/** Which links a monitor line is about, for the backend's event-fed view
 *  (observed-cache.ts). Link and address lines carry the ifindex; a link
 *  line's name is the kernel's, an address line's is ip's memory of it (stale
 *  after a rename), so only link lines give a name. Route lines name their
 *  devices (`dev X`, one per nexthop), again from ip's memory. */
export type MonitorTouch =
  | { what: 'link'; ifindex: number; name: string; deleted: boolean }
  | { what: 'address'; ifindex: number }
  | { what: 'route'; devs: string[] }
  /** A line that cannot be tied to links: only a full look is safe. */
  | { what: 'unknown' };

const TOUCH_LINK_RE = /^(Deleted\s+)?(\d+):\s+([^\s@:]+)(?:@[^\s:]*)?:\s+</;
const TOUCH_ADDR_RE = /^(?:Deleted\s+)?(\d+):\s+\S+\s+inet6?\s/;
const TOUCH_DEV_RE = /(?:^|\s)dev\s+(\S+)/g;

const TOUCH_LABEL_RE = /^\[([A-Z]+)\]/;

// Called for every line the monitor prints (a first run of 100 shims makes
// about a thousand): one trim, and the devices found with exec() on the one
// global regexp rather than matchAll's copy of it and its iterator.
export function monitorTouch(line: string): MonitorTouch {
  const trimmed = line.trim();
  const label = TOUCH_LABEL_RE.exec(trimmed);
  const text = label === null ? trimmed : trimmed.slice(label[0].length);
  const link = TOUCH_LINK_RE.exec(text);
  if (link) return { what: 'link', ifindex: Number(link[2]), name: link[3] ?? '', deleted: link[1] !== undefined };
  const addr = TOUCH_ADDR_RE.exec(text);
  if (addr) return { what: 'address', ifindex: Number(addr[1]) };
  if (label !== null && label[1] !== 'ROUTE') return { what: 'unknown' };
  // A route without a device (blackhole, multipath) is not observed at all
  // (parseRoutes keeps unicast routes with a dev): nothing to look at again.
  const devs: string[] = [];
  TOUCH_DEV_RE.lastIndex = 0;
  for (let m = TOUCH_DEV_RE.exec(text); m !== null; m = TOUCH_DEV_RE.exec(text)) if (m[1] !== undefined && m[1] !== '') devs.push(m[1]);
  return { what: 'route', devs };
}
