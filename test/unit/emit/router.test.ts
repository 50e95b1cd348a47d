// Golden tests: the hints for the README's two networks (the plain LAN and VLAN
// 200), held against files written in each router's documented syntax
// (test/fixtures/emit/README.md says where each line's syntax comes from).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { routerHints } from '../../../src/emit/router.js';
import { readmeLan } from '../../fake/scenarios.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const golden = (name: string): string => readFileSync(`${root}test/fixtures/emit/${name}`, 'utf8').trimEnd();

const vlan200 = readmeLan({ name: 'lan200', vlan: 200, subnets: ['192.168.200.0/24'], gateways: ['192.168.200.1'],
  ipRanges: ['192.168.200.192/27'],
  shim: { name: 'shim-lan200', addresses: ['192.168.200.192/32'], routes: ['192.168.200.192/27'], routesExplicit: false, mac: null } });

for (const router of ['routeros', 'openwrt']) {
  test(`${router}: VLAN 200 — the VLAN interface, the gateway on it, a DHCP pool clear of IPRange=`, () => {
    assert.equal(routerHints(vlan200, vlan200.subnets, router), golden(`${router}-vlan200.txt`));
  });
  test(`${router}: no VLAN — only the DHCP-pool check, with numbers`, () => {
    assert.equal(routerHints(readmeLan({ name: 'macvlan1' }), ['192.168.88.0/24'], router), golden(`${router}-lan.txt`));
  });
}

test('an unknown router is refused with the list', () => {
  assert.throws(() => routerHints(vlan200, vlan200.subnets, 'cisco'), /unknown router "cisco": one of routeros, openwrt/);
});

test('no IPRange=: no pool is safe, and the hint says why', () => {
  const text = routerHints(readmeLan({ ipRanges: [] }), ['192.168.88.0/24'], 'routeros');
  assert.match(text, /No IPRange= is set, so containers may get any address of the subnet/);
});

// The documented grammar of each command line (see test/fixtures/emit/README.md).
const ROUTEROS: Record<string, readonly string[]> = {
  '/interface/vlan/add': ['interface', 'vlan-id', 'name'],
  '/interface/bridge/vlan/add': ['bridge', 'tagged', 'vlan-ids'],
  '/ip/address/add': ['address', 'interface'],
  '/ipv6/address/add': ['address', 'interface', 'advertise'],
  '/ip/pool/add': ['name', 'ranges'],
  '/ip/pool/print': [],
  '/ip/dhcp-server/add': ['name', 'interface', 'address-pool'],
  '/ip/dhcp-server/network/add': ['address', 'gateway'],
};
const UCI = /^uci (set (network|dhcp)\.[a-z0-9_]+(=(interface|dhcp)|\.(device|proto|ipaddr|interface|start|limit)='[^']*')|add_list network\.[a-z0-9_]+\.ip6addr='[^']*'|commit (network|dhcp)|show dhcp \| grep .*)$/;

function routerOsLineOk(line: string): boolean {
  const [path = '', ...words] = line.trim().split(/\s+/);
  const keys = ROUTEROS[path];
  return keys !== undefined && words.every((w) => /^[a-z0-9-]+=[^\s=]+$/.test(w) && keys.includes(w.split('=')[0] ?? ''));
}

test('every RouterOS command line, commented or not, follows the documented grammar (and so do the README\'s)', () => {
  const seed = ['/interface/vlan/add interface=main-bridge vlan-id=200 name=vlan-200-docker-demo',
    '/ip/address/add address=192.168.200.1/24 interface=vlan-200-docker-demo'];
  const ours = [golden('routeros-vlan200.txt'), golden('routeros-lan.txt')].join('\n').split('\n')
    .map((l) => l.replace(/^#\s+(?=\/)/, '').replace(/^#.*: (?=\/)/, '')).filter((l) => l.startsWith('/'));
  assert.ok(ours.length >= 6);
  for (const line of [...seed, ...ours]) assert.ok(routerOsLineOk(line), line);
  assert.equal(routerOsLineOk('/interface/vlan/add interface=bridge vlanid=200'), false);
});

test('every OpenWrt line is a comment or a uci command on a documented option', () => {
  const lines = [golden('openwrt-vlan200.txt'), golden('openwrt-lan.txt')].join('\n').split('\n').filter((l) => !l.startsWith('#'));
  assert.ok(lines.length >= 10);
  for (const line of lines) assert.match(line, UCI);
  // dnsmasq's pool: start + limit - 1 is the last offset, and it stays below the range.
  const v = golden('openwrt-vlan200.txt');
  const start = Number(/start='(\d+)'/.exec(v)?.[1]);
  const limit = Number(/limit='(\d+)'/.exec(v)?.[1]);
  assert.ok(start >= 2 && start + limit - 1 < 192, `${start}+${limit}`);
});
