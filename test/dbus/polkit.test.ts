// Authorization through the real polkitd (Debian's polkitd package), on a
// private bus with our policy: root may always; a rules.d rule granting one
// group (nogroup, nobody's) lets that group change the host without sudo;
// a uid outside the group is refused by polkit's own verdict; with polkitd
// gone, root only again.
//
// polkitd reads its actions and rules from fixed directories, so it runs in
// a mount namespace of its own (unshare) where our .policy and one test rule
// are bind-mounted over /usr/share/polkit-1/{actions,rules.d} and a tmpfs
// hides /etc/polkit-1/rules.d: this host's own polkit files are never touched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUS_NAME, busctlJson, dbusSend, MANAGER, REPO, run, startBus, startDaemon, startProcess, waitForName,
  type Daemon, type Proc, type TestBus } from '../support/dbus-harness.js';

const POLKITD = '/usr/lib/polkit-1/polkitd';
const NET = '/org/flatnet/flatnet1/network';
const M = 'org.flatnet.flatnet1.Manager';
const N = 'org.flatnet.flatnet1.Network';
/** uid 1, group daemon: not in the group the rule grants. */
const DAEMON_USER = ['setpriv', '--reuid=daemon', '--regid=daemon', '--clear-groups'];

const RULE = `// The test's one rule: nobody's group may manage flatnetd.
polkit.addRule(function(action, subject) {
    if (action.id == "org.flatnet.flatnet1.manage" && subject.isInGroup("nogroup"))
        return polkit.Result.YES;
});
`;

describe('polkit decides for callers other than root', { skip: existsSync(POLKITD) ? false : 'needs polkitd: apt-get install polkitd' }, () => {
  let bus: TestBus;
  let daemon: Daemon;
  let polkitd: Proc | undefined;
  let dir: string;

  const lanState = async (): Promise<unknown> =>
    (await busctlJson(bus, ['get-property', BUS_NAME, `${NET}/lan`, N, 'State'])).data;
  const asDaemonUser = async (path: string, member: string, args: string[] = []): Promise<{ error: string | null; text: string }> => {
    const r = await run(DAEMON_USER[0] ?? 'setpriv', [...DAEMON_USER.slice(1), 'dbus-send', `--bus=${bus.address}`, '--print-reply',
      `--dest=${BUS_NAME}`, path, member, ...args]);
    const m = /^Error ([\w.]+): ([\s\S]*)$/m.exec(r.stderr);
    return { error: m?.[1] ?? null, text: (m?.[2] ?? '').trim() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fnt-polkit-'));
    chmodSync(dir, 0o755);
    const actions = join(dir, 'actions');
    const rules = join(dir, 'rules.d');
    for (const d of [actions, rules]) { mkdirSync(d); chmodSync(d, 0o755); }
    copyFileSync(`${REPO}packaging/polkit/org.flatnet.flatnet1.policy`, join(actions, 'org.flatnet.flatnet1.policy'));
    writeFileSync(join(rules, '50-flatnet-test.rules'), RULE, { mode: 0o644 });
    bus = await startBus('polkit');
    const script = [
      `mount --bind ${actions} /usr/share/polkit-1/actions`,
      `mount --bind ${rules} /usr/share/polkit-1/rules.d`,
      'mount -t tmpfs -o mode=0755 tmpfs /etc/polkit-1/rules.d',
      `exec ${POLKITD} --no-debug`,
    ].join(' && ');
    polkitd = startProcess('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script],
      { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    await Promise.race([
      waitForName(bus.address, 'org.freedesktop.PolicyKit1'),
      polkitd.exited.then((code) => { throw new Error(`polkitd exited (${String(code)}):\n${polkitd?.err.text() ?? ''}`); }),
    ]);
    daemon = await startDaemon(bus);
  });
  after(async () => {
    await daemon?.stop();
    await polkitd?.stop();
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a member of the granted group takes a network down and up without sudo', async (t) => {
    const down = await dbusSend(bus, MANAGER[0], `${M}.Down`, ['string:lan'], { asNobody: true });
    assert.equal(down.error, null, down.stderr);
    assert.equal(await lanState(), 'down');
    const up = await dbusSend(bus, `${NET}/lan`, `${N}.Up`, [], { asNobody: true });
    assert.equal(up.error, null, up.stderr);
    assert.equal(await lanState(), 'configured');
    const reload = await dbusSend(bus, MANAGER[0], `${M}.Reload`, [], { asNobody: true });
    assert.equal(reload.error, null, reload.stderr);
    if (!daemon.isStub) return t.skip('the call log is the stub daemon\'s');
    assert.deepEqual(daemon.calls().slice(-3), ['CALL down lan', 'CALL up lan', 'CALL reload']);
  });

  test('a uid outside the group must authenticate as an administrator (the default, auth_admin), and nothing changes', async (t) => {
    const before = daemon.calls().length;
    const r = await asDaemonUser(MANAGER[0], `${M}.Down`, ['string:lan']);
    // As systemd answers a caller that did not allow interactive authorization.
    assert.equal(r.error, 'org.freedesktop.DBus.Error.InteractiveAuthorizationRequired');
    assert.match(r.text, /caller uid 1 must authenticate as an administrator \(polkit action org\.flatnet\.flatnet1\.manage\)/);
    assert.equal(await lanState(), 'configured');
    // flatnetctl allows interactive authorization; with no polkit agent to ask, it is refused all the same.
    const ctl = await run(DAEMON_USER[0] ?? 'setpriv', [...DAEMON_USER.slice(1), process.execPath, `${REPO}dist/src/cli/flatnetctl.js`, 'down', 'lan'],
      { env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: bus.address, NO_COLOR: '1' } });
    assert.equal(ctl.code, 1, ctl.stdout + ctl.stderr);
    assert.match(ctl.stderr, /org\.flatnet\.flatnet1\.manage/);
    assert.equal(await lanState(), 'configured');
    if (daemon.isStub) assert.equal(daemon.calls().length, before);
    else t.skip('the call log is the stub daemon\'s');
  });

  test('Properties.Set stays refused for the granted group too', async () => {
    const s = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Set', [`string:${N}`, 'string:State', 'variant:string:down'], { asNobody: true });
    assert.equal(s.error, 'org.freedesktop.DBus.Error.AccessDenied');
    assert.equal(await lanState(), 'configured');
  });

  test('without polkitd: root only again, and root still may', async () => {
    await polkitd?.stop();
    polkitd = undefined;
    const r = await dbusSend(bus, MANAGER[0], `${M}.Down`, ['string:lan'], { asNobody: true });
    assert.equal(r.error, 'org.freedesktop.DBus.Error.AccessDenied');
    assert.match(r.text, /is for root only \(caller uid 65534; polkit is not running to allow others\)/);
    assert.equal(await lanState(), 'configured');
    const root = await dbusSend(bus, MANAGER[0], `${M}.Down`, ['string:lan']);
    assert.equal(root.error, null, root.stderr);
    assert.equal(await lanState(), 'down');
    await dbusSend(bus, MANAGER[0], `${M}.Up`, ['string:lan']);
  });
});
