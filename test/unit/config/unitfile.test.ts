import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseUnitFile } from '../../../src/config/unitfile.js';
import { FIXTURES, shown, valid } from '../../support/config.js';

const entries = (text: string): [string, string, string, number][] =>
  parseUnitFile('/x.conf', text).sections.flatMap((s) => s.entries.map((e): [string, string, string, number] => [s.name, e.key, e.value, e.line]));

test('ini trap 1: a repeated key keeps every value, in order (ini keeps only the last)', () => {
  const path = `${FIXTURES}/ini-traps.conf`;
  const { net } = valid(readFileSync(path, 'utf8'), path);
  assert.deepEqual(net.ipRanges, ['192.168.88.192/27', '192.168.88.224/28']);
  assert.deepEqual(net.shim?.routes, ['192.168.88.192/27', '192.168.88.224/28']);
});

test('ini trap 2: a repeated section stays a separate section, in order (ini merges them)', () => {
  const path = `${FIXTURES}/ini-traps.conf`;
  const parsed = parseUnitFile(path, readFileSync(path, 'utf8'));
  assert.deepEqual(parsed.sections.map((s) => [s.name, s.line]), [['Network', 2], ['Shim', 8], ['Shim', 13]]);
  const { net } = valid(readFileSync(path, 'utf8'), path);
  // Address is a list: both sections add to it; Name is a scalar: the later section wins.
  assert.deepEqual(net.shim?.addresses, ['192.168.88.192/32', '192.168.88.193/32']);
});

test('ini trap 3: an inline ";" or "#" is part of the value (ini cuts it as a comment)', () => {
  const path = `${FIXTURES}/ini-traps.conf`;
  const { net } = valid(readFileSync(path, 'utf8'), path);
  assert.equal(net.shim?.name, 'link;with;semis');
  assert.deepEqual(entries('[A]\nK=a ; b # c\n'), [['A', 'K', 'a ; b # c', 2]]);
});

test('whitespace around "=" and around the line is trimmed; key case is kept', () => {
  assert.deepEqual(entries('  [Network]  \n  Parent  =  enp3s0  \n\tMTU=\t1500\n'), [
    ['Network', 'Parent', 'enp3s0', 2],
    ['Network', 'MTU', '1500', 3],
  ]);
});

test('whole-line comments start with # or ; (after leading whitespace)', () => {
  assert.deepEqual(entries('[A]\n# K=1\n; K=2\n   # K=3\nK=4\n'), [['A', 'K', '4', 5]]);
});

test('a trailing backslash continues the line as systemd does: backslash → space, comments skipped, line of the first', () => {
  const text = '[A]\nK=one \\\n  two\\\n# skipped\n; skipped too\n three\nL=x\n';
  assert.deepEqual(entries(text), [['A', 'K', 'one    two  three', 2], ['A', 'L', 'x', 7]]);
});

test('an escaped backslash at the end does not continue; a blank line ends a continuation; one at EOF is fine', () => {
  assert.deepEqual(entries('[A]\nK=a\\\\\nL=b\n'), [['A', 'K', 'a\\\\', 2], ['A', 'L', 'b', 3]]);
  assert.deepEqual(entries('[A]\nK=a\\\n\nL=b\n'), [['A', 'K', 'a', 2], ['A', 'L', 'b', 4]]);
  assert.deepEqual(entries('[A]\nK=a\\'), [['A', 'K', 'a', 2]]);
});

test('a comment line ending in a backslash does not swallow the next line', () => {
  assert.deepEqual(entries('[A]\n# note \\\nK=1\n'), [['A', 'K', '1', 3]]);
});

test('CRLF line ends and a UTF-8 BOM are tolerated', () => {
  const path = `${FIXTURES}/bom-crlf.conf`;
  const parsed = parseUnitFile(path, readFileSync(path, 'utf8'));
  assert.deepEqual(parsed.diagnostics, []);
  assert.deepEqual(parsed.sections.map((s) => s.name), ['Network']);
  assert.deepEqual(parsed.sections[0]?.entries.map((e) => [e.key, e.value, e.line]), [
    ['Parent', 'enp3s0', 2],
    ['Subnet', '192.168.88.0/24', 3],
  ]);
});

test('an empty value is kept as an empty value (it resets lists later)', () => {
  assert.deepEqual(entries('[A]\nK=\nL = \n'), [['A', 'K', '', 2], ['A', 'L', '', 3]]);
});

test('syntax errors name path:line and what the line is', () => {
  const p = parseUnitFile('/etc/flatnet.d/10-lan.conf', '[Network\n[]\n[ Shim]\nParent enp3s0\n=enp3s0\n[Network]\nParent=enp3s0\n');
  assert.deepEqual(shown(p.diagnostics), [
    'error: /etc/flatnet.d/10-lan.conf:1: section header "[Network" has no closing "]"',
    'error: /etc/flatnet.d/10-lan.conf:2: invalid section header "[]"',
    'error: /etc/flatnet.d/10-lan.conf:3: invalid section header "[ Shim]"',
    'error: /etc/flatnet.d/10-lan.conf:4: not a [Section], Key=Value or comment line: "Parent enp3s0"',
    'error: /etc/flatnet.d/10-lan.conf:5: no key before "=": "=enp3s0"',
  ]);
  // the lines around the bad ones are still read
  assert.deepEqual(p.sections.map((s) => [s.name, s.entries.length]), [['Network', 1]]);
});

test('an assignment before any section is a syntax error with its key and value', () => {
  const p = parseUnitFile('/etc/flatnet.d/10-lan.conf', 'Parent=enp3s0\n[Network]\n');
  assert.deepEqual(shown(p.diagnostics), ['error: /etc/flatnet.d/10-lan.conf:1: Parent=enp3s0: assignment before any [Section]']);
});

test('a very long junk line is shown shortened', () => {
  const p = parseUnitFile('/a.conf', `[A]\n${'x'.repeat(100)}\n`);
  assert.deepEqual(shown(p.diagnostics), [`error: /a.conf:2: not a [Section], Key=Value or comment line: "${'x'.repeat(57)}..."`]);
});
