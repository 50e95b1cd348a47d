import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMANDS, helpText, parseCommandLine } from '../../../src/cli/args.js';

const run = (argv: string[]): { command: string; args: string[]; json: boolean } => {
  const p = parseCommandLine(argv);
  assert.equal(p.kind, 'run', JSON.stringify(p));
  if (p.kind !== 'run') throw new Error('unreachable');
  return { command: p.command.name, args: p.args, json: p.json };
};
const usage = (argv: string[]): string => {
  const p = parseCommandLine(argv);
  assert.equal(p.kind, 'usage', JSON.stringify(p));
  return p.kind === 'usage' ? p.message : '';
};

test('commands with their arguments and --json anywhere on the line', () => {
  assert.deepEqual(run(['status']), { command: 'status', args: [], json: false });
  assert.deepEqual(run(['status', 'lan', '--json']), { command: 'status', args: ['lan'], json: true });
  assert.deepEqual(run(['--json', 'list']), { command: 'list', args: [], json: true });
  assert.deepEqual(run(['check', 'a.conf', 'b.conf', '/etc/flatnet.d']), { command: 'check', args: ['a.conf', 'b.conf', '/etc/flatnet.d'], json: false });
  assert.deepEqual(run(['docker-args', 'lan']), { command: 'docker-args', args: ['lan'], json: false });
  assert.deepEqual(run(['up', '--', '-odd-name']), { command: 'up', args: ['-odd-name'], json: false });
});

test('podman-args, cni-config --multus, router-hints --for: each takes its own options and no other\'s', () => {
  assert.deepEqual(run(['podman-args', 'lan', '--json']), { command: 'podman-args', args: ['lan'], json: true });
  const opts = (argv: string[]): unknown => { const p = parseCommandLine(argv); return p.kind === 'run' ? { for: p.options.for, multus: p.options.multus } : p; };
  assert.deepEqual(opts(['cni-config', 'lan', '--multus']), { for: undefined, multus: true });
  assert.deepEqual(opts(['router-hints', '--for', 'openwrt', 'lan']), { for: 'openwrt', multus: undefined });
  assert.equal(usage(['docker-args', 'lan', '--multus']), 'docker-args does not take --multus');
  assert.equal(usage(['cni-config', 'lan', '--for', 'routeros']), 'cni-config does not take --for');
});

test('usage errors say what is wrong', () => {
  assert.equal(usage([]), 'missing command');
  assert.equal(usage(['frob']), 'unknown command "frob"');
  assert.equal(usage(['up']), 'up needs NAME');
  assert.equal(usage(['up', 'a', 'b']), 'up takes NAME, not 2 arguments');
  assert.equal(usage(['list', 'x']), 'list takes no arguments');
  assert.equal(usage(['up', 'lan', '--json']), 'up does not print anything; --json is for read commands');
  assert.match(usage(['list', '--colour']), /--colour/);
});

test('--help and --version win over everything else', () => {
  assert.equal(parseCommandLine(['--help']).kind, 'help');
  assert.equal(parseCommandLine(['-h', 'frob']).kind, 'help');
  assert.equal(parseCommandLine(['--version']).kind, 'version');
});

test('help lists every command, and --json is allowed exactly on the read commands', () => {
  const help = helpText('9.9');
  for (const c of COMMANDS) assert.ok(help.includes(`  ${c.name}`), c.name);
  assert.deepEqual(COMMANDS.filter((c) => !c.read).map((c) => c.name), ['up', 'down', 'reload', 'reconcile', 'wait-online']);
});
