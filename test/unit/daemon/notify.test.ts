// The notifier against a real NOTIFY_SOCKET (a datagram socket a python3
// child binds, as systemd would): through the Node-API addon on a path and on
// an abstract address, and through systemd-notify(1) when the addon cannot load.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NOTIFY_ADDON, systemdNotifier, nullNotifier } from '../../../src/notify.js';
import { openNotifySocket } from '../../support/notify-socket.js';
import { waitUntil } from '../../support/wait.js';

const hasAddon = existsSync(fileURLToPath(NOTIFY_ADDON));
const hasSystemdNotify = spawnSync('systemd-notify', ['--version']).status === 0;

async function everyMessage(abstract: boolean, addonPath?: string): Promise<{ messages: string[]; errors: string[]; fallback: string | null }> {
  const sock = await openNotifySocket({ abstract });
  try {
    const errors: string[] = [];
    const { notifier, fallback } = systemdNotifier({ ...process.env, NOTIFY_SOCKET: sock.path }, { onError: (e) => errors.push(e), ...(addonPath !== undefined ? { addonPath } : {}) });
    notifier.status('1 network configured');
    notifier.ready();
    notifier.reloading();
    notifier.ready();
    notifier.watchdog();
    notifier.stopping();
    await waitUntil('every message arrived', async () => sock.messages.filter((m) => m !== 'BARRIER=1').length >= 6 || false, 10_000);
    return { messages: [...sock.messages], errors, fallback };
  } finally {
    sock.close();
  }
}

function assertTheSix(messages: string[]): void {
  const [status, ready, reloading, ready2, watchdog, stopping, ...rest] = messages;
  assert.equal(status, 'STATUS=1 network configured');
  assert.equal(ready, 'READY=1');
  assert.match(reloading ?? '', /^RELOADING=1\nMONOTONIC_USEC=\d+$/);
  assert.equal(ready2, 'READY=1');
  assert.equal(watchdog, 'WATCHDOG=1');
  assert.equal(stopping, 'STOPPING=1');
  assert.deepEqual(rest, []);
}

test('without NOTIFY_SOCKET: the no-op notifier', () => {
  const { notifier, fallback } = systemdNotifier({}, { onError: () => assert.fail('no errors') });
  assert.equal(notifier, nullNotifier);
  assert.equal(fallback, null);
});

test('the addon sends each message, in order, to a socket path', { skip: hasAddon ? false : 'native/notify not built (npm ci builds it)' }, async () => {
  const r = await everyMessage(false);
  assert.equal(r.fallback, null);
  assert.deepEqual(r.errors, []);
  assertTheSix(r.messages);
});

test('the addon sends to an abstract address (@name), as sd_notify does', { skip: hasAddon ? false : 'native/notify not built' }, async () => {
  const r = await everyMessage(true);
  assert.equal(r.fallback, null);
  assertTheSix(r.messages);
});

test('MONOTONIC_USEC is CLOCK_MONOTONIC now, as systemd compares it', { skip: hasAddon ? false : 'native/notify not built' }, async () => {
  const r = await everyMessage(false);
  const at = BigInt(/MONOTONIC_USEC=(\d+)/.exec(r.messages[2] ?? '')?.[1] ?? '0');
  const now = process.hrtime.bigint() / 1000n;
  assert.ok(at > 0n && at <= now && now - at < 60_000_000n, `${at} vs ${now}`);
});

test('a send that fails is reported, not thrown', { skip: hasAddon ? false : 'native/notify not built' }, () => {
  const errors: string[] = [];
  const { notifier } = systemdNotifier({ NOTIFY_SOCKET: '/nonexistent/flatnetd-notify' }, { onError: (e) => errors.push(e) });
  notifier.ready();
  assert.deepEqual(errors, ['cannot send READY=1 to NOTIFY_SOCKET=/nonexistent/flatnetd-notify: errno 2']);
});

test('the addon missing: systemd-notify(1) stands in, in order, and the reason is given once', { skip: hasSystemdNotify ? false : 'needs systemd-notify (package systemd)' }, async () => {
  const r = await everyMessage(false, '/nonexistent/flatnetd_notify.node');
  assert.match(r.fallback ?? '', /Cannot find module '\/nonexistent\/flatnetd_notify\.node'/);
  assert.deepEqual(r.errors, []);
  // systemd-notify joins its arguments into one datagram and sends a BARRIER=1 after each.
  assertTheSix(r.messages.filter((m) => m !== 'BARRIER=1'));
});
