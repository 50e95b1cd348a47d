// One `ip` run, and one started ahead and fed later (the spare writer), with
// /bin/sh standing in for ip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runIp, Spare, startIp } from '../../../src/kernel/ip-run.js';

const sh = (script: string): [string, string[]] => ['/bin/sh', ['-c', script]];

test('a run: stdin fed and closed, stdout, stderr and the exit status returned', async () => {
  const r = await runIp(...sh('cat; echo "Command failed -:1" >&2; exit 1'), 'link add x\n');
  assert.deepEqual(r, { code: 1, stdout: 'link add x\n', stderr: 'Command failed -:1\n' });
});

test('a spare waits for its input, however late it comes, and is then an ordinary run', async () => {
  const spare = startIp(...sh('read line; echo "got $line"'));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(spare.alive, true);
  assert.deepEqual(await spare.finish('route add\n'), { code: 0, stdout: 'got route add\n', stderr: '' });
  assert.equal(spare.alive, false);
});

test('a spare that died or never started says so, and its run reports why', async () => {
  const dead = startIp(...sh('exit 3'));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(dead.alive, false, 'the caller then starts a fresh one');
  assert.equal((await dead.finish('x\n')).code, 3);

  const missing = startIp('/nonexistent/ip', ['-batch', '-']);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(missing.alive, false);
  assert.match((await missing.finish('x\n')).stderr, /cannot run \/nonexistent\/ip/);

  const killed = startIp(...sh('sleep 30'));
  killed.kill();
  const r = await killed.finish('');
  assert.match(r.stderr, /killed by SIGKILL/);
});

test('Spare: the next one is started after a take, handed over next time, replaced when dead, dropped on close', async () => {
  let made = 0;
  const dropped: number[] = [];
  const dead = new Set<number>();
  const spare = new Spare(() => ++made, (n) => !dead.has(n), (n) => { dropped.push(n); });
  assert.equal(spare.take(), 1, 'nothing ahead yet: made on the spot');
  assert.equal(made, 1, 'the next one waits for the following turn of the loop');
  await new Promise((r) => setImmediate(r));
  assert.equal(made, 2);
  assert.equal(spare.take(), 2, 'the one started ahead');
  await new Promise((r) => setImmediate(r));
  dead.add(3);
  assert.equal(spare.take(), 4, 'a dead spare is dropped and a new one made');
  assert.deepEqual(dropped, [3]);
  await new Promise((r) => setImmediate(r));
  spare.close();
  assert.deepEqual(dropped, [3, 5]);
  spare.take();
  await new Promise((r) => setImmediate(r));
  assert.equal(made, 6, 'after close no spare is started ahead');
});

test('Spare, held (the boot): nothing started ahead until release(), then one at once and after every take', async () => {
  let made = 0;
  const spare = new Spare(() => ++made, () => true, () => undefined, { held: true });
  assert.equal(spare.take(), 1);
  assert.equal(spare.take(), 2);
  await new Promise((r) => setImmediate(r));
  assert.equal(made, 2, 'held: every take is made on the spot, none ahead (a spawn would delay READY=1)');
  spare.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(made, 3, 'released: one started ahead');
  assert.equal(spare.take(), 3, 'and handed over');
  await new Promise((r) => setImmediate(r));
  assert.equal(made, 4);
  spare.close();
});
