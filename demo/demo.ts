// `sudo npm run demo`: the README's flat LAN built from network namespaces,
// with the real flatnetd making the NAS's shim and keeping it true, narrated
// step by step. Needs root; touches nothing outside its own namespaces and a
// temporary directory, and removes them on exit, Ctrl-C or a crash.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, destroyNamespaces, labNamespaces, LAN, type Lab } from '../test/support/lab.js';
import { openNotifySocket, type NotifySocket } from '../test/support/notify-socket.js';
import { startDaemon, type DaemonProcess } from '../test/support/daemon-process.js';
import { waitUntil } from '../test/support/wait.js';
import { startDemoBus, flatnetctl, type DemoBus } from '../test/support/private-bus.js';

const PREFIX = 'fndemo';
const EXAMPLES = fileURLToPath(new URL('../../etc/flatnet.d/', import.meta.url));
const tty = process.stdout.isTTY && !process.env['NO_COLOR'];
const c = (code: string, s: string): string => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const ok = c('32', '✓'), no = c('31', '✗');
const say = (s = ''): void => { process.stdout.write(s + '\n'); };
const step = (n: number, total: number, s: string): void => say(`\n${c('1', `[${n}/${total}] ${s}`)}`);
const indent = (text: string): string => text.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');

interface Args { keep: boolean; cleanup: boolean }
function parse(argv: string[]): Args {
  const a: Args = { keep: false, cleanup: false };
  for (const x of argv) {
    if (x === '--keep') a.keep = true;
    else if (x === '--cleanup') a.cleanup = true;
    else if (x === '-h' || x === '--help') { say('usage: npm run demo [-- --keep | --cleanup]'); process.exit(0); }
    else { process.stderr.write(`demo: unknown option ${x}\nusage: npm run demo [-- --keep | --cleanup]\n`); process.exit(2); }
  }
  return a;
}

function seedExample(): { name: string; text: string } {
  // The shipped example for the README's flat LAN: parent enp3s0, shim docker-link.
  for (const f of readdirSync(EXAMPLES).sort()) {
    const text = readFileSync(join(EXAMPLES, f), 'utf8');
    if (/^Parent=enp3s0\s*$/m.test(text) && /^Name=docker-link\s*$/m.test(text) && !/^VLAN=/m.test(text)) return { name: f, text };
  }
  throw new Error(`no example of the README's flat LAN (Parent=enp3s0, shim docker-link) in ${EXAMPLES}`);
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const v = await f();
  return [v, Number(process.hrtime.bigint() - t0) / 1e6];
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: needs root to make network namespaces: run it as  sudo npm run demo\n');
    process.exit(1);
  }
  if (args.cleanup) {
    await destroyNamespaces(`${PREFIX}-`);
    say(`removed every ${PREFIX}-* namespace`);
    return;
  }
  const taken = await labNamespaces(`${PREFIX}-`);
  if (taken.length > 0) {
    process.stderr.write(`demo: the namespaces ${taken.join(', ')} already exist: another demo is running, or one was left with --keep or killed.\n` +
      `      Remove them with:  sudo npm run demo -- --cleanup\n`);
    process.exit(1);
  }

  let lab: Lab | undefined, daemon: DaemonProcess | undefined, notify: NotifySocket | undefined, bus: DemoBus | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'flatnet-demo-'));
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await daemon?.stop('SIGTERM');
    bus?.stop();
    notify?.close();
    if (!args.keep) {
      await lab?.destroy();
      await destroyNamespaces(`${PREFIX}-`);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      say(`\n${sig}: cleaning up`);
      void cleanup().then(() => process.exit(130));
    });
  }

  const TOTAL = 7;
  try {
    step(1, TOTAL, 'The lab: the README\'s flat LAN, made of network namespaces');
    lab = await createLab(PREFIX);
    say(`    ${PREFIX}-lan     a switch (bridge br0)`);
    say(`    ${PREFIX}-router  the router, ${LAN.gateway}`);
    say(`    ${PREFIX}-nas     the NAS: NIC enp3s0, ${LAN.host}`);
    for (const ct of lab.containers) say(`    ${ct.ns.padEnd(14)} a container on a macvlan of enp3s0, ${ct.address}`);

    step(2, TOTAL, 'The problem: the NAS cannot reach its own containers');
    const c1 = lab.containers[0];
    if (c1 === undefined) throw new Error('the lab has no container');
    say(`    router → ${c1.address}  ${(await lab.ping(lab.router, c1.address)) ? ok : no}`);
    say(`    NAS    → ${c1.address}  ${(await lab.ping(lab.nas, c1.address)) ? ok : no}   (the kernel passes nothing between enp3s0 and its macvlan children)`);

    step(3, TOTAL, 'flatnetd starts with the example drop-in');
    const ex = seedExample();
    say(`    ${join('etc/flatnet.d', ex.name)}:`);
    say(indent(ex.text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).join('\n')).replace(/^/gm, '  '));
    notify = await openNotifySocket();
    const cfg = join(dir, 'flatnet.d');
    mkdirSync(cfg);
    writeFileSync(join(cfg, ex.name), ex.text);
    bus = await startDemoBus(dir);
    const [, readyMs] = await timed(async () => {
      daemon = startDaemon({ netns: lab!.nas, configDirs: [cfg], notifySocket: notify!.path, extraArgs: [], env: bus!.env, logLevel: 'info' });
      await notify!.waitFor('READY=1');
    });
    const statusMsg = notify.messages.filter((m) => m.includes('STATUS=')).pop() ?? '';
    say(`    READY=1 after ${readyMs.toFixed(0)} ms; ${statusMsg.replace(/^.*STATUS=/s, 'STATUS=').trim()}`);
    say(`    NAS    → ${c1.address}  ${(await lab.ping(lab.nas, c1.address)) ? ok : no}   through the shim docker-link`);
    say(indent(await lab.nasRun(['ip', '-br', 'address', 'show', 'dev', 'docker-link'])));
    say(indent(await lab.nasRun(['ip', 'route', 'show', 'dev', 'docker-link'])));

    step(4, TOTAL, 'What flatnetctl says (over D-Bus, like networkctl)');
    say(indent(await flatnetctl(bus, ['status'])));
    const netName = /^Name=(.+)$/m.exec(ex.text)?.[1]?.trim() ?? ex.name.replace(/\.conf$/, '');
    say(`    $ flatnetctl docker-args ${netName}`);
    say(indent(await flatnetctl(bus, ['docker-args', netName])));

    const shimReady = async (): Promise<boolean> =>
      (await lab!.nasRun(['ip', 'route', 'show', 'dev', 'docker-link']).catch(() => '')).includes(LAN.range);

    step(5, TOTAL, 'Someone deletes the shim');
    say('    $ ip link del docker-link');
    const [, healMs] = await timed(async () => {
      await lab!.nasRun(['ip', 'link', 'del', 'docker-link']);
      await waitUntil('docker-link back', shimReady, 10_000, 5);
    });
    say(`    back with its address and route after ${healMs.toFixed(0)} ms; NAS → ${c1.address} ${(await lab.ping(lab.nas, c1.address)) ? ok : no}`);

    step(6, TOTAL, 'The NIC is unplugged and plugged back (a USB NIC, a re-made VLAN)');
    const [, replugMs] = await timed(async () => {
      await lab!.replugNic();
      await waitUntil('docker-link on the new enp3s0', shimReady, 10_000, 5);
    });
    say(`    enp3s0 came back with a new ifindex; docker-link restored on it after ${replugMs.toFixed(0)} ms`);
    say(`    NAS → router ${(await lab.ping(lab.nas, LAN.gateway)) ? ok : no}`);

    step(7, TOTAL, 'A drop-in edited live: a second shim address');
    writeFileSync(join(cfg, ex.name), ex.text.replace(/^(Address=.*)$/m, '$1\nAddress=192.168.88.223/32'));
    await waitUntil('the new address', async () => (await lab!.nasRun(['ip', 'addr', 'show', 'dev', 'docker-link'])).includes('192.168.88.223/32'), 10_000, 20);
    say('    Address=192.168.88.223/32 added to the drop-in → applied in place:');
    say(indent(await lab.nasRun(['ip', '-br', 'address', 'show', 'dev', 'docker-link'])));
    say('\n    flatnetd\'s journal for this run:');
    say(indent((daemon as DaemonProcess | undefined)?.log.slice(-12).join('\n') ?? ''));

    if (args.keep) {
      say(`\n--keep: the lab stays up. Look around with e.g.\n    sudo ip netns exec ${PREFIX}-nas ip -d link\n    sudo ip netns exec ${PREFIX}-nas ping ${c1.address}\n` +
        `flatnetd was stopped (its links stay, as on a real host). Remove everything with:  sudo npm run demo -- --cleanup`);
    } else say('\nDone; removing the lab.');
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
