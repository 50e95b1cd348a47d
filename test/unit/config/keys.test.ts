import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { KEYS } from '../../../src/config/keys.js';
import { parseUnitFile } from '../../../src/config/unitfile.js';
import { check, LAN, REPO, shown, valid } from '../../support/config.js';

/** Diagnostics for one [Network] or [Shim] line, on line 3 of a minimal drop-in. */
const one = (section: 'Network' | 'Shim', line: string): string[] =>
  check(section === 'Network' ? `[Network]\nParent=enp3s0\n${line}\n` : `[Network]\n[Shim]\n${line}\n`);
const err = (kv: string, message: string): string[] => [`error: ${LAN}:3: ${kv}: ${message}`];

test('VLAN: 1..4094, decimal', () => {
  assert.deepEqual(one('Network', 'VLAN=5000'), err('VLAN=5000', 'must be 1..4094'));
  assert.deepEqual(one('Network', 'VLAN=0'), err('VLAN=0', 'must be 1..4094'));
  assert.deepEqual(one('Network', 'VLAN=0x10'), err('VLAN=0x10', 'must be 1..4094'));
  assert.deepEqual(one('Network', 'VLAN=-1'), err('VLAN=-1', 'must be 1..4094'));
  assert.equal(valid(`[Network]\nParent=enp3s0\nVLAN=4094\n`).net.vlan, 4094);
});

test('MTU: 68..65535', () => {
  assert.deepEqual(one('Network', 'MTU=67'), err('MTU=67', 'must be 68..65535'));
  assert.deepEqual(one('Network', 'MTU=65536'), err('MTU=65536', 'must be 68..65535'));
  assert.deepEqual(one('Network', 'MTU=1500.5'), err('MTU=1500.5', 'must be 68..65535'));
  assert.equal(valid(`[Network]\nParent=enp3s0\nMTU=9000\n`).net.mtu, 9000);
});

test('booleans: yes/no, true/false, on/off, 1/0 in any case', () => {
  assert.deepEqual(one('Network', 'Promiscuous=maybe'), err('Promiscuous=maybe', 'must be a boolean: yes/no, true/false, on/off or 1/0'));
  for (const [t, b] of [['yes', true], ['No', false], ['TRUE', true], ['false', false], ['on', true], ['off', false], ['1', true], ['0', false]] as const) {
    assert.equal(valid(`[Network]\nParent=enp3s0\nPromiscuous=${t}\n`).net.promiscuous, b, t);
  }
});

test('enums: Driver, Mode, IPVlanFlag', () => {
  assert.deepEqual(one('Network', 'Driver=bridge'), err('Driver=bridge', 'must be macvlan or ipvlan'));
  assert.deepEqual(one('Network', 'Driver=MACVLAN'), err('Driver=MACVLAN', 'must be macvlan or ipvlan'));
  assert.deepEqual(one('Network', 'Mode=l4'),
    err('Mode=l4', 'must be bridge, vepa, private, passthru (macvlan) or l2, l3, l3s (ipvlan)'));
  assert.deepEqual(check('[Network]\nParent=enp3s0\nDriver=ipvlan\nIPVlanFlag=public\n'),
    [`error: ${LAN}:4: IPVlanFlag=public: must be bridge, private or vepa`]);
});

test('interface names: 1..15 bytes, no "/", ":" or whitespace, not "." or ".."', () => {
  assert.deepEqual(one('Network', 'Parent=enp3s0f0np0abcdef'), err('Parent=enp3s0f0np0abcdef', 'interface name longer than 15 bytes'));
  // bytes, not characters: 8 characters, 16 bytes
  assert.deepEqual(one('Network', 'Parent=éééééééé'), err('Parent=éééééééé', 'interface name longer than 15 bytes'));
  assert.deepEqual(one('Network', 'Parent=en/p3'), err('Parent=en/p3', 'interface name must not contain "/", ":" or whitespace'));
  assert.deepEqual(one('Network', 'Parent=eth0:1'), err('Parent=eth0:1', 'interface name must not contain "/", ":" or whitespace'));
  assert.deepEqual(one('Network', 'Parent=en p3'), err('Parent=en p3', 'interface name must not contain "/", ":" or whitespace'));
  assert.deepEqual(one('Network', 'Parent=..'), err('Parent=..', '".." is not a valid interface name'));
  assert.deepEqual(one('Shim', 'Name=.'), err('Name=.', '"." is not a valid interface name'));
  assert.deepEqual(one('Shim', 'Name=docker-link-0123'), err('Name=docker-link-0123', 'interface name longer than 15 bytes'));
  assert.equal(valid('[Network]\nParent=enp3s0f0np0abc\n').net.parent, 'enp3s0f0np0abc');
});

test('network names: letters, digits, "_", "." and "-", at most 64', () => {
  const rule = 'network name must start with a letter or digit and hold only letters, digits, "_", "." and "-"';
  assert.deepEqual(one('Network', 'Name=my,net'), err('Name=my,net', rule));
  assert.deepEqual(one('Network', 'Name=-lan'), err('Name=-lan', rule));
  assert.deepEqual(one('Network', `Name=${'n'.repeat(65)}`), err(`Name=${'n'.repeat(65)}`, 'network name longer than 64 characters'));
  assert.equal(valid('[Network]\nName=mac_net1.v2-x\n').net.name, 'mac_net1.v2-x');
});

test('prefixes (Subnet, IPRange, Route): strict text, network form, canonical', () => {
  assert.deepEqual(one('Network', 'Subnet=192.168.1.1/33'), err('Subnet=192.168.1.1/33', 'prefix length must be 0..32'));
  assert.deepEqual(one('Network', 'Subnet=192.168.1.0/024'), err('Subnet=192.168.1.0/024', 'prefix length must be 0..32'));
  assert.deepEqual(one('Network', 'Subnet=fd00::/129'), err('Subnet=fd00::/129', 'prefix length must be 0..128'));
  assert.deepEqual(one('Network', 'Subnet=1.2.3/24'), err('Subnet=1.2.3/24', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=010.1.1.0/24'), err('Subnet=010.1.1.0/24', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=256.1.1.0/24'), err('Subnet=256.1.1.0/24', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=fe80::%eth0/64'), err('Subnet=fe80::%eth0/64', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=fd00:00001::/64'), err('Subnet=fd00:00001::/64', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=1:2:3:4:5:6:7:8:9/64'), err('Subnet=1:2:3:4:5:6:7:8:9/64', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=1::2::3/64'), err('Subnet=1::2::3/64', 'not an IP address'));
  assert.deepEqual(one('Network', 'Subnet=lan'), err('Subnet=lan', 'must be a prefix, address/length'));
  // A bare network address suggests the prefix it most likely meant, never a one-address /32.
  assert.deepEqual(one('Network', 'Subnet=192.168.88.0'), err('Subnet=192.168.88.0', 'must be a prefix, address/length (e.g. 192.168.88.0/24)'));
  assert.deepEqual(one('Network', 'Subnet=10.0.0.0'), err('Subnet=10.0.0.0', 'must be a prefix, address/length (e.g. 10.0.0.0/8)'));
  assert.deepEqual(one('Network', 'IPRange=192.168.88.192'), err('IPRange=192.168.88.192', 'must be a prefix, address/length (e.g. 192.168.88.0/24)'));
  assert.deepEqual(one('Network', 'Subnet=2001:db8:1::'), err('Subnet=2001:db8:1::', 'must be a prefix, address/length (e.g. 2001:db8:1::/48)'));
  assert.deepEqual(one('Network', 'Subnet=fd00:88::1'), err('Subnet=fd00:88::1', 'must be a prefix, address/length (e.g. fd00:88::/64)'));
  assert.deepEqual(one('Network', 'IPRange=192.168.88.193/27'), err('IPRange=192.168.88.193/27', 'host bits set, did you mean 192.168.88.192/27?'));
  assert.deepEqual(one('Network', 'Subnet=FD00:88::1/64'), err('Subnet=FD00:88::1/64', 'host bits set, did you mean fd00:88::/64?'));
  assert.deepEqual(one('Shim', 'Route=10.1.2.3/8'), err('Route=10.1.2.3/8', 'host bits set, did you mean 10.0.0.0/8?'));
  const { net } = valid('[Network]\nSubnet=FD00:0088:0:0::/64\nSubnet=0.0.0.0/0\nIPRange=fd00:88::8000:0:0:0/65\n');
  assert.deepEqual(net.subnets, ['fd00:88::/64', '0.0.0.0/0']);
  assert.deepEqual(net.ipRanges, ['fd00:88:0:0:8000::/65']);
});

test('addresses: Gateway without a prefix, Shim Address with an optional one (/32 or /128 when absent)', () => {
  assert.deepEqual(one('Network', 'Gateway=192.168.88.1/24'), err('Gateway=192.168.88.1/24', 'must be an address without a prefix length'));
  assert.deepEqual(one('Network', 'Gateway=1.2.3'), err('Gateway=1.2.3', 'not an IP address'));
  assert.deepEqual(one('Shim', 'Address=192.168.88.300'), err('Address=192.168.88.300', 'not an IP address'));
  assert.deepEqual(one('Shim', 'Address=192.168.88.192/33'), err('Address=192.168.88.192/33', 'prefix length must be 0..32'));
  const { net } = valid('[Network]\n[Shim]\nAddress=192.168.88.192\nAddress=192.168.88.192/27\nAddress=FD00:88:0::C0\n');
  assert.deepEqual(net.shim?.addresses, ['192.168.88.192/32', '192.168.88.192/27', 'fd00:88::c0/128']);
});

test('MACAddress: six colon-separated octets, unicast, not all-zero; stored lower-case', () => {
  assert.deepEqual(one('Shim', 'MACAddress=02:42:c0:a8:58'), err('MACAddress=02:42:c0:a8:58', 'not a MAC address (xx:xx:xx:xx:xx:xx)'));
  assert.deepEqual(one('Shim', 'MACAddress=0242.c0a8.58c1'), err('MACAddress=0242.c0a8.58c1', 'not a MAC address (xx:xx:xx:xx:xx:xx)'));
  assert.deepEqual(one('Shim', 'MACAddress=00:00:00:00:00:00'), err('MACAddress=00:00:00:00:00:00', 'the all-zero MAC address cannot be used'));
  assert.deepEqual(one('Shim', 'MACAddress=01:00:5e:00:00:01'), err('MACAddress=01:00:5e:00:00:01', 'a multicast MAC address; a link needs a unicast one'));
  assert.equal(valid('[Network]\n[Shim]\nMACAddress=02:42:C0:A8:58:C0\n').net.shim?.mac, '02:42:c0:a8:58:c0');
});

test('unknown sections and keys: a warning with path:line that names the likely fix, ignored', () => {
  const { net, warnings } = valid('[Network]\nParent=enp3s0\nParnet=eth1\n[Netwrok]\nMTU=1\n[Shim]\nAdress=1.2.3.4\n');
  assert.deepEqual(warnings, [
    `warning: ${LAN}:3: Parnet=eth1: unknown key in [Network], ignored; did you mean Parent=?`,
    `warning: ${LAN}:4: unknown section [Netwrok], ignored; did you mean [Network]?`,
    `warning: ${LAN}:7: Adress=1.2.3.4: unknown key in [Shim], ignored; did you mean Address=?`,
  ]);
  assert.equal(net.parent, 'enp3s0');
  assert.equal(net.mtu, null);
  // keys are case-sensitive, as in systemd
  assert.deepEqual(one('Network', 'mtu=1500'), [`warning: ${LAN}:3: mtu=1500: unknown key in [Network], ignored; did you mean MTU=?`]);
  // a key of the other section says where it belongs
  assert.deepEqual(one('Network', 'Address=192.168.88.192/32'),
    [`warning: ${LAN}:3: Address=192.168.88.192/32: unknown key in [Network], ignored; Address= belongs in [Shim]`]);
  assert.deepEqual(one('Shim', 'Routes=10.0.0.0/8'), [`warning: ${LAN}:3: Routes=10.0.0.0/8: unknown key in [Shim], ignored; did you mean Route=?`]);
  // nothing near: the section's keys are listed
  assert.deepEqual(one('Shim', 'Colour=blue'),
    [`warning: ${LAN}:3: Colour=blue: unknown key in [Shim], ignored (the keys of [Shim] are Name=, Address=, Route=, MACAddress= or IPv6AcceptRA=)`]);
  assert.deepEqual(valid('[Network]\n[Shims]\nName=x\n').warnings, [`warning: ${LAN}:2: unknown section [Shims], ignored; did you mean [Shim]?`]);
  assert.deepEqual(valid('[Network]\n[Container]\nName=x\n').warnings,
    [`warning: ${LAN}:2: unknown section [Container], ignored (the sections are [Network], [Shim] or [Engine])`]);
});

test('inline comments: a value with " #" or " ;" says they are not supported', () => {
  const msg = 'inline comments are not supported: put the comment on a line of its own, starting with # or ;';
  assert.deepEqual(one('Network', 'Subnet=192.168.88.0/24        # --subnet'), err('Subnet=192.168.88.0/24        # --subnet', msg));
  assert.deepEqual(one('Network', 'Parent=enp3s0 ; the NIC'), err('Parent=enp3s0 ; the NIC', msg));
  assert.deepEqual(one('Shim', 'Address=192.168.88.192/32\t# ip addr add'), err('Address=192.168.88.192/32\t# ip addr add', msg));
  // A # with no space before it is part of the value, as systemd reads it, and gets the key's own message.
  assert.deepEqual(one('Network', 'Parent=enp3s0#1'),
    err('Parent=enp3s0#1', 'interface name must not contain "#", a quote or "\\" (flatnetd cannot manage such names)'));
  assert.deepEqual(shown(parseUnitFile(LAN, '[Network]   # the LAN\nParent=enp3s0\n').diagnostics), [`error: ${LAN}:1: ${msg}`]);
});

test('list keys accumulate, an empty assignment resets the list; the same value twice is a warning', () => {
  const { net, warnings } = valid([
    '[Network]', 'Subnet=10.0.0.0/8', 'Subnet=', 'Subnet=192.168.88.0/24', 'Subnet=fd00:88::/64',
    'Gateway=192.168.88.1', 'Gateway=192.168.88.1', '[Shim]', 'Address=192.168.88.2', 'Address=', '',
  ].join('\n'));
  assert.deepEqual(net.subnets, ['192.168.88.0/24', 'fd00:88::/64']);
  assert.deepEqual(net.gateways, ['192.168.88.1']);
  assert.deepEqual(net.shim?.addresses, []);
  assert.deepEqual(warnings, [`warning: ${LAN}:7: Gateway=192.168.88.1: already listed on line 6; once is enough`]);
});

test('scalar keys: the last assignment wins; an empty one restores the default', () => {
  const { net } = valid('[Network]\nParent=eth0\nParent=enp3s0\nDriver=ipvlan\nDriver=\nMTU=1400\nMTU=1500\n');
  assert.equal(net.parent, 'enp3s0');
  assert.equal(net.driver, 'macvlan');
  assert.equal(net.mode, 'bridge');
  assert.equal(net.mtu, 1500);
  assert.deepEqual(net.where['Network.MTU'], { file: LAN, line: 7, key: 'MTU', value: '1500' });
  assert.equal(net.where['Network.Driver'], undefined);
});

test('the key table has one row per Section.Key and covers what the man page documents', () => {
  const ids = KEYS.map((k) => `${k.section}.${k.key}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids, [
    'Network.Name', 'Network.Parent', 'Network.VLAN', 'Network.Driver', 'Network.Mode', 'Network.IPVlanFlag',
    'Network.Subnet', 'Network.Gateway', 'Network.IPRange', 'Network.MTU', 'Network.Promiscuous',
    'Shim.Name', 'Shim.Address', 'Shim.Route', 'Shim.MACAddress', 'Shim.IPv6AcceptRA',
    'Engine.Reattach', 'Engine.Create',
  ]);
  assert.deepEqual(KEYS.filter((k) => k.list).map((k) => `${k.section}.${k.key}`),
    ['Network.Subnet', 'Network.Gateway', 'Network.IPRange', 'Shim.Address', 'Shim.Route']);
});

test('the man page documents every key of the table, under its section, and no other', () => {
  const page = readFileSync(`${REPO}docs/flatnet.d.5.md`, 'utf8');
  const sectionOf = (name: string): string => {
    const start = page.indexOf(`# [${name.toUpperCase()}] SECTION OPTIONS`);
    assert.ok(start >= 0, `the man page has a [${name}] section`);
    const end = page.indexOf('\n# ', start + 1);
    return page.slice(start, end);
  };
  for (const section of ['Network', 'Shim', 'Engine'] as const) {
    const text = sectionOf(section);
    const documented = [...text.matchAll(/^\*\*([A-Za-z0-9]+)=\*\*$/gm)].map((m) => m[1]);
    assert.deepEqual(documented, KEYS.filter((k) => k.section === section).map((k) => k.key), section);
  }
});
