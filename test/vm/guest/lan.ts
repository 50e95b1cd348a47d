// Issue 17 under real systemd: flatnetd.service, started by systemd with the
// shipped (hardened) unit, can ask the LAN (arping needs CAP_NET_RAW and an
// AF_PACKET socket, which the unit grants and nothing else of ours uses) and
// write its shims' accept_ra (ReadWritePaths=/proc/sys/net/ipv6/conf under
// ProtectKernelTunables=). Proved by what it did, not by reading the unit: a
// probe that answered free for every shim, a probe that heard the router's MAC
// for an address the router holds, accept_ra=0 on every shim. Then the unit's
// exposure as `systemd-analyze security` scores it (packaging/SECURITY-SCORE.md).

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { run, waitFor, type Reporter } from './lib.js';
import { NETS } from './topology.js';

const ROUTER = 'fnt-vm-lan';
const HELD = '192.168.88.77';
const DROPIN = '/etc/flatnet.d/70-held.conf';

function journal(): string {
  return run(['journalctl', '-u', 'flatnetd.service', '-b', '-o', 'cat', '--no-pager']).stdout;
}

export function lanScenario(r: Reporter): void {
  r.check('flatnetd.service is active', run(['systemctl', 'is-active', 'flatnetd.service']).stdout.trim() === 'active',
    run(['systemctl', 'status', '--no-pager', 'flatnetd.service']).stdout.slice(0, 800));
  const shims = NETS.filter((n) => n.shim !== null && n.parentKind !== 'dummy');
  r.step('every shim on a LAN got its address after a clean ARP probe (arping ran under the unit)', () => {
    waitFor('every shim address', () => shims.every((n) => n.shimAddrs.every((a) => run(['ip', '-4', '-o', 'addr', 'show', 'dev', n.shim ?? '']).stdout.includes(a))), 60_000);
    const j = journal();
    const unprobed = j.split('\n').filter((l) => /could not probe/.test(l));
    if (unprobed.length > 0) throw new Error(`arping failed under the unit: ${unprobed.slice(0, 3).join(' | ')}`);
    const probed = shims.filter((n) => new RegExp(`^${n.name}: (new|probing) → configured`, 'm').test(j) && j.includes(`${n.name}: new → probing`));
    if (probed.length !== shims.length) throw new Error(`probing → configured for ${probed.map((n) => n.name).join(', ')} only, of ${shims.map((n) => n.name).join(', ')}`);
    return `${shims.map((n) => n.name).join(', ')}: new → probing → configured, no "could not probe"`;
  });
  r.step('accept_ra is 0 on every shim (written through ReadWritePaths= under ProtectKernelTunables=)', () => {
    const bad = NETS.filter((n) => n.shim !== null).map((n) => [n.shim ?? '', readFileSync(`/proc/sys/net/ipv6/conf/${n.shim ?? ''}/accept_ra`, 'utf8').trim()] as const).filter(([, v]) => v !== '0');
    const j = journal().split('\n').filter((l) => /could not set accept_ra/.test(l));
    if (bad.length > 0 || j.length > 0) throw new Error(`accept_ra: ${bad.map(([s, v]) => `${s}=${v}`).join(' ')} ${j.slice(0, 2).join(' | ')}`);
    return 'accept_ra=0 on every shim, no write refused';
  });
  r.step('an address the router holds: the probe hears the router\'s MAC, the address is withheld, the network degraded', () => {
    const mac = run(['ip', '-n', ROUTER, '-j', 'link', 'show', 'dev', 'lan0-peer']).stdout.match(/"address":"([0-9a-f:]{17})"/)?.[1] ?? '';
    run(['ip', '-n', ROUTER, 'addr', 'add', `${HELD}/24`, 'dev', 'lan0-peer']);
    writeFileSync(DROPIN, `[Network]\nParent=lan0\nSubnet=192.168.88.0/24\nIPRange=192.168.88.96/27\n\n[Shim]\nName=held-shim\nAddress=${HELD}\n`);
    try {
      const reload = run(['flatnetctl', 'reload'], { timeoutMs: 60_000 });
      if (reload.code !== 0) throw new Error(`flatnetctl reload: ${reload.stderr.trim()}`);
      let last = '';
      waitFor('70-held degraded', () => {
        last = run(['flatnetctl', 'status', '70-held', '--no-pager']).stdout;
        return /degraded/.test(last) && last.includes(mac);
      }, 60_000);
      if (run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'held-shim']).stdout.includes(HELD)) throw new Error('the held address was assigned');
      return `named ${mac}: ${last.split('\n').find((l) => l.includes(HELD))?.trim() ?? ''}`;
    } finally {
      rmSync(DROPIN, { force: true });
      run(['ip', '-n', ROUTER, 'addr', 'del', `${HELD}/24`, 'dev', 'lan0-peer']);
      run(['flatnetctl', 'reload'], { timeoutMs: 60_000 });
    }
  });
  const sec = run(['systemd-analyze', 'security', '--no-pager', 'flatnetd.service'], { timeoutMs: 120_000 });
  const overall = sec.stdout.split('\n').find((l) => /Overall exposure level/.test(l))?.replace(/\s+/g, ' ').trim() ?? sec.stderr.trim();
  r.info('systemd-analyze security flatnetd.service', overall);
  const lines = sec.stdout.split('\n').filter((l) => /CAP_NET_RAW|AF_PACKET|RestrictAddressFamilies|CapabilityBoundingSet|ProtectKernelTunables|SystemCallFilter/.test(l));
  r.info('systemd-analyze security: the lines issue 17 touches', lines.map((l) => l.replace(/\s+/g, ' ').trim()).join(' | '));
}
