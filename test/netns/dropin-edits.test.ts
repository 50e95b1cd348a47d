// The real flatnetd, in the README's flat LAN made of namespaces, while its
// drop-in is broken, half written, moved away or reached through NixOS's
// symlinks (issue 12, items 2, 3, 7 and 11). The drop-in is the README's own
// shape: the file 10-lan.conf says Name=macvlan1, so the file's name and the
// network's name differ. "Untouched" is checked by the shim's ifindex: a link
// deleted and made again has a new one.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLab, exec, LAN, type Lab } from '../support/lab.js';
import { startDaemon, type DaemonProcess } from '../support/daemon-process.js';
import { waitUntil } from '../support/wait.js';
import { readmeDropIn } from '../support/dropins.js';

const isRoot = process.getuid?.() === 0;

const dropIn = (name = 'macvlan1', address = LAN.shim): string => readmeDropIn({ name, address });

interface IpLink { ifindex: number; ifname: string; ifalias?: string; flags: string[] }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('drop-in edits against the real daemon (issue 12)', { skip: isRoot ? false : 'needs root for network namespaces' }, () => {
  let lab: Lab;
  let root: string;
  let dir: string;
  let d: DaemonProcess | undefined;

  const shim = async (): Promise<IpLink | undefined> => {
    const r = await exec(['ip', '-n', lab.nas, '-json', 'link', 'show', 'dev', 'docker-link']);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as IpLink[])[0];
  };
  const hasAddr = async (addr: string): Promise<boolean> => {
    const r = await exec(['ip', '-n', lab.nas, '-json', 'addr', 'show', 'dev', 'docker-link']);
    if (r.code !== 0) return false;
    const a = JSON.parse(r.stdout) as { addr_info: { local: string }[] }[];
    return a.some((x) => x.addr_info.some((i) => i.local === addr));
  };
  const up = (alias = 'flatnet:macvlan1', addr: string = LAN.shim): Promise<IpLink> =>
    waitUntil(`docker-link up as ${alias} with ${addr}`, async () => {
      const l = await shim();
      return l !== undefined && l.flags.includes('UP') && l.ifalias === alias && (await hasAddr(addr)) ? l : undefined;
    }, 15_000);
  /** docker-link up and macvlan1's, whatever its address (each test stands on its own). */
  const current = (): Promise<IpLink> =>
    waitUntil('docker-link up as macvlan1\'s', async () => {
      const l = await shim();
      return l !== undefined && l.flags.includes('UP') && l.ifalias === 'flatnet:macvlan1' ? l : undefined;
    }, 15_000);
  const start = (configDir: string): DaemonProcess => {
    d = startDaemon({ netns: lab.nas, configDirs: [configDir] });
    return d;
  };
  /** Log lines from `from` on that delete or re-make the shim. */
  const churn = (from: number): string[] => (d?.log.slice(from) ?? []).filter((l) => /^link (add|del)\b.*docker-link|\b(delete|create) docker-link\b|no longer wanted/.test(l));
  const logLen = (): number => d?.log.length ?? 0;
  /** Waits for a line matching `re` among those logged from `from` on. */
  const logged = (re: RegExp, from: number, what: string): Promise<string> =>
    waitUntil(what, async () => d?.log.slice(from).find((l) => re.test(l)), 15_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\nlog:\n${d?.log.slice(from).join('\n') ?? ''}`);
    });

  before(async () => {
    lab = await createLab(`fnt-${process.pid}-e`, 0);
    root = mkdtempSync(join(tmpdir(), 'fnt-edits-'));
    dir = join(root, 'flatnet.d');
    mkdirSync(dir);
  });
  after(async () => {
    await d?.stop('SIGKILL');
    await lab?.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  test('boot: 10-lan.conf with Name=macvlan1 makes docker-link', async () => {
    writeFileSync(join(dir, '10-lan.conf'), dropIn());
    start(dir);
    await up();
    // The address follows the ARP probe's answer (probing), a second after the shim.
    await d?.waitForLog(/macvlan1: (new|probing) → configured/);
  });

  // Item 2: each way the file can break keeps the links of its last good version.
  const breakages: [string, (f: string) => void][] = [
    ['truncated (: > 10-lan.conf)', (f) => truncateSync(f, 0)],
    ['a NUL byte appended', (f) => appendFileSync(f, Buffer.from([0]))],
    ['a byte that is not UTF-8 appended', (f) => appendFileSync(f, Buffer.from([0xff]))],
    ['Name= made invalid', (f) => writeFileSync(f, dropIn('mac vlan!'))],
    ['Name= valid but another key broken', (f) => writeFileSync(f, dropIn('macvlan2').replace('Parent=enp3s0', 'Parent=enp3s0\nVLAN=5000'))],
    ['replaced by a directory', (f) => { rmSync(f); mkdirSync(f); }],
    ['replaced by a FIFO', (f) => { rmSync(f); execFileSync('mkfifo', [f]); }],
  ];
  for (const [what, breakIt] of breakages) {
    test(`a drop-in ${what}: macvlan1 keeps its last good version, docker-link untouched`, async () => {
      const file = join(dir, '10-lan.conf');
      const before = await up();
      const from = logLen();
      breakIt(file);
      await logged(/macvlan1: configured → degraded/, from, `${what}: macvlan1 held, degraded`);
      await sleep(300); // a run that would delete would have started by now
      const now = await shim();
      assert.equal(now?.ifindex, before.ifindex, `${what}: docker-link kept (same ifindex)`);
      assert.deepEqual(churn(from), [], `${what}: nothing deleted or re-made`);
      assert.ok(!d?.log.slice(from).some((l) => /10-lan: new → invalid|mac vlan!: new|macvlan2: new/.test(l)), `${what}: no network under the broken file's name`);
      const back = logLen();
      rmSync(file, { recursive: true, force: true });
      writeFileSync(file, dropIn());
      await logged(/macvlan1: degraded → configured/, back, `${what}: fixed again`);
      assert.equal((await up()).ifindex, before.ifindex, `${what}: still the same docker-link`);
    });
  }

  test('a drop-in that changes Name= to another valid name is an edit: macvlan1 goes, macvlan2 comes', async () => {
    const from = logLen();
    writeFileSync(join(dir, '10-lan.conf'), dropIn('macvlan2'));
    try {
      // The shim is macvlan2's now (its mark), nothing is held for macvlan1.
      await up('flatnet:macvlan2');
      await logged(/macvlan2: new → configured/, from, 'macvlan2 configured');
      assert.ok(!d?.log.slice(from).some((l) => /macvlan1: .*→/.test(l)), `no status for macvlan1 any more:\n${d?.log.slice(from).join('\n') ?? ''}`);
    } finally {
      writeFileSync(join(dir, '10-lan.conf'), dropIn());
      await up();
    }
  });

  // Item 11: a save in steps is applied once, whole.
  test('a file written in two parts 0.5 s apart: applied once, whole; docker-link untouched', async () => {
    const file = join(dir, '10-lan.conf');
    const before = await current();
    const text = dropIn('macvlan1', '192.168.88.194');
    const from = logLen();
    const cut = text.indexOf('[Shim]');
    writeFileSync(file, text.slice(0, cut)); // a network with no shim, for half a second
    await sleep(500);
    appendFileSync(file, text.slice(cut));
    const l = await up('flatnet:macvlan1', '192.168.88.194');
    assert.equal(l.ifindex, before.ifindex, 'docker-link kept (same ifindex)');
    await sleep(1500);
    assert.equal(d?.log.slice(from).filter((x) => x.includes('reloading drop-ins')).length, 1, `one reload for the whole write:\n${d?.log.slice(from).join('\n') ?? ''}`);
    assert.deepEqual(churn(from), []);
  });

  test("vim's default write (renamed to 10-lan.conf~, written anew 300 ms later): docker-link untouched", async () => {
    const file = join(dir, '10-lan.conf');
    const before = await current();
    const from = logLen();
    renameSync(file, `${file}~`);
    await sleep(300);
    writeFileSync(file, dropIn());
    rmSync(`${file}~`);
    const l = await up();
    assert.equal(l.ifindex, before.ifindex, 'docker-link kept (same ifindex)');
    await sleep(1500);
    assert.equal(d?.log.slice(from).filter((x) => x.includes('reloading drop-ins')).length, 1, `one reload for the whole save:\n${d?.log.slice(from).join('\n') ?? ''}`);
    assert.deepEqual(churn(from), []);
  });

  // Issue 12 (a rename is a remove and an add): the drop-in's file name is
  // not part of what it asks for, so a rename with the same Name= is no change.
  test('10-lan.conf renamed to 20-lan.conf, Name= the same: docker-link untouched, no kernel write; and back', async () => {
    const before = await current();
    const writes = (from: number): string[] => (d?.log.slice(from) ?? []).filter((l) => /\breconcile run \d+: [1-9]\d* writes?\b/.test(l));
    for (const [a, b] of [['10-lan.conf', '20-lan.conf'], ['20-lan.conf', '10-lan.conf']] as const) {
      const from = logLen();
      renameSync(join(dir, a), join(dir, b));
      await logged(/reloading drop-ins/, from, `${a} → ${b}: reloaded`);
      await logged(/\breconcile run \d+: /, from, `${a} → ${b}: reconciled`);
      await sleep(1500); // a second reload, had the remove and the add been taken apart, would have run by now
      assert.equal((await shim())?.ifindex, before.ifindex, `${a} → ${b}: docker-link kept (same ifindex)`);
      assert.deepEqual(churn(from), [], `${a} → ${b}: nothing deleted or re-made`);
      assert.deepEqual(writes(from), [], `${a} → ${b}: no kernel write:\n${d?.log.slice(from).join('\n') ?? ''}`);
      assert.ok(!d?.log.slice(from).some((l) => /macvlan1: \S+ → /.test(l)), `${a} → ${b}: macvlan1's state never changed`);
    }
  });

  test('SIGHUP does not wait for the settle time', async () => {
    const from = logLen();
    writeFileSync(join(dir, '10-lan.conf'), dropIn('macvlan1', '192.168.88.195'));
    d?.proc.kill('SIGHUP');
    const t0 = Date.now();
    // The reload is what must not wait; the new address then waits for the
    // LAN's answer to its ARP probe (about a second), as any new address does.
    await logged(/reloading drop-ins/, from, 'reloaded');
    assert.ok(Date.now() - t0 < 900, `reloaded at once on SIGHUP (${Date.now() - t0} ms)`);
    await up('flatnet:macvlan1', '192.168.88.195');
  });

  // Item 7: the directory vanishing is not a wish to remove every network.
  for (const [what, vanish, message] of [
    ['moved away', () => renameSync(dir, `${dir}.away`), /the config directory is gone; keeping macvlan1 as it was/],
    ['replaced by a file', () => { renameSync(dir, `${dir}.away`); writeFileSync(dir, ''); }, /the config directory is no longer a directory; keeping macvlan1 as it was/],
  ] as const) {
    test(`the config directory ${what}: one warning, docker-link untouched; back again: configured`, async () => {
      const before = await current();
      const from = logLen();
      vanish();
      let back = logLen();
      try {
        await logged(message, from, `${what}: warned`);
        await logged(/macvlan1: configured → degraded/, from, `${what}: held, degraded`);
        back = logLen();
        await sleep(300);
        assert.equal((await shim())?.ifindex, before.ifindex, `${what}: docker-link kept`);
        assert.deepEqual(churn(from), []);
        assert.equal(d?.log.slice(from).filter((l) => l.startsWith(`${dir}: `) && message.test(l)).length, 1, 'one warning');
      } finally {
        rmSync(dir, { force: true });
        renameSync(`${dir}.away`, dir);
      }
      await logged(/macvlan1: degraded → configured/, back, `${what}: back`);
      assert.equal((await shim())?.ifindex, before.ifindex);
    });
  }

  test('the config directory emptied: that is a wish, docker-link goes', async () => {
    const from = logLen();
    rmSync(join(dir, '10-lan.conf'));
    await waitUntil('docker-link deleted', async () => (await shim()) === undefined, 15_000);
    assert.ok(!d?.log.slice(from).some((l) => /config directory is gone/.test(l)));
  });

  // Item 3: NixOS's environment.etc, exactly: /etc/flatnet.d/10-lan.conf →
  // /etc/static/flatnet.d/10-lan.conf, /etc/static → a store path, and the
  // file there → /nix/store/…-10-lan.conf.
  test("NixOS's layout: drop-ins through /etc/static into the store are read, and a new generation is applied without a SIGHUP", async () => {
    await d?.stop('SIGTERM');
    const nix = join(root, 'nix', 'store');
    mkdirSync(nix, { recursive: true });
    chmodSync(nix, 0o1775);
    const generation = (hash: string, text: string): string => {
      const etcTree = join(nix, `${hash}-etc`, 'etc');
      mkdirSync(join(etcTree, 'flatnet.d'), { recursive: true });
      const file = join(nix, `${hash}-10-lan.conf`);
      writeFileSync(file, text);
      chmodSync(file, 0o444);
      symlinkSync(file, join(etcTree, 'flatnet.d', '10-lan.conf'));
      return etcTree;
    };
    const etc = join(root, 'etc');
    mkdirSync(join(etc, 'flatnet.d'), { recursive: true });
    symlinkSync(generation('0aaaaaaa', dropIn()), join(etc, 'static'));
    symlinkSync(join(etc, 'static', 'flatnet.d', '10-lan.conf'), join(etc, 'flatnet.d', '10-lan.conf'));
    const from = logLen();
    start(join(etc, 'flatnet.d'));
    const first = await up();
    assert.ok(!d?.log.some((l) => /outside the config directories|not trusted/.test(l)), d?.log.join('\n'));
    // nixos-rebuild switch: a new /etc/static, swapped in by a rename.
    symlinkSync(generation('1bbbbbbb', dropIn('macvlan1', '192.168.88.196')), join(etc, '.static.tmp'));
    renameSync(join(etc, '.static.tmp'), join(etc, 'static'));
    const l = await up('flatnet:macvlan1', '192.168.88.196');
    assert.equal(l.ifindex, first.ifindex, 'the new generation edits the shim in place');
    assert.ok(from >= 0);
  });

  test('a config directory that is a symlink: edits in it are applied, and after re-pointing, those in the new target only', async () => {
    await d?.stop('SIGTERM');
    const a = join(root, 'gen-a');
    const b = join(root, 'gen-b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, '10-lan.conf'), dropIn());
    writeFileSync(join(b, '10-lan.conf'), dropIn('macvlan1', '192.168.88.198'));
    const link = join(root, 'flatnet-link.d');
    symlinkSync(a, link);
    start(link);
    const first = await up();
    writeFileSync(join(a, '10-lan.conf'), dropIn('macvlan1', '192.168.88.199'));
    await up('flatnet:macvlan1', '192.168.88.199');
    symlinkSync(b, `${link}.tmp`);
    renameSync(`${link}.tmp`, link);
    await up('flatnet:macvlan1', '192.168.88.198');
    const from = logLen();
    writeFileSync(join(a, '10-lan.conf'), dropIn('macvlan1', '192.168.88.200'));
    await sleep(1500);
    assert.ok(!(d?.log.slice(from).some((l) => l.includes('reloading drop-ins')) ?? false), 'the old target is neither read nor watched');
    writeFileSync(join(b, '10-lan.conf'), dropIn('macvlan1', '192.168.88.201'));
    const l = await up('flatnet:macvlan1', '192.168.88.201');
    assert.equal(l.ifindex, first.ifindex);
  });

  test('a symlink to a file someone else may write is not read', async () => {
    const evil = join(root, 'evil.conf');
    writeFileSync(evil, dropIn('evil', '192.168.88.197'));
    chmodSync(evil, 0o666);
    const from = logLen();
    symlinkSync(evil, join(root, 'flatnet-link.d', '20-evil.conf'));
    await logged(/20-evil\.conf: symlink to .*evil\.conf, not trusted \(.*evil\.conf is writable by others\): skipped/, from, 'refused');
    assert.equal(await hasAddr('192.168.88.197'), false);
  });
});
