import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onlineVerdict } from '../../../src/cli/wait-online.js';
import { parseCommandLine } from '../../../src/cli/args.js';

const net = (Name: string, State: string, LastError = ''): { Name: string; State: string; LastError: string } => ({ Name, State, LastError });

test('online: every network named, or every network but those taken down, is configured', () => {
  assert.deepEqual(onlineVerdict(null, [], []), { online: false, waiting: ['flatnetd (not running)'] });
  assert.deepEqual(onlineVerdict('starting', [], []), { online: false, waiting: ['flatnetd (starting)'] });
  assert.deepEqual(onlineVerdict('running', [net('lan', 'configured'), net('guest', 'down')], []), { online: true });
  assert.deepEqual(onlineVerdict('degraded', [net('lan', 'configured'), net('iot', 'waiting-for-parent')], ['lan']), { online: true });
  assert.deepEqual(onlineVerdict('degraded', [net('lan', 'configured'), net('iot', 'failed', 'shim-iot: exists and is not ours')], []),
    { online: false, waiting: ['iot (failed: shim-iot: exists and is not ours)'] });
  assert.deepEqual(onlineVerdict('running', [net('guest', 'down')], ['guest', 'nope']),
    { online: false, waiting: ['guest (down)', 'nope (no such network)'] });
});

test('wait-online takes names and --timeout; --timeout is for wait-online only', () => {
  const p = parseCommandLine(['wait-online', 'lan', 'iot', '--timeout=30']);
  assert.ok(p.kind === 'run');
  assert.deepEqual([p.command.name, p.args, p.options.timeoutSec], ['wait-online', ['lan', 'iot'], 30]);
  const none = parseCommandLine(['wait-online']);
  assert.ok(none.kind === 'run' && none.options.timeoutSec === null);
  assert.deepEqual(parseCommandLine(['wait-online', '--timeout=soon']), { kind: 'usage', message: '--timeout=soon: must be a number of seconds' });
  assert.deepEqual(parseCommandLine(['list', '--timeout=3']), { kind: 'usage', message: '--timeout is for wait-online' });
  const l = parseCommandLine(['list', '--no-legend', '-l', '--no-pager']);
  assert.ok(l.kind === 'run' && l.options.noLegend && l.options.full);
});
