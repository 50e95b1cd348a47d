// A small D-Bus fuzzer (dfuzzer is not in Debian's archive here): random
// well-formed and ill-formed calls to every method of every interface flatnetd
// exports, on a private bus, bounded in count and in time. Run as a script so
// the tests can run it as any uid:
//   node dbus-fuzz-client.js ADDRESS SEED COUNT BUDGET_MS [NETWORK…]
// It prints one JSON line: what came back, by error name, and anything wrong.

import { DBusError, Message, Variant, sessionBus } from 'dbus-next';
import { INTROSPECTABLE, MANAGER, NETWORK, OBJECT_MANAGER, PEER, PROPERTIES, inSignature, type InterfaceSpec } from '../../src/bus/api.js';
import { BUS_NAME, MANAGER_PATH, networkPath } from '../../src/bus/index.js';
import { argBytes } from '../../src/bus/errors.js';
import { rng, type Rng } from '../fake/prng.js';

export interface FuzzReport {
  calls: number;
  replies: number;
  /** Error replies by name. */
  errors: Record<string, number>;
  /** Calls dbus-next refused to marshal (never sent). */
  unsendable: number;
  /** Calls that failed in the client (not an error reply). */
  clientErrors: number;
  /** Calls with no answer within the per-call deadline. */
  timeouts: number;
  /** Error texts that carry a stack trace or an internal error. */
  leaks: string[];
  maxMs: number;
  ms: number;
}

const MAX_BODY = 200_000;

const SIGNATURES = ['', 's', 'ss', 'sss', 'i', 'u', 'q', 't', 'x', 'b', 'd', 'o', 'g', 'y', 'v', 'as', 'ao', 'ay', 'a{sv}', 'a{ss}', 'aas', '(si)', 'sv', 'ssv', 'si', 'is', 'a(sso)'];

function str(r: Rng, networks: readonly string[]): string {
  switch (r.int(12)) {
    case 0: return '';
    case 1: return r.pick(networks);
    case 2: return `${r.pick(networks)}/../..`;
    case 3: return 'x'.repeat(1 + r.int(20_000));
    case 4: return '../../../../etc/passwd';
    case 5: return 'a/b';
    case 6: return '\u202e\u0000-'.replace('\u0000', '');
    case 7: return String.fromCodePoint(...Array.from({ length: 1 + r.int(40) }, () => 1 + r.int(0x10fff)));
    case 8: return r.pick([...MANAGER.properties, ...NETWORK.properties]).name;
    case 9: return r.pick([MANAGER.name, NETWORK.name, PROPERTIES.name, 'org.example.Nope', '']);
    case 10: return `$(touch /tmp/fnt-fuzz-pwned-${r.int(100)})`;
    default: return Math.random().toString(36).slice(2);
  }
}

/** A value for one complete D-Bus type starting at sig[i]; returns [value, next index]. */
function value(r: Rng, sig: string, i: number, networks: readonly string[], depth = 0): [unknown, number] {
  const c = sig[i];
  switch (c) {
    case 's': return [str(r, networks), i + 1];
    case 'o': return [r.chance(0.5) ? networkPath(r.pick(networks)) : r.pick(['/', '/org/flatnet/flatnet1', '/x/y', '/org/flatnet/flatnet1/network/_']), i + 1];
    case 'g': return [r.pick(['', 's', 'a{sv}', 'as']), i + 1];
    case 'b': return [r.chance(0.5), i + 1];
    case 'y': return [r.int(256), i + 1];
    case 'q': return [r.int(65536), i + 1];
    case 'i': return [r.int(2 ** 31) * (r.chance(0.5) ? -1 : 1), i + 1];
    case 'u': return [r.int(2 ** 32), i + 1];
    case 'x': case 't': return [BigInt(r.int(2 ** 31)) * 4096n, i + 1];
    case 'd': return [r.next() * 1e9, i + 1];
    case 'v': {
      const inner = r.pick(['s', 'i', 'b', 'as', 'u']);
      return [new Variant(inner, value(r, inner, 0, networks, depth + 1)[0]), i + 1];
    }
    case 'a': {
      if (sig[i + 1] === 'y') return [Buffer.alloc(r.chance(0.2) ? r.int(150_000) : r.int(64), r.int(256)), i + 2];
      if (sig[i + 1] === '{') {
        const keySig = sig[i + 2] ?? 's';
        const valEnd = skip(sig, i + 3);
        const out: Record<string, unknown> = {};
        const n = depth > 1 ? 0 : r.int(r.chance(0.1) ? 3000 : 6);
        for (let k = 0; k < n; k++) out[String(value(r, keySig, 0, networks, depth + 1)[0])] = value(r, sig, i + 3, networks, depth + 1)[0];
        return [out, valEnd + 1];
      }
      const end = skip(sig, i + 1);
      const n = depth > 1 ? 0 : r.int(r.chance(0.1) ? 10_000 : 6);
      const out: unknown[] = [];
      for (let k = 0; k < n; k++) out.push(value(r, sig, i + 1, networks, depth + 1)[0]);
      return [out, end];
    }
    case '(': {
      const out: unknown[] = [];
      let j = i + 1;
      while (sig[j] !== ')' && j < sig.length) {
        const [v, next] = value(r, sig, j, networks, depth + 1);
        out.push(v);
        j = next;
      }
      return [out, j + 1];
    }
    default: return ['', i + 1];
  }
}

/** Index after the complete type at sig[i]. */
function skip(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return skip(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close && j < sig.length) j = skip(sig, j);
    return j + 1;
  }
  return i + 1;
}

function body(r: Rng, sig: string, networks: readonly string[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < sig.length;) {
    const [v, next] = value(r, sig, i, networks);
    out.push(v);
    i = next;
  }
  return out;
}

interface Target { path: string; iface: string | undefined; member: string; signature: string }

function targets(networks: readonly string[]): Target[] {
  const all: Target[] = [];
  const add = (path: string, spec: InterfaceSpec<unknown>): void => {
    for (const m of spec.methods) all.push({ path, iface: spec.name, member: m.name, signature: inSignature(m) });
  };
  for (const s of [MANAGER, OBJECT_MANAGER, PROPERTIES, INTROSPECTABLE, PEER] as InterfaceSpec<unknown>[]) add(MANAGER_PATH, s);
  for (const n of networks) for (const s of [NETWORK, PROPERTIES, INTROSPECTABLE, PEER] as InterfaceSpec<unknown>[]) add(networkPath(n), s);
  return all;
}

export async function fuzz(address: string, seed: number, count: number, budgetMs: number, networks: readonly string[]): Promise<FuzzReport> {
  const r = rng(seed);
  let bus = sessionBus({ busAddress: address });
  bus.on('error', () => undefined);
  const all = targets(networks);
  const report: FuzzReport = { calls: 0, replies: 0, errors: {}, unsendable: 0, clientErrors: 0, timeouts: 0, leaks: [], maxMs: 0, ms: 0 };
  const t0 = Date.now();
  const recent: string[] = [];
  try {
    for (let k = 0; k < count && Date.now() - t0 < budgetMs; k++) {
      const t = { ...r.pick(all) };
      // Ill-formed on purpose, one way or another, about half the time.
      const twist = r.int(10);
      if (twist === 0) t.signature = r.pick(SIGNATURES);
      // Names stay valid: dbus-daemon drops the connection of a sender of an
      // invalid member, interface or path before flatnetd could see it.
      else if (twist === 1) t.member = r.pick(['Nope', 'describe', 'Describe_', 'GetAll', 'Up', 'Set', 'Introspect', 'X']);
      else if (twist === 2) t.iface = r.chance(0.2) ? undefined : r.pick(['org.example.Nope', MANAGER.name, NETWORK.name, PROPERTIES.name]);
      else if (twist === 3) t.path = r.pick(['/', '/org', '/org/flatnet/flatnet1/network', '/org/flatnet/flatnet1/network/nope', `${MANAGER_PATH}/x`]);
      // (Not after a container's closing bracket: that would be no signature at all, which dbus-next refuses to send.)
      else if (twist === 4 && /[^)}]$/.test(t.signature)) t.signature = t.signature.slice(0, -1) + r.pick(['i', 'as', 'v', 's', 'ss']);
      let msg: Message;
      try {
        // dbus-next never gets a message over ~256 KiB out (its connection just
        // stops), so bodies stay below that: still far over flatnetd's 16 KiB cap.
        let b = body(r, t.signature, networks);
        for (let tries = 0; argBytes(b, MAX_BODY) > MAX_BODY && tries < 20; tries++) b = body(r, t.signature, networks);
        if (argBytes(b, MAX_BODY) > MAX_BODY) { report.unsendable++; continue; }
        msg = new Message({ destination: BUS_NAME, path: t.path, ...(t.iface !== undefined ? { interface: t.iface } : {}), member: t.member, signature: t.signature, body: b });
      } catch {
        report.unsendable++;
        continue;
      }
      report.calls++;
      recent.push(`${t.path} ${t.iface ?? '-'}.${t.member}(${t.signature}) ${argBytes(msg.body)} bytes`);
      if (recent.length > 5) recent.shift();
      const c0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          bus.call(msg),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), 5000); }),
        ]);
        report.replies++;
      } catch (e) {
        if (e instanceof DBusError) {
          report.errors[e.type] = (report.errors[e.type] ?? 0) + 1;
          if (/\n\s+at |internal error|TypeError|ReferenceError|undefined/.test(e.text)) report.leaks.push(`${t.iface ?? '-'}.${t.member}(${t.signature}): ${e.type}: ${e.text.slice(0, 300)}`);
        } else if (e instanceof Error && e.message === 'timeout') {
          report.timeouts++;
          if (process.env['FUZZ_DEBUG']) process.stderr.write(`timeout; the last calls:\n  ${recent.join('\n  ')}\n`);
          // A connection that stopped answering is replaced, so one stuck call does not end the run.
          bus.disconnect();
          bus = sessionBus({ busAddress: address });
          bus.on('error', () => undefined);
        } else report.clientErrors++;
      } finally {
        clearTimeout(timer);
      }
      report.maxMs = Math.max(report.maxMs, Date.now() - c0);
    }
  } finally {
    bus.disconnect();
  }
  report.ms = Date.now() - t0;
  return report;
}

if (process.argv[1]?.endsWith('dbus-fuzz-client.js')) {
  const [address, seed, count, budget, ...networks] = process.argv.slice(2);
  const rep = await fuzz(address ?? '', Number(seed ?? 1), Number(count ?? 1000), Number(budget ?? 60_000), networks.length ? networks : ['lan']);
  process.stdout.write(`${JSON.stringify(rep)}\n`);
  process.exit(0);
}
