// Every answer recorded from the real kernel (test/fixtures/kernel/, by
// capture-failures.sh and capture-mac-busy.sh) gets the code the loop and the
// event-fed view act on. A new iproute2 or kernel wording shows up here as a
// re-capture that no longer matches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alreadyGone, classifyIpFailure, ipFailure, type KernelFailureCode } from '../../../src/kernel/failure.js';
import { recordedAnswers as recorded } from '../../support/kernel-fixtures.js';

const EXPECTED: Record<string, KernelFailureCode> = {
  'add a link whose name is taken': 'exists',
  'set a link that is gone': 'gone',
  'delete a link that is gone': 'gone',
  'add an address to a link that is gone': 'gone',
  'delete an IPv4 address that is not there': 'absent',
  'delete an IPv6 address that is not there': 'absent',
  'delete a route that is not there': 'absent',
  'delete an IPv6 route that is not there': 'absent',
  'add an address that is there': 'exists',
  'make a link with an MTU above its parent': 'refused',
  'set an MTU above the parent': 'refused',
  'make an ipvlan where the kernel has none': 'unsupported',
  'make an 802.1Q VLAN where the kernel has none': 'unsupported',
  'add a route on a link that is down': 'down',
  'put a macvlan parent into a bridge': 'busy',
  'make a macvlan on a link that is not Ethernet': 'refused',
  'add a link without the right to': 'permission',
  'show the addresses of a link that is gone': 'gone',
  'show the routes of a link that is gone': 'gone',
};

test('every recorded refusal of the real kernel gets its code', () => {
  const real = recorded('ip-failures.txt');
  assert.deepEqual([...real.keys()].sort(), Object.keys(EXPECTED).sort(), 'each recorded case has an expected code');
  const got = Object.fromEntries([...real].map(([what, stderr]) => [what, classifyIpFailure(stderr)]));
  assert.deepEqual(got, EXPECTED);
});

test('a macvlan whose MAC an up sibling or its parent has: busy, worth a retry', () => {
  for (const [what, answer] of recorded('macvlan-mac-busy.txt')) {
    if (answer === 'ok') continue;
    assert.deepEqual([what, ipFailure(answer).code, ipFailure(answer).retry], [what, 'busy', true]);
  }
});

test('worth a retry: what a later look may settle; not: what needs a person', () => {
  const retry = (words: string): boolean => ipFailure(words).retry;
  assert.equal(retry('Cannot find device "x"'), true, 'a stale view');
  assert.equal(retry('RTNETLINK answers: Resource temporarily unavailable'), true);
  assert.equal(retry('RTNETLINK answers: No buffer space available'), true);
  assert.equal(retry('RTNETLINK answers: Invalid argument'), false);
  assert.equal(retry('Error: Unknown device type.'), false);
  assert.equal(retry('RTNETLINK answers: Operation not permitted'), false);
  assert.equal(ipFailure('something ip never said before').code, 'unknown');
  assert.equal(retry('something ip never said before'), true, 'unknown words are not taken as final');
});

test('a delete that finds its object gone (the link, or the address or route on it) got what it wanted', () => {
  const codes: KernelFailureCode[] = ['gone', 'absent', 'exists', 'busy', 'down', 'resources', 'permission', 'unsupported', 'refused', 'unknown'];
  assert.deepEqual(codes.filter(alreadyGone), ['gone', 'absent']);
});
