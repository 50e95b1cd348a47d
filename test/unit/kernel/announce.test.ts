// The addresses a gratuitous ARP is sent for, read from `ip -4 -o addr show dev X`
// (iproute2 6.1's words, as seen on a shim with two addresses).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipv4Addresses } from '../../../src/kernel/announce.js';

test('every IPv4 address of the link, without its prefix length', () => {
  const text = [
    '7: docker-link    inet 192.168.88.192/32 brd 192.168.88.192 scope global docker-link\\       valid_lft forever preferred_lft forever',
    '7: docker-link    inet 10.20.0.2/24 brd 10.20.0.255 scope global docker-link\\       valid_lft forever preferred_lft forever',
    '',
  ].join('\n');
  assert.deepEqual(ipv4Addresses(text), ['192.168.88.192', '10.20.0.2']);
  assert.deepEqual(ipv4Addresses(''), []);
});
