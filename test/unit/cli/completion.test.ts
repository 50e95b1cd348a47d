// The shipped bash and zsh completions know every command and option
// flatnetctl has, and bash's completes commands, options and network names
// (from a flatnetctl on PATH, as it would from the daemon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, helpText } from '../../../src/cli/args.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BASH = join(REPO, 'completions/bash/flatnetctl');
const ZSH = join(REPO, 'completions/zsh/_flatnetctl');
const OPTIONS = [...helpText('x').matchAll(/^ {2}(-[a-z]\s)?(--[a-z-]+)/gm)].map((m) => m[2] ?? '');

test('both completions list every command and every option of flatnetctl --help', () => {
  assert.ok(OPTIONS.includes('--no-legend') && OPTIONS.includes('--kernel'), OPTIONS.join(' '));
  for (const file of [BASH, ZSH]) {
    const text = readFileSync(file, 'utf8');
    for (const c of COMMANDS) assert.match(text, new RegExp(`(^|[ '(])${c.name}[ :')|]`, 'm'), `${file}: command ${c.name}`);
    for (const o of OPTIONS) assert.ok(text.includes(o), `${file}: option ${o}`);
  }
});

function complete(line: string, path: string): string[] {
  const words = line.split(' ');
  const script = `source ${JSON.stringify(BASH)}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_flatnetctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', env: { PATH: path } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash: commands, options per command, and network names from the daemon', (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'fnt-complete-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  // A flatnetctl that answers `list --no-legend --full` as the daemon would.
  writeFileSync(join(bin, 'flatnetctl'), '#!/bin/sh\n[ "$*" = "list --no-legend --full" ] || exit 9\nprintf "lan configured macvlan bridge enp3s0 docker-link yes\\nlab degraded macvlan bridge enp4s0 - no\\niot down ipvlan l2 enp5s0 - -\\n"\n');
  chmodSync(join(bin, 'flatnetctl'), 0o755);
  const path = `${bin}:/usr/bin:/bin`;
  assert.deepEqual(complete('flatnetctl ', path), COMMANDS.map((c) => c.name));
  assert.deepEqual(complete('flatnetctl wa', path), ['wait-online']);
  assert.deepEqual(complete('flatnetctl status la', path), ['lan', 'lab']);
  assert.deepEqual(complete('flatnetctl --json status i', path), ['iot']);
  assert.deepEqual(complete('flatnetctl check --ke', path), ['--kernel']);
  assert.deepEqual(complete('flatnetctl list --no-l', path), ['--no-legend']);
  assert.deepEqual(complete('flatnetctl reload ', path), []);
});
