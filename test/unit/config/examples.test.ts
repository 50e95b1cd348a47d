// Every drop-in a user can copy from the documentation works as copied: the
// README's ```ini blocks, the man pages' indented examples and the shipped
// etc/flatnet.d/*.conf go through the real parser and validator. So do the
// `flatnetctl …` lines of the README's shell blocks, through the real
// command-line parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildConfigSet } from '../../../src/config/load.js';
import { parseCommandLine } from '../../../src/cli/args.js';
import { REPO, shown } from '../../support/config.js';

interface Example { where: string; text: string }

/** ```ini fences, and indented blocks (the man pages' form) that hold a [Network] header. */
export function dropInExamples(file: string, markdown: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s*```ini\s*$/.test(line)) {
      const indent = /^\s*/.exec(line)?.[0].length ?? 0;
      const start = i + 1;
      let j = start;
      while (j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? '')) j++;
      out.push({ where: `${file}:${start}`, text: lines.slice(start, j).map((l) => l.slice(indent)).join('\n') });
      i = j;
    } else if (/^ {4}\S/.test(line) && (i === 0 || (lines[i - 1] ?? '').trim() === '')) {
      let j = i;
      while (j < lines.length && (/^ {4}/.test(lines[j] ?? '') || (lines[j] ?? '').trim() === '')) j++;
      const block = lines.slice(i, j).map((l) => l.slice(4));
      if (block.some((l) => l.trim() === '[Network]')) out.push({ where: `${file}:${i + 1}`, text: block.join('\n') });
      i = j - 1;
    }
  }
  return out;
}

const markdownFiles = (): string[] => ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

test('every drop-in example in the README and the man pages parses and validates as copied', () => {
  const examples = markdownFiles().flatMap((f) => dropInExamples(f, readFileSync(join(REPO, f), 'utf8')));
  assert.ok(examples.some((e) => e.where.startsWith('README.md')), 'the README has a drop-in example');
  assert.ok(examples.some((e) => e.where.startsWith('docs/flatnet.d.5.md')), 'flatnet.d(5) has drop-in examples');
  for (const e of examples) {
    const set = buildConfigSet([{ path: '/etc/flatnet.d/10-example.conf', text: e.text }]);
    const problems = set.diagnostics.filter((d) => d.severity === 'error' || d.code === 'unknown-key' || d.code === 'syntax');
    assert.deepEqual(shown(problems), [], `the example at ${e.where} works as copied`);
    assert.equal(set.networks.length, 1, `the example at ${e.where} is one valid network`);
  }
});

test('the shipped examples in etc/flatnet.d/ are valid together', () => {
  const dir = join(REPO, 'etc/flatnet.d');
  const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).map((f) => ({ path: `/etc/flatnet.d/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
  assert.ok(files.length >= 5);
  const set = buildConfigSet(files);
  assert.deepEqual(shown(set.diagnostics), []);
  assert.equal(set.networks.length, files.length);
});

test('every flatnetctl command line in the README and the man pages parses', () => {
  const lines: { where: string; argv: string[] }[] = [];
  for (const f of markdownFiles()) {
    let fence: string | null = null;
    readFileSync(join(REPO, f), 'utf8').split('\n').forEach((l, i) => {
      const open = /^\s*```(\w*)\s*$/.exec(l);
      if (open !== null) {
        fence = fence === null ? (open[1] ?? '') : null;
        return;
      }
      // Shell lines only: in a ```sh block, an indented block of a man page, or after a `$ ` prompt.
      const inShell = fence === 'sh' || (fence === null && /^ {4}/.test(l)) || /^\s*\$ /.test(l);
      if (!inShell) return;
      const m = /^\s*(?:\$ )?(?:sudo )?flatnetctl( [^`|>&;]*)?$/.exec(l.replace(/\s+#.*$/, '').trimEnd());
      if (m === null) return;
      lines.push({ where: `${f}:${i + 1}`, argv: (m[1] ?? '').trim().split(/\s+/).filter((w) => w !== '') });
    });
  }
  assert.ok(lines.length >= 5, `found ${lines.length} flatnetctl lines`);
  for (const { where, argv } of lines) {
    if (argv.length === 0) continue;
    const p = parseCommandLine(argv);
    assert.notEqual(p.kind, 'usage', `${where}: flatnetctl ${argv.join(' ')}: ${p.kind === 'usage' ? p.message : ''}`);
  }
});

test('the README\'s commands work with and without sudo, and the demo installs only what it needs', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const shell: string[] = [];
  let fence: string | null = null;
  for (const l of readme.split('\n')) {
    const open = /^\s*```(\w*)\s*$/.exec(l);
    if (open !== null) fence = fence === null ? (open[1] ?? '') : null;
    else if (fence === 'sh') shell.push(l);
  }
  // A bare `sudo` fails with "command not found" on a fresh Debian machine where you are root.
  assert.deepEqual(shell.filter((l) => /(^|[\s;&|(])sudo\s/.test(l.replace(/\$\(command -v sudo\)/g, ''))), []);
  assert.ok(shell.some((l) => l.includes('scripts/install-deps.sh --demo') && l.includes('npm run demo')), 'the demo command');
  const deps = readFileSync(join(REPO, 'scripts/install-deps.sh'), 'utf8');
  const demo = /^DEMO=\(([^)]*)\)/m.exec(deps)?.[1]?.trim().split(/\s+/) ?? [];
  assert.ok(demo.includes('iproute2') && demo.includes('build-essential'), demo.join(' ')); // ip, and node-gyp for native/notify
  for (const heavy of ['qemu-system-x86', 'docker.io', 'nix-bin', 'pandoc', 'lintian']) assert.ok(!demo.includes(heavy), `--demo installs ${heavy}`);
  // CI runs the same test command the README gives.
  assert.match(readFileSync(join(REPO, '.ci/run'), 'utf8'), /^npm test( \|\| status=\$\?)?$/m);
});
