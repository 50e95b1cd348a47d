// Pure: Op[] → the lines `ip -batch -` reads. Each op renders to one or more
// lines, and the batch remembers which op every line belongs to, so
// `Command failed -:N` on stderr maps back to the op that failed.
//
// What `ip -batch` does to a line (iproute2 6.1, lib/utils.c getcmdline and
// makeargs), and why the checks below exist:
// - everything from a `#` to the end of the line is a comment, anywhere;
// - a line ending in `\` continues on the next one;
// - words split on blanks; a word that starts with `"` or `'` runs to the next
//   same quote, with no escapes; an unterminated quote makes ip exit at once;
// - a malformed argument (bad name, over-long alias) also makes ip exit at once,
//   without the `Command failed` line that names it.
// So every word we emit is checked here, and an op whose words ip could
// misread is refused by name before anything reaches ip.

import { kindOf } from '../kinds/registry.js';
import type { DesiredLink } from '../model/desired.js';
import { LINK_GROUP, ROUTE_PROTO } from '../model/ownership.js';
import { dispatchOp, type LinkChanges, type Op, type OpHandlers } from '../plan/ops.js';

export type KindArgs = (link: DesiredLink) => string[];

export interface Batch {
  /** Lines for `ip -batch -`, without newlines. */
  lines: string[];
  /** `lineOp[n]` is the index (in the ops given) of the op that line n (0-based) belongs to. */
  lineOp: number[];
  /** The first op that cannot be written safely; ops before it are in `lines`, none after. */
  rejected?: { index: number; message: string };
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
}

const IFNAMSIZ = 16;
const IFALIASZ = 256;
const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const V4_CIDR_RE = /^\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?$/;
const V6_CIDR_RE = /^[0-9a-f:.]*:[0-9a-f:.]*(?:\/\d{1,3})?$/i;

const utf8 = new TextEncoder();
const ASCII = /^[\x00-\x7f]*$/;
/** UTF-8 bytes; an ASCII word (every name and alias we make) is its length, with nothing encoded. */
const byteLength = (s: string): number => (ASCII.test(s) ? s.length : utf8.encode(s).length);

/** The rules of iproute2's check_ifname(), which exits ip when broken. */
export function checkIfName(name: string): string {
  if (name.length === 0) throw new RenderError('interface name is empty');
  if (byteLength(name) >= IFNAMSIZ) throw new RenderError(`interface name "${name}" is longer than 15 bytes`);
  if (/[\s/:#"'\\]/.test(name)) throw new RenderError(`interface name "${name}" contains a blank, '/', ':', '#', a quote or '\\'`);
  return name;
}

/** A bare word `ip -batch` passes through unchanged. */
function word(value: string, what: string): string {
  if (value.length === 0 || /[\s#"'\\]/.test(value)) throw new RenderError(`${what} "${value}" cannot be written to ip -batch`);
  return value;
}

/** The alias, double-quoted: blanks are fine, a `"`, `#` or line break is not. */
export function quoteAlias(alias: string): string {
  if (/["#\r\n\0]/.test(alias)) throw new RenderError(`alias "${alias}" contains '"', '#' or a line break, which ip -batch cannot carry`);
  if (byteLength(alias) >= IFALIASZ) throw new RenderError(`alias "${alias}" is ${IFALIASZ} bytes or longer`);
  return `"${alias}"`;
}

function mac(value: string): string {
  if (!MAC_RE.test(value)) throw new RenderError(`MAC address "${value}" is not six colon-separated hex bytes`);
  return value.toLowerCase();
}

function uint(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RenderError(`${what} ${value} is not a non-negative integer`);
  return String(value);
}

function cidr(value: string): string {
  if (!V4_CIDR_RE.test(value) && !V6_CIDR_RE.test(value)) throw new RenderError(`"${value}" is not an IP prefix`);
  return value;
}

/** The kind's own words (`type macvlan mode bridge`), from the kinds table. */
export const defaultKindArgs: KindArgs = (link) => kindOf(link).createArgs(link);

function linkSetLine(name: string, c: LinkChanges): string[] {
  const words = ['link', 'set', 'dev', checkIfName(name)];
  if (c.mtu !== undefined) words.push('mtu', uint(c.mtu, 'MTU'));
  if (c.mac !== undefined) words.push('address', mac(c.mac));
  if (c.up !== undefined) words.push(c.up ? 'up' : 'down');
  if (c.promisc !== undefined) words.push('promisc', c.promisc ? 'on' : 'off');
  if (c.alias !== undefined) words.push('alias', quoteAlias(c.alias));
  // Nothing to change: no line, so nothing is sent to the kernel.
  return words.length > 4 ? [words.join(' ')] : [];
}

function routeWords(verb: 'add' | 'del', dst: string, dev: string, metric: number): string {
  // Always with our protocol: `add` refuses (File exists) rather than takes
  // over a foreign route with the same key, and `del` matches on the
  // protocol too, so only ever removes one of ours.
  return ['route', verb, cidr(dst), 'dev', checkIfName(dev), 'proto', String(ROUTE_PROTO), 'metric', uint(metric, 'metric')].join(' ');
}

/** The lines of one op. Throws RenderError naming what cannot be written. */
export function renderOp(op: Op, kindArgs: KindArgs = defaultKindArgs): string[] {
  return dispatchOp(op, handlersFor(kindArgs));
}

/** One table of handlers per kindArgs (in practice one), not a new one of
 *  seven closures per op: a first run renders hundreds of ops. */
const tables = new WeakMap<KindArgs, OpHandlers<string[]>>();

function handlersFor(kindArgs: KindArgs): OpHandlers<string[]> {
  let t = tables.get(kindArgs);
  if (t === undefined) {
    t = handlers(kindArgs);
    tables.set(kindArgs, t);
  }
  return t;
}

function handlers(kindArgs: KindArgs): OpHandlers<string[]> {
  return {
    'link-add': ({ link }) => {
      const words = ['link', 'add', checkIfName(link.name)];
      if (link.parent !== null) words.push('link', checkIfName(link.parent));
      if (link.mac !== null) words.push('address', mac(link.mac));
      if (link.mtu !== null) words.push('mtu', uint(link.mtu, 'MTU'));
      words.push('group', String(LINK_GROUP));
      words.push(...kindArgs(link).map((w) => word(w, `${link.kind} argument`)));
      // The kernel ignores IFLA_IFALIAS on RTM_NEWLINK (measured: `ip link add
      // … alias x` makes a link without one), so the ownership mark is a
      // second line of the same op.
      return [words.join(' '), `link set dev ${link.name} alias ${quoteAlias(link.alias)}`];
    },
    'link-set': ({ name, changes }) => linkSetLine(name, changes),
    'link-del': ({ name }) => [`link del dev ${checkIfName(name)}`],
    // `brd +` sets the subnet's broadcast address the way the README's hand-made recipe
    // does; without it the kernel records none, and programs that read the
    // interface's broadcast address (getifaddrs: Wake-on-LAN tools, NetBIOS)
    // see 0.0.0.0. For /31 and /32 iproute2 itself leaves it out.
    'addr-add': ({ dev, cidr: c }) => [`address add ${cidr(c)}${c.includes(':') ? '' : ' brd +'} dev ${checkIfName(dev)}`],
    'addr-del': ({ dev, cidr: c }) => [`address del ${cidr(c)} dev ${checkIfName(dev)}`],
    'route-add': ({ route }) => [routeWords('add', route.dst, route.dev, route.metric)],
    'route-del': ({ route }) => [routeWords('del', route.dst, route.dev, route.metric)],
  };
}

/** All ops as one batch, stopping at the first op that cannot be written. */
export function renderBatch(ops: readonly Op[], kindArgs: KindArgs = defaultKindArgs): Batch {
  const batch: Batch = { lines: [], lineOp: [] };
  for (const [index, op] of ops.entries()) {
    let lines: string[];
    try {
      lines = renderOp(op, kindArgs);
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      batch.rejected = { index, message: e.message };
      return batch;
    }
    for (const line of lines) {
      batch.lines.push(line);
      batch.lineOp.push(index);
    }
  }
  return batch;
}

/** The op a `Command failed -:N` line (1-based N) belongs to; null when N is out of range. */
export function opForLine(batch: Batch, lineNo: number): number | null {
  return batch.lineOp[lineNo - 1] ?? null;
}
