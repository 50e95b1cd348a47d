// The living `ip -batch` session against a stand-in `ip` that answers like the
// real one (one JSON line per command; `Command failed -:N` on stderr for a
// failed one, -force goes on) and can also die, hang or print garbage.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpCommandError, IpSession, IpSessionError } from '../../../src/kernel/ip-session.js';

const FAKE_IP = `#!/usr/bin/env node
// argv must end with -json -force -batch -, like the real session asks
const a = process.argv.slice(2);
if (a.slice(-4).join(' ') !== '-json -force -batch -') { console.error('bad argv ' + a.join(' ')); process.exit(2); }
let n = 0, buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  for (let i; (i = buf.indexOf('\\n')) >= 0; ) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1); n++;
    const [cmd, arg] = line.split(' ');
    if (cmd === 'ok') process.stdout.write(JSON.stringify([arg ?? null]) + '\\n');
    else if (cmd === 'pid') process.stdout.write(JSON.stringify([process.pid]) + '\\n');
    else if (cmd === 'argv') process.stdout.write(JSON.stringify(a) + '\\n');
    else if (cmd === 'fail') process.stderr.write('Device "' + arg + '" does not exist.\\nCommand failed -:' + n + '\\n');
    else if (cmd === 'die') process.exit(1);
    else if (cmd === 'garbage') process.stdout.write('link/ether 02:00:00:00:00:01\\n');
    else if (cmd === 'object') process.stdout.write('{"a":1}\\n');
    // The warning well before the answer, so it is read while the request is open.
    else if (cmd === 'warn') { process.stderr.write('Dump was interrupted and may be inconsistent.\\n'); setTimeout(() => process.stdout.write('[]\\n'), 100); }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

function fakeIp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fnt-ipsession-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ip');
  writeFileSync(path, FAKE_IP);
  chmodSync(path, 0o755);
  return path;
}

function session(t: { after: (fn: () => void) => void }, logs: string[] = []): IpSession {
  const s = new IpSession(fakeIp(t), ['-n', 'ns1', '-N'], (l) => logs.push(l));
  t.after(() => s.close());
  return s;
}

test('each command gets its own answer, in order; the global options come first', async (t) => {
  const s = session(t);
  assert.deepEqual(await s.run(['ok a', 'ok b', 'argv']), [['a'], ['b'], ['-n', 'ns1', '-N', '-json', '-force', '-batch', '-']]);
});

test('a failed command is an error in its own place, with ip\'s words and their code; the session lives on', async (t) => {
  const s = session(t);
  const [pid] = (await s.run(['pid']))[0] as number[];
  const answers = await s.run(['ok a', 'fail eth9', 'ok c']);
  assert.deepEqual(answers[0], ['a']);
  assert.ok(answers[1] instanceof IpCommandError);
  assert.equal(answers[1].message, 'Device "eth9" does not exist.');
  assert.deepEqual(answers[1].failure, { code: 'gone', retry: true, message: 'Device "eth9" does not exist.' });
  assert.deepEqual(answers[2], ['c']);
  assert.deepEqual(await s.run(['pid']), [[pid]], 'the same ip answered');
});

test('a warning on stderr with an answer is logged, not taken for a failure', async (t) => {
  const logs: string[] = [];
  const s = session(t, logs);
  assert.deepEqual(await s.run(['ok b', 'warn']), [['b'], []]);
  assert.deepEqual(logs, ['ip session: Dump was interrupted and may be inconsistent.']);
});

test('ip dying mid-request rejects it; the next request starts a fresh ip', async (t) => {
  const s = session(t);
  const [pid] = (await s.run(['pid']))[0] as number[];
  await assert.rejects(s.run(['ok a', 'die']), (e: unknown) => e instanceof IpSessionError && /ip exited \(status 1\)/.test(e.message));
  const [again] = (await s.run(['pid']))[0] as number[];
  assert.notEqual(again, pid);
});

test('a line that is not a JSON array ends the session instead of being misread', async (t) => {
  const s = session(t);
  await assert.rejects(s.run(['garbage']), /not JSON/);
  await assert.rejects(s.run(['object']), /not an array/);
  assert.deepEqual(await s.run(['ok fine']), [['fine']]);
});

test('requests made at once are answered one after the other, each with its own lines', async (t) => {
  const s = session(t);
  const all = await Promise.all([s.run(['ok 1', 'ok 2']), s.run(['fail x']), s.run(['ok 3'])]);
  assert.deepEqual(all[0], [['1'], ['2']]);
  assert.ok(all[1]?.[0] instanceof Error);
  assert.deepEqual(all[2], [['3']]);
});

test('a command holding a newline is refused before it reaches ip', async (t) => {
  const s = session(t);
  await assert.rejects(s.run(['ok a\nok b']), /newline/);
  assert.deepEqual(await s.run(['ok a']), [['a']]);
});

test('a missing ip rejects with the path; close() refuses further requests', async (t) => {
  const s = new IpSession('/nonexistent/ip', [], () => undefined);
  await assert.rejects(s.run(['ok a']), /cannot run \/nonexistent\/ip/);
  const s2 = session(t);
  s2.close();
  await assert.rejects(s2.run(['ok a']), /closed/);
});
