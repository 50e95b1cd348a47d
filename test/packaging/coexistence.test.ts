// What the package ships so other tools leave flatnetd's links alone, tried
// on real links in a network namespace of our own (root):
//  - the udev rule marks a link whose alias is `flatnet:<net>` for
//    NetworkManager (NM_UNMANAGED) and networkd (ID_NET_MANAGED_BY), and no
//    other link; checked with `udevadm test`, with the rule bind-mounted over
//    /etc/udev/rules.d in a private mount namespace (the host's own rules
//    directories are never written);
//  - the rt_protos file names protocol 233 "flatnet" for iproute2, which
//    changes what `ip -json route` prints (the kernel backend must accept
//    both, or use `ip -N`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ROOT, have, isRoot, run } from '../support/tools.js';

function sh(script: string): { code: number | null; out: string } {
  const r = run('sh', ['-ec', script]);
  return { code: r.code, out: r.stdout + r.stderr };
}

function withNetns(t: { skip(msg: string): void }, body: (ns: string) => void): void {
  if (!isRoot()) {
    t.skip('needs root: creates a network namespace');
    return;
  }
  const ns = `fnt-pkg-${process.pid}-${randomBytes(3).toString('hex')}`;
  const made = run('ip', ['netns', 'add', ns]);
  assert.equal(made.code, 0, made.stderr);
  try {
    const r = sh(`
      ip -n ${ns} link add lan0 type veth peer name lan1
      ip -n ${ns} link set lan0 up
      ip -n ${ns} link set lan1 up
      # flatnetd's way: create, then set the alias (the kernel ignores IFLA_IFALIAS on RTM_NEWLINK)
      ip -n ${ns} link add link lan0 name docker-link type macvlan mode bridge
      ip -n ${ns} link set docker-link alias flatnet:lan
      ip -n ${ns} link add link lan0 name other0 type macvlan mode bridge
      ip -n ${ns} link add link lan0 name almost0 type macvlan mode bridge
      ip -n ${ns} link set almost0 alias notflatnet:lan
      # the instant between flatnetd's creating message (group 233) and its alias
      ip -n ${ns} link add link lan0 name fresh0 group 233 type macvlan mode bridge
    `);
    assert.equal(r.code, 0, r.out);
    body(ns);
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
}

/** The udev properties `udevadm test` computes for a link, with our rule in place. */
function udevProps(ns: string, rulesDir: string, ifname: string): Map<string, string> {
  const r = run('ip', ['netns', 'exec', ns, 'unshare', '-m', 'sh', '-ec',
    `mount --bind ${rulesDir} /etc/udev/rules.d; udevadm test --action=add /sys/class/net/${ifname}`]);
  assert.equal(r.code, 0, `udevadm test ${ifname}:\n${r.stderr}`);
  const props = new Map<string, string>();
  for (const l of (r.stdout + r.stderr).split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l);
    if (m?.[1] !== undefined && m[2] !== undefined) props.set(m[1], m[2]);
  }
  assert.equal(props.get('INTERFACE'), ifname, `udevadm test printed no properties for ${ifname}`);
  return props;
}

test('the udev rule marks flatnetd links unmanaged for NetworkManager and networkd, and only them', (t) => {
  if (!have('udevadm')) return t.skip('needs udevadm (apt package udev)');
  if (!have('unshare')) return t.skip('needs unshare (apt package util-linux)');
  withNetns(t, (ns) => {
    const rules = join(ROOT, 'packaging/udev');
    const ours = udevProps(ns, rules, 'docker-link');
    assert.equal(ours.get('NM_UNMANAGED'), '1');
    assert.equal(ours.get('ID_NET_MANAGED_BY'), 'org.flatnet.flatnetd');
    // Marked from its first instant, before the alias exists (no race with udev's "add").
    const fresh = udevProps(ns, rules, 'fresh0');
    assert.equal(fresh.get('NM_UNMANAGED'), '1');
    assert.equal(fresh.get('ID_NET_MANAGED_BY'), 'org.flatnet.flatnetd');
    for (const other of ['other0', 'almost0']) {
      const p = udevProps(ns, rules, other);
      assert.notEqual(p.get('ID_NET_MANAGED_BY'), 'org.flatnet.flatnetd', other);
    }
    // And without our rule the flatnetd link is not marked: the rule is what does it.
    const empty = mkdtempSync(join(tmpdir(), 'fnt-rules-'));
    try {
      assert.equal(udevProps(ns, empty, 'docker-link').get('ID_NET_MANAGED_BY'), undefined);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

test('with the rt_protos file installed, iproute2 names protocol 233 "flatnet" (ip -N still prints 233)', (t) => {
  if (!have('unshare')) return t.skip('needs unshare (apt package util-linux)');
  withNetns(t, (ns) => {
    const add = sh(`ip -n ${ns} addr add 192.0.2.1/24 dev lan0
      ip -n ${ns} route add 198.51.100.0/27 dev lan0 proto 233`);
    assert.equal(add.code, 0, add.out);
    const protocols = (dir: string, numeric: boolean): string[] => {
      const r = run('unshare', ['-m', 'sh', '-ec',
        `mount --bind ${dir} /etc/iproute2/rt_protos.d; ip ${numeric ? '-N ' : ''}-n ${ns} -json route show 198.51.100.0/27`]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { protocol?: string }[]).map((x) => x.protocol ?? '');
    };
    const empty = mkdtempSync(join(tmpdir(), 'fnt-rtp-'));
    try {
      assert.deepEqual(protocols(empty, false), ['233']);
      assert.deepEqual(protocols(join(ROOT, 'packaging/iproute2'), false), ['flatnet']);
      assert.deepEqual(protocols(join(ROOT, 'packaging/iproute2'), true), ['233']);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
