// Deny by default: as nobody, every read works and every mutation is
// AccessDenied and changes nothing — under our policy (which lets the call
// reach flatnetd, which asks polkit; no polkitd here: root only), and under a
// permissive policy that lets anyone send anything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUS_NAME, busctl, busctlJson, dbusSend, MANAGER, startBus, startDaemon, type Daemon, type Policy, type TestBus } from '../support/dbus-harness.js';

const NET = '/org/flatnet/flatnet1/network';
const M = 'org.flatnet.flatnet1.Manager';
const N = 'org.flatnet.flatnet1.Network';

const MUTATIONS: [string, string, string[]][] = [
  [MANAGER[0], `${M}.Reload`, []],
  [MANAGER[0], `${M}.Reconcile`, []],
  [MANAGER[0], `${M}.Up`, ['string:lan']],
  [MANAGER[0], `${M}.Down`, ['string:lan']],
  [MANAGER[0], `${M}.Down`, ['string:nope']],
  [`${NET}/lan`, `${N}.Up`, []],
  [`${NET}/lan`, `${N}.Down`, []],
  [`${NET}/lan`, `${N}.Reconcile`, []],
];

for (const policy of ['system', 'permissive'] as Policy[]) {
  describe(`as nobody, ${policy} policy`, () => {
    let bus: TestBus;
    let daemon: Daemon;
    before(async () => {
      bus = await startBus(policy);
      daemon = await startDaemon(bus);
    });
    after(async () => {
      await daemon?.stop();
      await bus?.stop();
    });

    const lanState = async (): Promise<unknown> =>
      (await busctlJson(bus, ['get-property', BUS_NAME, `${NET}/lan`, N, 'State'])).data;

    test('every read succeeds', async () => {
      const nobody = { asNobody: true };
      const tree = await busctl(bus, ['tree', '--list', BUS_NAME], nobody);
      assert.equal(tree.code, 0, tree.stderr);
      assert.match(tree.stdout, /\/org\/flatnet\/flatnet1\/network\/lan/);
      const intro = await busctl(bus, ['introspect', BUS_NAME, `${NET}/lan`], nobody);
      assert.equal(intro.code, 0, intro.stderr);
      assert.equal((await busctlJson(bus, ['get-property', BUS_NAME, `${NET}/lan`, N, 'State'], nobody)).data, 'configured');
      await busctlJson(bus, ['call', BUS_NAME, `${NET}/lan`, 'org.freedesktop.DBus.Properties', 'GetAll', 's', N], nobody);
      await busctlJson(bus, ['call', BUS_NAME, MANAGER[0], 'org.freedesktop.DBus.ObjectManager', 'GetManagedObjects'], nobody);
      await busctlJson(bus, ['call', BUS_NAME, MANAGER[0], 'org.freedesktop.DBus.Peer', 'Ping'], nobody);
      for (const [member, ...args] of [['ListNetworks'], ['GetNetwork', 's', 'lan'], ['Describe'], ['Plan'], ['DockerArgs', 's', 'lan'],
        ['PodmanArgs', 's', 'lan'], ['CniConfig', 's', 'lan'], ['RouterHints', 'ss', 'lan', 'openwrt'], ['Check', 'ss', '99-new.conf', '[Network]\nName=x\n'],
        ['PlanFiles', 'a{ss}', '1', '/tmp/10-lan.conf', '[Network]\nName=lan\nParent=enp3s0\n']]) {
        const r = await busctl(bus, ['--json=short', 'call', BUS_NAME, ...MANAGER, member ?? '', ...args], nobody);
        assert.equal(r.code, 0, `${member ?? ''}: ${r.stderr}`);
      }
    });

    test('every mutation is AccessDenied and reaches nothing', async (t) => {
      const before = daemon.calls().filter((c) => !c.startsWith('CALL plan'));
      for (const [path, member, args] of MUTATIONS) {
        const r = await dbusSend(bus, path, member, args, { asNobody: true });
        assert.equal(r.error, 'org.freedesktop.DBus.Error.AccessDenied', `${member} ${args.join(' ')}: ${r.stderr}`);
        if (policy === 'permissive') {
          // Not the bus: flatnetd itself said no, and said why.
          assert.match(r.text, new RegExp(`^${member.replace(/\./g, '\\.')} changes the host and is for root only \\(caller uid 65534; polkit is not running to allow others\\); run it with sudo$`));
        }
      }
      assert.equal(await lanState(), 'configured');
      if (!daemon.isStub) return t.skip('the call log is the stub daemon\'s');
      assert.deepEqual(daemon.calls().filter((c) => !c.startsWith('CALL plan')), before, 'no mutating call reached the daemon');
    });

    test('Properties.Set is refused and changes nothing', async () => {
      const r = await busctl(bus, ['set-property', BUS_NAME, `${NET}/lan`, N, 'State', 's', 'down'], { asNobody: true });
      assert.equal(r.code, 1);
      const s = await dbusSend(bus, `${NET}/lan`, 'org.freedesktop.DBus.Properties.Set', ['string:' + N, 'string:State', 'variant:string:down'], { asNobody: true });
      // The bus refuses it under our policy; with no policy flatnetd refuses it for everyone.
      assert.equal(s.error, policy === 'system' ? 'org.freedesktop.DBus.Error.AccessDenied' : 'org.freedesktop.DBus.Error.PropertyReadOnly');
      assert.equal(await lanState(), 'configured');
    });

    test('root still may: the refusals above are about the caller, not a broken daemon', async () => {
      const r = await dbusSend(bus, MANAGER[0], `${M}.Down`, ['string:lan']);
      assert.equal(r.error, null, r.stderr);
      assert.equal(await lanState(), 'down');
      await dbusSend(bus, MANAGER[0], `${M}.Up`, ['string:lan']);
      assert.equal(await lanState(), 'configured');
    });

    test('a second daemon cannot take the name: it exits saying why', async () => {
      const second = await startDaemon(bus, { waitForName: false });
      const code = await second.proc.exited;
      assert.equal(code, 1);
      assert.match(second.proc.err.text(), /org\.flatnet\.flatnet1 is already owned on the system bus: is another flatnetd running\?/);
    });

    if (policy === 'system') {
      test('only root may own the name', async () => {
        const impostor = await startDaemon(bus, { asNobody: true, waitForName: false });
        const code = await impostor.proc.exited;
        assert.equal(code, 1);
        assert.match(impostor.proc.err.text(), /may not own org\.flatnet\.flatnet1 on the system bus \(.*\); flatnetd must run as root/);
      });
    }
  });
}
