import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dockerCommand, fields, formatTimestamp, paint, relative, shellQuote, table } from '../../../src/cli/format.js';

const plain = { colour: false };
const colour = { colour: true };

test('tables pad every column to its widest cell and trim line ends', () => {
  assert.deepEqual(table(plain, ['NAME', 'STATE'], [['lan', 'configured'], ['10-guest', 'degraded']]), [
    'NAME     STATE',
    'lan      configured',
    '10-guest degraded',
  ]);
});

test('colour codes do not disturb alignment, and are absent without colour', () => {
  const rows = table(colour, ['NAME', 'STATE', 'X'], [['lan', { text: 'configured', paint: 'green' }, '1']]);
  assert.equal(rows[1], `lan  \x1b[32mconfigured\x1b[0m 1`);
  assert.equal(rows[0], `\x1b[1mNAME\x1b[0m \x1b[1mSTATE\x1b[0m      \x1b[1mX\x1b[0m`);
  assert.equal(paint(plain, 'red', 'x'), 'x');
  assert.equal(paint(colour, 'red', ''), '');
});

test('fields right-align labels, put list items one per line, and leave out empty ones', () => {
  assert.deepEqual(fields(plain, [['State', 'configured'], ['Config File', '/etc/flatnet.d/lan.conf'], ['VLAN', ''],
    ['Addresses', ['192.168.88.192/32', 'fd00::c0/128']], ['Routes', []]]), [
    '      State: configured',
    'Config File: /etc/flatnet.d/lan.conf',
    '  Addresses: 192.168.88.192/32',
    '             fd00::c0/128',
  ]);
});

test('timestamps: absolute in the given zone, then how long ago', () => {
  const usec = 1700000000123456n; // 2023-11-14 22:13:20.123456 UTC
  const ms = 1700000000123;
  assert.equal(formatTimestamp(usec, ms + 5 * 60_000 + 3_000, 'UTC'), '2023-11-14 22:13:20 UTC (5min 3s ago)');
  assert.equal(formatTimestamp(0n, ms, 'UTC'), '');
  assert.equal(relative(0), 'just now');
  assert.equal(relative(59_000), '59s ago');
  assert.equal(relative(3600_000 + 60_000), '1h 1min ago');
  assert.equal(relative(3 * 86400_000), '3 days ago');
  assert.equal(relative(86400_000), '1 day ago');
  assert.equal(relative(-120_000), 'in 2min');
});

test('shell quoting leaves plain words alone and quotes the rest so a shell reads them back', () => {
  assert.equal(shellQuote('--subnet=192.168.88.0/24'), '--subnet=192.168.88.0/24');
  assert.equal(shellQuote('parent=enp3s0.200'), 'parent=enp3s0.200');
  assert.equal(shellQuote('fd00:88::/64'), 'fd00:88::/64');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$(reboot)'), "'$(reboot)'");
  const words = ['plain', '', 'a b', "it's", '$(x) `y` "z" \\', 'tab\there', 'é'];
  const echoed = spawnSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
  assert.equal(echoed.stdout, words.map((w) => `${w}\n`).join(''), 'sh reads every quoted word back unchanged');
});

test('docker-args: one option per line, values with their option, continued with backslashes', () => {
  const argv = ['docker', 'network', 'create', '-d', 'macvlan', '--subnet=192.168.88.0/24', '--ipv6', '-o', 'parent=enp3s0.200',
    '-o', 'macvlan_mode=bridge', '--label', "note=it's", '--internal', 'lan'];
  assert.equal(dockerCommand(argv), [
    'docker network create \\',
    '  -d macvlan \\',
    '  --subnet=192.168.88.0/24 \\',
    '  --ipv6 \\',
    '  -o parent=enp3s0.200 \\',
    '  -o macvlan_mode=bridge \\',
    "  --label 'note=it'\\''s' \\",
    '  --internal \\',
    '  lan',
  ].join('\n'));
});
