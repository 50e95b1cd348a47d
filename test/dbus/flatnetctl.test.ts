// flatnetctl against a daemon on a private bus: output, --json, exit codes
// (0 ok, 1 failure, 2 usage, 3 not running), colour only on a TTY.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_NAME, busctlJson, CTL, daemonOnBus, flatnetctl, MANAGER, run, startBus, startProcess, type Daemon, type TestBus } from '../support/dbus-harness.js';

const NOT_RUNNING = 'flatnetd is not running (org.flatnet.flatnet1 not on the system bus)';

describe('without a daemon', () => {
  let bus: TestBus;
  before(async () => { bus = await startBus('system'); });
  after(async () => { await bus?.stop(); });

  test('every command that needs flatnetd exits 3 and says it is not running', async () => {
    for (const args of [['list'], ['status'], ['status', 'lan', '--json'], ['up', 'lan'], ['plan'], ['docker-args', 'lan'], ['monitor']]) {
      const r = await flatnetctl(bus, args);
      assert.equal(r.code, 3, args.join(' '));
      assert.equal(r.stderr, NOT_RUNNING, args.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('no system bus at all: exit 3, and the reason', async () => {
    const r = await flatnetctl({ address: 'unix:path=/nonexistent/system_bus_socket' }, ['list']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^flatnetd is not running \(org\.flatnet\.flatnet1 not on the system bus\): cannot connect to the system bus at unix:path=\/nonexistent\/system_bus_socket: .*ENOENT/);
  });

  test('usage errors exit 2; --help and --version exit 0', async () => {
    const bad = await flatnetctl(bus, ['frob']);
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [2, '', `flatnetctl: unknown command "frob"\nSee 'flatnetctl --help'.`]);
    assert.equal((await flatnetctl(bus, [])).code, 2);
    assert.equal((await flatnetctl(bus, ['up'])).code, 2);
    assert.equal((await flatnetctl(bus, ['reload', '--json'])).code, 2);
    const help = await flatnetctl(bus, ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: flatnetctl \[OPTIONS\] COMMAND/m);
    assert.match(help.stdout, /^ {2}docker-args NAME +Print the matching "docker network create" command$/m);
    const version = await flatnetctl(bus, ['--version']);
    assert.deepEqual([version.code, version.stdout], [0, 'flatnetctl 0.1.0']);
  });
});

describe('with the daemon', () => {
  let bus: TestBus;
  let daemon: Daemon;
  daemonOnBus((b, d) => { bus = b; daemon = d; });
  const ok = async (args: string[], opts = {}): Promise<string> => {
    const r = await flatnetctl(bus, args, opts);
    assert.equal(r.stderr, '', args.join(' '));
    assert.equal(r.code, 0, args.join(' '));
    assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a TTY');
    return r.stdout;
  };
  const lanState = async (): Promise<unknown> =>
    (await busctlJson(bus, ['get-property', BUS_NAME, '/org/flatnet/flatnet1/network/lan', 'org.flatnet.flatnet1.Network', 'State'])).data;

  test('list: aligned columns and a count; --json: every property', async (t) => {
    if (!daemon.isStub) return t.skip('exact output of the stub daemon\'s networks');
    assert.equal(await ok(['list']), [
      'NAME     STATE              DRIVER  MODE   PARENT     SHIM          CARRIER',
      '10-guest degraded           macvlan bridge enp3s0     shim-10-guest yes',
      'fragile  failed             macvlan bridge enp3s0.200 shim-fragile  yes',
      'iot      waiting-for-parent ipvlan  l2     enp4s0     -             -',
      'lan      configured         macvlan bridge enp3s0.200 shim-lan      yes',
    ].join('\n'), 'no trailing summary when stdout is not a terminal');
    assert.equal(await ok(['list', '--no-legend']), [
      '10-guest degraded           macvlan bridge enp3s0     shim-10-guest yes',
      'fragile  failed             macvlan bridge enp3s0.200 shim-fragile  yes',
      'iot      waiting-for-parent ipvlan  l2     enp4s0     -             -',
      'lan      configured         macvlan bridge enp3s0.200 shim-lan      yes',
    ].join('\n'), '--no-legend: no header either');
    const json = JSON.parse(await ok(['list', '--json'])) as Record<string, unknown>[];
    assert.deepEqual(json.map((n) => n['Name']), ['10-guest', 'fragile', 'iot', 'lan']);
    assert.equal(json[3]?.['LastChangeUSec'], 1700000000123456);
    assert.equal(json[0]?.['Path'], '/org/flatnet/flatnet1/network/_310_2dguest');
  });

  test('status: the daemon, its networks and diagnostics; status NAME: one network in detail', async (t) => {
    if (!daemon.isStub) return t.skip('exact output of the stub daemon');
    const all = (await ok(['status'])).split('\n');
    assert.deepEqual(all.slice(0, 4), ['● flatnetd 0.1.0-stub', '      State: running',
      '   Networks: 4 (1 configured, 1 waiting-for-parent, 1 degraded, 1 failed)', 'Diagnostics: 1 warning']);
    assert.equal(all[all.length - 1], 'warning: /etc/flatnet.d/lan.conf:9: Colour=blue: unknown key, ignoring');
    const guest = (await ok(['status', '10-guest'])).split('\n');
    assert.equal(guest[0], '● 10-guest');
    assert.ok(guest.includes('      State: degraded'));
    assert.ok(guest.includes('     Parent: enp3s0 (index 5, carrier yes)'));
    assert.ok(guest.includes(' Last Error: shim-10-guest: address 192.168.88.193/32: File exists'));
    assert.match(guest.find((l) => l.startsWith('Last Change:')) ?? '', /^Last Change: 2023-11-14 22:13:20 UTC \(\d+ days ago\)$/);
    const one = JSON.parse(await ok(['status', 'lan', '--json'])) as Record<string, unknown>;
    assert.deepEqual([one['Name'], one['State'], one['VLAN'], one['Carrier']], ['lan', 'configured', 200, true]);
    // one key style in every JSON flatnetctl prints: PascalCase, down to the diagnostics
    const top = JSON.parse(await ok(['status', '--json'])) as { Version: string; State: string; Networks: unknown[]; Diagnostics: { Key: string }[] };
    assert.deepEqual([top.Version, top.State, top.Networks.length, top.Diagnostics[0]?.Key], ['0.1.0-stub', 'running', 4, 'Colour']);
    // several names: each in detail, one after the other
    const two = (await ok(['status', 'lan', '10-guest'])).split('\n');
    assert.deepEqual([two[0], two.includes('● 10-guest')], ['● lan', true]);
    const both = JSON.parse(await ok(['status', 'lan', 'iot', '--json'])) as { Name: string }[];
    assert.deepEqual(both.map((n) => n.Name), ['lan', 'iot']);
  });

  test('status NAME ends with the network\'s last journal lines, as networkctl status does; -n 0 leaves them out', async (t) => {
    if (!daemon.isStub) return t.skip('the stub daemon\'s networks');
    const bin = mkdtempSync(join(tmpdir(), 'fnt-journalctl-'));
    t.after(() => rmSync(bin, { recursive: true, force: true }));
    // A journalctl that records how it was asked and answers as the journal would.
    writeFileSync(join(bin, 'journalctl'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${bin}/args\nprintf '2026-12-06T21:00:00+0000 host flatnetd[42]: lan: restored docker-link made again (macvlan bridge on enp3s0) (restore 2)\\n'\n`);
    chmodSync(join(bin, 'journalctl'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    const out = (await ok(['status', 'lan'], { env })).split('\n');
    assert.equal(out[out.length - 1], '2026-12-06T21:00:00+0000 host flatnetd[42]: lan: restored docker-link made again (macvlan bridge on enp3s0) (restore 2)');
    assert.equal(out[out.length - 2], '');
    assert.deepEqual(readFileSync(join(bin, 'args'), 'utf8').split('\n').slice(0, -1),
      ['--unit', 'flatnetd.service', '--no-pager', '--quiet', '--output', 'short-iso', '--lines', '10', '--grep', '^lan: ']);
    rmSync(join(bin, 'args'));
    const none = await ok(['status', 'lan', '-n', '0'], { env });
    assert.doesNotMatch(none, /restored/);
    assert.equal(existsSync(join(bin, 'args')), false, 'journalctl not asked with -n 0');
  });

  test('status NAME exits 1 for a failed network, as systemctl status does for a failed unit', async (t) => {
    if (!daemon.isStub) return t.skip('the stub daemon\'s failed network');
    const r = await flatnetctl(bus, ['status', 'fragile']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^● fragile\n/);
    assert.equal((await flatnetctl(bus, ['status', 'lan', 'fragile'])).code, 1);
    assert.equal((await flatnetctl(bus, ['status', 'lan'])).code, 0);
  });

  test('status of an unknown network: exit 1 and what to do', async () => {
    const r = await flatnetctl(bus, ['status', 'nope']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'flatnetctl: no network named "nope" (flatnetctl list shows the configured ones)']);
  });

  test('docker-args: a command to paste; --json: the argv', async (t) => {
    const argv = JSON.parse(await ok(['docker-args', 'lan', '--json'])) as string[];
    const viaBus = (await busctlJson(bus, ['call', BUS_NAME, ...MANAGER, 'DockerArgs', 's', 'lan'])).data as string[][];
    assert.deepEqual(argv, viaBus[0]);
    const text = await ok(['docker-args', 'lan']);
    // The printed command, run through a shell, is the same argv.
    const echoed = await run('sh', ['-c', `set -- ${text.replace(/\\\n/g, ' ')}; for a; do printf '%s\\n' "$a"; done`]);
    assert.deepEqual(echoed.stdout.split('\n'), argv);
    if (!daemon.isStub) return t.skip('exact text for the stub daemon\'s network');
    assert.equal(text, [
      'docker network create \\',
      '  -d macvlan \\',
      '  --subnet=192.168.88.0/24 \\',
      '  --ip-range=192.168.88.192/27 \\',
      '  --gateway=192.168.88.1 \\',
      '  --aux-address=host=192.168.88.192 \\',
      '  -o parent=enp3s0.200 \\',
      '  -o macvlan_mode=bridge \\',
      "  --label 'note=it'\\''s a test' \\",
      '  lan',
    ].join('\n'));
  });

  test('plan: what a reconcile would do, nothing applied, and which networks are blocked and why; --json: both', async (t) => {
    if (!daemon.isStub) return t.skip('the stub daemon\'s plan');
    assert.equal(await ok(['plan']), [
      'add address 192.168.88.192/32 to shim-lan for lan: missing', '', '1 operation planned, none applied.', '',
      'iot: waiting-for-parent: waiting for enp4s0 to appear',
      '10-guest: degraded: shim-10-guest: address 192.168.88.193/32: File exists',
      'fragile: failed: failed',
    ].join('\n'));
    const json = JSON.parse(await ok(['plan', '--json'])) as { Operations: { Action: string; Address: string }[]; Blocked: { Network: string; State: string }[] };
    assert.deepEqual(json.Operations.map((o) => [o.Action, o.Address]), [['addr-add', '192.168.88.192/32']]);
    assert.deepEqual(json.Blocked.map((b) => [b.Network, b.State]), [['iot', 'waiting-for-parent'], ['10-guest', 'degraded'], ['fragile', 'failed']]);
  });

  test('down and up as root change the network; as nobody they are refused with a hint', async () => {
    assert.equal(await ok(['down', 'lan']), '');
    assert.equal(await lanState(), 'down');
    assert.equal(await ok(['up', 'lan']), '');
    assert.equal(await lanState(), 'configured');
    for (const cmd of [['down', 'lan'], ['up', 'lan'], ['reload'], ['reconcile']]) {
      const r = await flatnetctl(bus, cmd, { asNobody: true });
      assert.equal(r.code, 1, cmd.join(' '));
      assert.equal(r.stderr, `flatnetctl: ${cmd.join(' ')}: permission denied: only root, or a user polkit allows (action org.flatnet.flatnet1.manage), may change flatnetd (try: sudo flatnetctl ${cmd.join(' ')})`);
    }
    assert.equal(await lanState(), 'configured');
    assert.match(await ok(['list'], { asNobody: true }), /^NAME +STATE/);
    assert.equal(await ok(['reload']), '');
    assert.equal(await ok(['reconcile']), '');
  });

  test('a failing call: exit 1 with the daemon\'s message, no stack', async (t) => {
    if (!daemon.isStub) return t.skip('needs the stub daemon\'s failing network');
    const r = await flatnetctl(bus, ['up', 'fragile']);
    assert.deepEqual([r.code, r.stderr], [1, 'flatnetctl: fragile exploded']);
    const c = await flatnetctl(bus, ['down', 'fragile']);
    assert.deepEqual([c.code, c.stderr], [1, 'flatnetctl: shim-fragile: exists and is not ours (no flatnet: alias); rename it or delete it']);
  });

  test('colour on a TTY, none with NO_COLOR', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, TZ: 'UTC' };
    delete env['NO_COLOR'];
    const tty = await run('script', ['-qec', `${process.execPath} ${CTL} list`, '/dev/null'], { env });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /\x1b\[32mconfigured\x1b\[0m/);
    // a person at a terminal gets the trailing count that a pipe does not
    assert.match(tty.stdout, /\r?\n4 networks listed\.\r?$/);
    const noColour = await run('script', ['-qec', `${process.execPath} ${CTL} list`, '/dev/null'], { env: { ...env, NO_COLOR: '1' } });
    assert.doesNotMatch(noColour.stdout, /\x1b\[/);
    // columns shortened to the terminal's width ($COLUMNS first, as systemd), --full to see all
    const narrow = await run('script', ['-qec', `${process.execPath} ${CTL} list`, '/dev/null'], { env: { ...env, NO_COLOR: '1', COLUMNS: '70' } });
    const rows = narrow.stdout.split(/\r?\n/).filter((l) => l !== '');
    assert.ok(rows.every((l) => [...l].length <= 70), rows.join('\n'));
    assert.match(narrow.stdout, /shim-10-…/);
    assert.match(narrow.stdout, /waiting-for-parent/, 'the state is never cut');
    const full = await run('script', ['-qec', `${process.execPath} ${CTL} list --full`, '/dev/null'], { env: { ...env, NO_COLOR: '1', COLUMNS: '70' } });
    assert.match(full.stdout, /shim-10-guest/);
  });

  test('monitor: one line per change as it happens, --json as JSON lines; flatnetd stopping is a line too', async (t) => {
    if (!daemon.isStub) return t.skip('drives the stub daemon');
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, TZ: 'UTC' };
    const text = startProcess(process.execPath, [CTL, 'monitor'], env);
    const json = startProcess(process.execPath, [CTL, 'monitor', '--json'], env);
    try {
      await text.err.waitFor(/^Following flatnetd; Ctrl-C to stop\.$/);
      await json.err.waitFor(/^Following flatnetd; Ctrl-C to stop\.$/);
      await daemon.send({ set: { name: 'lan', state: 'degraded', lastError: 'shim-lan: address gone' } });
      await daemon.send({ add: { name: 'guest', state: 'pending' } });
      await daemon.send({ remove: 'guest' });
      await daemon.send({ manager: 'degraded' });
      const want = [
        /^\d\d:\d\d:\d\d lan: State configured → degraded, LastError "" → "shim-lan: address gone"$/,
        /^\d\d:\d\d:\d\d guest: added \(pending\)$/,
        // names, not escaped object paths (10-guest's path is …/_310_2dguest)
        /^\d\d:\d\d:\d\d flatnetd: Networks lan,iot,10-guest,fragile → lan,iot,10-guest,fragile,guest$/,
        /^\d\d:\d\d:\d\d guest: removed$/,
        /^\d\d:\d\d:\d\d flatnetd: Networks lan,iot,10-guest,fragile,guest → lan,iot,10-guest,fragile$/,
        /^\d\d:\d\d:\d\d flatnetd: State running → degraded$/,
      ];
      let at = 0;
      for (const re of want) at = (await text.out.waitFor(re, at)).index + 1;
      // PascalCase keys, as in every flatnetctl JSON
      const first = JSON.parse((await json.out.waitFor(/"Name":"lan"/)).line) as { Event: string; Changes: Record<string, { From: unknown; To: unknown }> };
      assert.equal(first.Event, 'changed');
      assert.deepEqual(Object.keys(first.Changes).sort(), ['LastChangeUSec', 'LastError', 'State']);
      assert.deepEqual(first.Changes['State'], { From: 'configured', To: 'degraded' });
      assert.deepEqual(first.Changes['LastError'], { From: '', To: 'shim-lan: address gone' });
      assert.equal(typeof first.Changes['LastChangeUSec']?.To, 'number', 'a microsecond timestamp stays a JSON number');
      await json.out.waitFor(/"Event":"removed","Object":"network","Name":"guest"/);
      await daemon.stop();
      await text.out.waitFor(/^\d\d:\d\d:\d\d flatnetd stopped$/, at);
      text.child.kill('SIGINT');
      assert.equal(await text.exited, 0);
      assert.equal(text.out.all.filter((l) => l.includes('LastChangeUSec')).length, 0);
    } finally {
      await text.stop();
      await json.stop();
    }
  });
});
