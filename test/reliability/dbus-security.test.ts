// Hostile D-Bus callers against the real flatnetd on a private bus, under our
// policy and under a permissive one (where only flatnetd's own uid check
// stands): a caller matrix (root, nobody, an ordinary account that exists —
// none is made) over every method and property of both interfaces; hostile calls
// (wrong signatures, huge arguments, names with '/' or 10k characters); a
// flood from several clients; and a fuzzer (lib/dbus-fuzz-client.ts).
// dbus-send, a client none of us wrote, is the matrix's client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DBusError, Variant } from 'dbus-next';
import type { DaemonProcess } from '../support/daemon-process.js';
import { MANAGER, NETWORK } from '../../src/bus/api.js';
import {
  BUS_NAME, MANAGER_IFACE, MANAGER_PATH, NETWORK_IFACE, client, converge, createLab, daemon, isRoot, prefix, procStats, sleep, startBus, track, view, type Client, type Lab, type Policy, type PrivateBus, type WantShim, teardown, LAN_WANT,
} from '../support/reliability-rig.js';
import type { FuzzReport } from '../support/dbus-fuzz-client.js';
import { LAN_DROPIN } from '../support/dropins.js';

const FUZZ_CLIENT = fileURLToPath(new URL('../support/dbus-fuzz-client.js', import.meta.url));
const NET_PATH = '/org/flatnet/flatnet1/network/lan';
const PROPS = 'org.freedesktop.DBus.Properties';
const LAN = LAN_DROPIN;
const WANT: WantShim[] = [LAN_WANT];

interface Caller { name: string; uid: number }

/**
 * An ordinary account that exists (none is made): dbus-daemon does not answer
 * the Hello of a uid without a passwd entry (uid 4242 here: "Did not receive a
 * reply"), so a made-up uid would test dbus-daemon, not flatnetd.
 */
function ordinaryUser(): Caller {
  const users = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).filter((f) => f.length > 3)
    .map((f) => ({ name: f[0] ?? '', uid: Number(f[2]) }));
  const u = users.find((x) => x.uid >= 1000 && x.uid < 65534) ?? users.find((x) => x.name === 'www-data') ?? users.find((x) => x.name === 'daemon');
  return u === undefined ? { name: 'daemon', uid: 1 } : { name: `${u.name} (uid ${u.uid})`, uid: u.uid };
}
const CALLERS: Caller[] = [{ name: 'root', uid: 0 }, { name: 'nobody', uid: 65534 }, ordinaryUser()];
const as = (c: Caller, argv: string[]): string[] => (c.uid === 0 ? argv : ['setpriv', `--reuid=${c.uid}`, `--regid=${c.uid}`, '--clear-groups', ...argv]);

interface Outcome { ok: boolean; error: string | null; text: string; stdout: string }

function run(argv: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const p = track(spawn(cmd ?? 'false', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (b: Buffer) => { stdout += b.toString(); });
    p.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => { clearTimeout(t); resolve({ code, stdout, stderr }); });
  });
}

async function dbusSend(bus: PrivateBus, who: Caller, path: string, member: string, args: string[] = []): Promise<Outcome> {
  const r = await run(as(who, ['dbus-send', `--bus=${bus.address}`, '--print-reply', `--dest=${BUS_NAME}`, path, member, ...args]));
  const m = /^Error ([\w.]+): ([\s\S]*)$/m.exec(r.stderr);
  return { ok: r.code === 0, error: m?.[1] ?? (r.code === 0 ? null : `exit ${String(r.code)}: ${r.stderr.trim()}`), text: (m?.[2] ?? '').trim(),
    stdout: r.stdout.replace(/^method return .*$/m, '') };
}

/** Every call of the matrix: [path, interface.member, args, kind]. */
type Kind = 'read' | 'mutation' | 'set';
/** Properties that change without anyone asking (EmitsChangedSignal=false), as `string:Name` arguments. */
const VOLATILE = new Set([MANAGER, NETWORK].flatMap((spec) => spec.properties.filter((p) => p.emits === 'false').map((p) => `string:${p.name}`)));

function calls(): [string, string, string[], Kind][] {
  const out: [string, string, string[], Kind][] = [];
  for (const [path, spec] of [[MANAGER_PATH, MANAGER], [NET_PATH, NETWORK]] as const) {
    for (const m of spec.methods) {
      const args = m.name === 'RouterHints' ? ['string:lan', 'string:openwrt']
        : m.name === 'Check' ? ['string:99-lan.conf', 'string:[Network]']
        : m.name === 'PlanFiles' ? ['dict:string:string:/tmp/10-lan.conf,[Network]']
        : m.in.map((x) => (x.type === 'b' ? 'boolean:false' : 'string:lan'));
      out.push([path, `${spec.name}.${m.name}`, args, m.mutating ? 'mutation' : 'read']);
    }
    for (const p of spec.properties) {
      out.push([path, `${PROPS}.Get`, [`string:${spec.name}`, `string:${p.name}`], 'read']);
      out.push([path, `${PROPS}.Set`, [`string:${spec.name}`, `string:${p.name}`, 'variant:string:x'], 'set']);
    }
    out.push([path, `${PROPS}.GetAll`, [`string:${spec.name}`], 'read']);
    out.push([path, 'org.freedesktop.DBus.Introspectable.Introspect', [], 'read']);
    out.push([path, 'org.freedesktop.DBus.Peer.Ping', [], 'read']);
  }
  out.push([MANAGER_PATH, 'org.freedesktop.DBus.ObjectManager.GetManagedObjects', [], 'read']);
  return out;
}

for (const policy of ['system', 'permissive'] as Policy[]) {
  describe(`hostile D-Bus callers, ${policy} policy`, { skip: isRoot ? false : 'needs root for namespaces and setpriv' }, () => {
    let lab: Lab;
    let dir: string;
    let bus: PrivateBus;
    let c: Client;
    let d: DaemonProcess;
    const figures: string[] = [];
    const shimIfindex = async (): Promise<number | undefined> => (await view(lab.nas)).links.find((l) => l.ifname === 'docker-link')?.ifindex;

    before(async () => {
      lab = await createLab(prefix(policy === 'system' ? 's' : 'p'), 0);
      dir = mkdtempSync(join(tmpdir(), 'fnt-dropins-'));
      writeFileSync(join(dir, '10-lan.conf'), LAN);
      bus = await startBus(policy);
      c = client(bus.address);
      d = daemon({ netns: lab.nas, configDirs: [dir], extraArgs: [], env: { DBUS_SYSTEM_BUS_ADDRESS: bus.address }, logLevel: 'info' });
      await c.waitForName();
      await converge(lab.nas, WANT, 5000, 'start');
      await d.waitForLog(/ready \(/);
    });
    after(async () => {
      await teardown({ client: c, daemon: d, lab, bus, dirs: [dir] });
      process.stdout.write(`# D-Bus (${policy} policy): ${figures.join('; ')}\n`);
    });

    test('the caller matrix: reads succeed for all, mutations are root only, Set fails for all and changes nothing', async () => {
      const all = calls();
      let n = 0;
      for (const who of CALLERS) {
        const ifindex = await shimIfindex();
        const writes = (await c.describe()).counters.writes;
        const logFrom = d.log.length;
        const order = who.uid === 0 ? [...all.filter((x) => x[3] !== 'mutation'), ...all.filter((x) => x[3] === 'mutation')] : all;
        for (const [path, member, args, kind] of order) {
          const before = kind === 'set' ? await dbusSend(bus, CALLERS[0] as Caller, path, `${PROPS}.Get`, args.slice(0, 2)) : null;
          const r = await dbusSend(bus, who, path, member, args);
          n++;
          const what = `${who.name} ${member} ${args.join(' ')} (${path})`;
          if (kind === 'read') {
            // The README's drop-in keeps its shim inside IPRange=, which Podman
            // (no --aux-address) could hand out: PodmanArgs answers with that refusal.
            if (member.endsWith('.PodmanArgs')) assert.equal(r.error, 'org.flatnet.flatnet1.Error.InvalidConfig', `${what}: answered, not denied: ${r.text}`);
            else assert.ok(r.ok, `${what}: a read must succeed: ${r.error ?? ''} ${r.text}`);
          } else if (kind === 'mutation') {
            if (who.uid === 0) assert.ok(r.ok, `${what}: root may: ${r.error ?? ''} ${r.text}`);
            else {
              assert.equal(r.error, 'org.freedesktop.DBus.Error.AccessDenied', `${what}: ${r.text}`);
              // No polkitd on this bus: flatnetd's own check, root only.
              if (policy === 'permissive') assert.match(r.text, new RegExp(`for root only \\(caller uid ${who.uid}; polkit is not running to allow others\\); run it with sudo$`), `${what}: flatnetd itself said no`);
            }
          } else {
            const want = policy === 'system' && who.uid !== 0 ? 'org.freedesktop.DBus.Error.AccessDenied' : 'org.freedesktop.DBus.Error.PropertyReadOnly';
            assert.equal(r.error, want, `${what}: ${r.text}`);
            const after = await dbusSend(bus, CALLERS[0] as Caller, path, `${PROPS}.Get`, args.slice(0, 2));
            assert.ok(after.ok && before?.ok, `${what}: readable before and after`);
            // The counters (Runs, KernelEvents…) move on their own; they are not signalled for that reason.
            if (!VOLATILE.has(args[1] ?? '')) assert.equal(after.stdout, before?.stdout, `${what}: the value is unchanged`);
          }
        }
        if (who.uid !== 0) {
          assert.deepEqual(d.log.slice(logFrom).filter((l) => /requested|reloading drop-ins/.test(l)), [], `${who.name}: no mutation reached the daemon`);
          assert.equal((await c.describe()).counters.writes, writes, `${who.name}: no kernel write`);
          assert.equal(await shimIfindex(), ifindex, `${who.name}: the kernel is untouched`);
        }
      }
      // Root's mutations came last (Down among them): Up brings the network back.
      assert.ok((await dbusSend(bus, CALLERS[0] as Caller, NET_PATH, `${NETWORK_IFACE}.Up`)).ok);
      await converge(lab.nas, WANT, 5000, 'after the matrix');
      figures.push(`caller matrix: ${n} calls (${all.length} per caller × ${CALLERS.length} callers)`);
      assert.ok(d.log.every((l) => !/\n\s+at /.test(l)));
    });

    test('Peer.GetMachineId: a read, answered for root, and for others as the policy decides', async () => {
      const root = await dbusSend(bus, CALLERS[0] as Caller, MANAGER_PATH, 'org.freedesktop.DBus.Peer.GetMachineId');
      assert.equal(root.ok || root.error === 'org.freedesktop.DBus.Error.FileNotFound', true, root.text);
      const nobody = await dbusSend(bus, CALLERS[1] as Caller, MANAGER_PATH, 'org.freedesktop.DBus.Peer.GetMachineId');
      figures.push(`Peer.GetMachineId as nobody: ${nobody.ok ? 'answered' : nobody.error ?? ''}`);
    });

    test('hostile calls get clear errors and change nothing', async () => {
      const logFrom = d.log.length;
      const writes = (await c.describe()).counters.writes;
      const expectError = async (member: string, signature: string, body: unknown[], name: string, text: RegExp, path = MANAGER_PATH, iface = MANAGER_IFACE): Promise<void> => {
        try {
          await c.call(path, iface, member, signature, body);
          assert.fail(`${member}(${signature}) succeeded`);
        } catch (e) {
          assert.ok(e instanceof DBusError, String(e));
          assert.equal(e.type, name, `${member}(${signature}): ${e.text}`);
          assert.match(e.text, text);
          assert.doesNotMatch(e.text, /\n\s+at /);
        }
      };
      await expectError('GetNetwork', 'i', [7], 'org.freedesktop.DBus.Error.InvalidArgs', /takes \(name s\), signature "s", not "i"/);
      await expectError('GetNetwork', 'ss', ['lan', 'lan'], 'org.freedesktop.DBus.Error.InvalidArgs', /not "ss"/);
      await expectError('Describe', 's', ['x'], 'org.freedesktop.DBus.Error.InvalidArgs', /no arguments/);
      await expectError('DockerArgs', 'as', [Array.from({ length: 5000 }, () => 'lan')], 'org.freedesktop.DBus.Error.InvalidArgs', /arguments too large/);
      await expectError('DockerArgs', 'as', [['lan']], 'org.freedesktop.DBus.Error.InvalidArgs', /signature "s", not "as"/);
      await expectError('Up', 's', ['y'.repeat(60_000)], 'org.freedesktop.DBus.Error.InvalidArgs', /arguments too large/);
      await expectError('Get', 'ss', [NETWORK_IFACE, 'z'.repeat(50_000)], 'org.freedesktop.DBus.Error.InvalidArgs', /arguments too large/, NET_PATH, PROPS);
      // Bigger still, from throwaway clients: a dbus-next client never gets a
      // message over ~256 KiB out (not even to dbus-daemon itself; its
      // connection just stops answering); flatnetd must not notice either way.
      for (const body of [[Array.from({ length: 100_000 }, () => 'lan')], ['x'.repeat(1_000_000)]]) {
        const throwaway = client(bus.address);
        await throwaway.call(MANAGER_PATH, MANAGER_IFACE, body[0] instanceof Array ? 'DockerArgs' : 'GetNetwork', body[0] instanceof Array ? 'as' : 's', body, 2000).catch(() => undefined);
        throwaway.close();
      }
      await expectError('GetNetwork', 's', ['x'.repeat(200_000)], 'org.freedesktop.DBus.Error.InvalidArgs', /arguments too large/);
      await expectError('GetNetwork', 's', ['x'.repeat(10_000)], 'org.freedesktop.DBus.Error.InvalidArgs', /10000 bytes long; names are at most 255 bytes/);
      await expectError('GetNetwork', 's', ['../../etc/passwd'], 'org.freedesktop.DBus.Error.InvalidArgs', /contains '\/'/);
      await expectError('DockerArgs', 's', ['lan/../lan'], 'org.freedesktop.DBus.Error.InvalidArgs', /contains '\/'/);
      await expectError('GetNetwork', 's', ['nope'], 'org.flatnet.flatnet1.Error.NoSuchNetwork', /no network named "nope"/);
      await expectError('GetNetwork', 's', ['$(touch /tmp/fnt-pwned)'], 'org.freedesktop.DBus.Error.InvalidArgs', /contains '\/'/);
      await expectError('GetNetwork', 's', ['$(reboot);`id`'], 'org.flatnet.flatnet1.Error.NoSuchNetwork', /no network named "\$\(reboot\);`id`"/);
      await expectError('Get', 'sv', [NETWORK_IFACE, new Variant('s', 'x')], 'org.freedesktop.DBus.Error.InvalidArgs', /signature/, NET_PATH, PROPS);
      await expectError('Nope', '', [], 'org.freedesktop.DBus.Error.UnknownMethod', /no method Nope/);
      await expectError('Describe', '', [], 'org.freedesktop.DBus.Error.UnknownObject', /no object at/, '/org/flatnet/flatnet1/network/nope');
      assert.equal(existsSync('/tmp/fnt-pwned'), false);
      assert.deepEqual(d.log.slice(logFrom).filter((l) => /requested|reloading drop-ins|D-Bus:/.test(l)), [], 'no hostile call reached the daemon, none failed unexpectedly');
      assert.equal((await c.describe()).counters.writes, writes, 'no kernel write');
      assert.equal(d.proc.exitCode, null);
    });

    test('a flood from 4 clients × 1,500 calls: all answered, memory bounded, a read answered within 1 s after', async () => {
      const pid = d.proc.pid ?? 0;
      const rss0 = procStats(pid).rssKiB;
      const clients = Array.from({ length: 4 }, () => client(bus.address));
      let answered = 0;
      let peak = rss0;
      const sampler = setInterval(() => { try { peak = Math.max(peak, procStats(pid).rssKiB); } catch { /* gone */ } }, 100);
      const t0 = Date.now();
      try {
        await Promise.all(clients.map(async (cl, k) => {
          for (let i = 0; i < 1500; i++) {
            const pick = (i + k) % 5;
            const p = pick === 0 ? cl.call(MANAGER_PATH, MANAGER_IFACE, 'Describe')
              : pick === 1 ? cl.call(MANAGER_PATH, MANAGER_IFACE, 'GetNetwork', 's', [`nope${i}`])
              : pick === 2 ? cl.call(NET_PATH, PROPS, 'GetAll', 's', [NETWORK_IFACE])
              : pick === 3 ? cl.call(MANAGER_PATH, MANAGER_IFACE, 'GetNetwork', 's', ['x'.repeat(5000)])
              : cl.call(MANAGER_PATH, MANAGER_IFACE, 'ListNetworks');
            await p.then(() => undefined, (e: unknown) => { if (!(e instanceof DBusError)) throw e; });
            answered++;
          }
        }));
      } finally {
        clearInterval(sampler);
        for (const cl of clients) cl.close();
      }
      const floodMs = Date.now() - t0;
      const r0 = Date.now();
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Describe', '', [], 1000);
      const readMs = Date.now() - r0;
      const rss1 = procStats(pid).rssKiB;
      figures.push(`flood: ${answered} calls from 4 clients in ${floodMs} ms, VmRSS ${Math.round(rss0 / 1024)} → peak ${Math.round(peak / 1024)} → ${Math.round(rss1 / 1024)} MiB, next read in ${readMs} ms`);
      assert.equal(answered, 6000);
      assert.ok(readMs < 1000, `a read after the flood took ${readMs} ms`);
      assert.ok(peak - rss0 < 64 * 1024, `VmRSS rose ${Math.round((peak - rss0) / 1024)} MiB during the flood`);
    });

    test('the fuzzer, as an ordinary user then as root: every call answered with a clear error or a reply, no stack, the daemon alive', async () => {
      const fuzzAs = async (who: Caller, seed: number, count: number): Promise<FuzzReport> => {
        const r = await run(as(who, ['env', 'FUZZ_DEBUG=1', process.execPath, FUZZ_CLIENT, bus.address, String(seed), String(count), '60000', 'lan', 'nope']), 120_000);
        const line = r.stdout.trim().split('\n').at(-1) ?? '';
        assert.ok(line.startsWith('{'), `fuzz client (seed ${seed}) exited ${String(r.code)}: ${r.stdout}\n${r.stderr.slice(0, 1500)}\n…\n${r.stderr.slice(-500)}`);
        return JSON.parse(line) as FuzzReport;
      };
      const seed = Math.floor(Math.random() * 2 ** 31);
      const writes = (await c.describe()).counters.writes;
      const logFrom = d.log.length;
      const ifindex = await shimIfindex();
      const other = await fuzzAs(CALLERS[2] as Caller, seed, 3000);
      assert.deepEqual(d.log.slice(logFrom).filter((l) => /requested|reloading drop-ins/.test(l)), [], 'nothing an ordinary user sent reached the daemon');
      assert.equal((await c.describe()).counters.writes, writes, 'no kernel write');
      assert.equal(await shimIfindex(), ifindex);
      const root = await fuzzAs(CALLERS[0] as Caller, seed + 1, 2000);
      for (const [who, rep] of [[(CALLERS[2] as Caller).name, other], ['root', root]] as const) {
        figures.push(`fuzz as ${who} (seed ${who === 'root' ? seed + 1 : seed}): ${rep.calls} calls in ${rep.ms} ms, ${rep.replies} replies, errors ${JSON.stringify(rep.errors)}, ${rep.unsendable} not sendable by dbus-next, ${rep.clientErrors} client-side failures, slowest ${rep.maxMs} ms`);
        assert.equal(rep.clientErrors, 0, `${who}: no client-side failure`);
        assert.equal(rep.timeouts, 0, `${who}: every call answered`);
        assert.deepEqual(rep.leaks, [], `${who}: no stack or internal error in an answer`);
        assert.equal(rep.errors['org.flatnet.flatnet1.Error.Failed'] ?? 0, 0, `${who}: no unexpected failure`);
        assert.ok(rep.calls >= 500, `${who}: ${rep.calls} calls`);
      }
      assert.ok(!readdirSync('/tmp').some((f) => f.startsWith('fnt-fuzz-pwned')), 'nothing from an argument was executed');
      assert.equal(d.proc.exitCode, null, 'flatnetd alive');
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Reload');
      await c.call(MANAGER_PATH, MANAGER_IFACE, 'Up', 's', ['lan']).catch(() => undefined);
      await converge(lab.nas, WANT, 5000, 'after the fuzzing, a reload brings it all back');
      await sleep(10);
    });
  });
}

