// Bad input, property-based: ≥ 10,000 generated drop-ins per run through
// parseUnitFile, networkFromUnit and buildConfigSet (validateSet), and the
// accepted ones through a reconcile on the fake kernel. Nothing may throw,
// nothing may take a second, every diagnostic names path(:line)(: Key=value),
// and what is accepted can be written to ip -batch and is not refused by the
// kernel. FLATNET_SEED=<n> replays a run; a failure prints fast-check's seed
// and path too. Every crash found is a case in test/fixtures/reliability/.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { formatDiagnostic } from '../../../src/errors.js';
import { MAX_SYNTAX_ERRORS, parseUnitFile } from '../../../src/config/unitfile.js';
import { MAX_DROPIN_BYTES } from '../../../src/config/discover.js';
import {
  FIXED_MUTATIONS, applyCharEdits, applyLineEdits, charEdits, dropInSet, keyLines, lineEdits, mostlyValidSet, rawText,
} from '../../support/dropin-arb.js';
import { checkAgainstFakeKernel, checkConfigSet, type DropIn } from '../../support/config-invariants.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const EXAMPLES_DIR = `${REPO}etc/flatnet.d`;
const FIXTURES = `${REPO}test/fixtures/reliability`;
const SEED = /^\d+$/.test(process.env['FLATNET_SEED'] ?? '') ? Number(process.env['FLATNET_SEED']) : Math.floor(Math.random() * 2 ** 31);

/** Figures for the report, summed over the tests of this file. */
const figures = { dropIns: 0, sets: 0, validNetworks: 0, kernelOps: 0, maxMs: 0, slowest: '', knownGaps: new Map<string, number>() };

function measure(files: DropIn[], what: string): ReturnType<typeof checkConfigSet> {
  const m = checkConfigSet(files);
  figures.sets++;
  figures.validNetworks += m.set.networks.length;
  if (m.ms > figures.maxMs) { figures.maxMs = m.ms; figures.slowest = what; }
  assert.ok(m.ms < 1000, `${what}: parsing and validating took ${Math.round(m.ms)} ms (bound 1 s)`);
  return m;
}

async function measureWithKernel(files: DropIn[], what: string): Promise<void> {
  const m = measure(files, what);
  const k = await checkAgainstFakeKernel(m.set, files);
  figures.kernelOps += k.ops;
  for (const g of k.known) figures.knownGaps.set(g, (figures.knownGaps.get(g) ?? 0) + 1);
}

const examples: DropIn[] = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.conf')).sort()
  .map((f) => ({ path: `${EXAMPLES_DIR}/${f}`, text: readFileSync(`${EXAMPLES_DIR}/${f}`, 'utf8') }));

const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed: SEED, endOnFailure: false });

// Large inputs first, in a fresh heap: after the fuzzers the process's heap is
// big enough that a collection in the middle of one input costs more than its parse.
interface Regression { name: string; found: string; text?: string; generate?: { head: string; body: string; times: number; tail: string }; expectError?: string }

test('regression cases: every crash and hang the fuzzers found', async () => {
  const cases = JSON.parse(readFileSync(`${FIXTURES}/config-regressions.json`, 'utf8')) as Regression[];
  assert.ok(cases.length >= 4);
  for (const c of cases) {
    const text = c.text ?? (c.generate ? c.generate.head + c.generate.body.repeat(c.generate.times) + c.generate.tail : '');
    assert.ok(Buffer.byteLength(text) <= MAX_DROPIN_BYTES, `${c.name}: within what the loader reads`);
    const path = '/etc/flatnet.d/regression.conf';
    figures.dropIns++;
    const m = measure([{ path, text }], c.name);
    if (c.expectError !== undefined) {
      assert.deepEqual(m.set.networks, [], `${c.name}: rejected`);
      assert.ok(m.set.diagnostics.map(formatDiagnostic).includes(c.expectError), `${c.name}: ${m.set.diagnostics.map(formatDiagnostic).join('\n')}`);
    }
  }
});

test('large inputs up to the 1 MiB the loader reads: none takes a second', () => {
  const addrs = (n: number): string => Array.from({ length: n }, (_, i) => `Address=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32\n`).join('');
  const shapes: [string, string][] = [
    ['one 1 MiB line', `[Network]\nName=${'x'.repeat(MAX_DROPIN_BYTES - 20)}\n`],
    ['1 MiB of blank lines', '\n'.repeat(MAX_DROPIN_BYTES)],
    ['1 MiB of comments', '# c\n'.repeat(MAX_DROPIN_BYTES / 4)],
    ['100 000 section headers', '[Network]\n'.repeat(100_000)],
    ['40 000 shim addresses', `[Network]\nSubnet=10.0.0.0/8\n[Shim]\n${addrs(40_000)}`],
    ['40 000 addresses outside the subnet', `[Network]\nSubnet=192.168.0.0/16\n[Shim]\n${addrs(40_000)}`],
    ['100 000 empty resets', '[Network]\n'.concat('Subnet=\n'.repeat(100_000))],
    ['continuation with comment lines inside', `[Network]\nName=x\\\n${'#c\n'.repeat(300_000)}`],
    ['a 1 MiB backslash run', `[Network]\nName=${'\\'.repeat(MAX_DROPIN_BYTES - 20)}\n`],
  ];
  for (const [name, text] of shapes) {
    assert.ok(Buffer.byteLength(text) <= MAX_DROPIN_BYTES + 1, name);
    figures.dropIns++;
    measure([{ path: '/etc/flatnet.d/large.conf', text }], name);
  }
});

test(`generated drop-in sets, hostile and raw (seed ${SEED})`, async () => {
  await fc.assert(fc.asyncProperty(dropInSet, async (files) => {
    figures.dropIns += files.length;
    await measureWithKernel(files, 'a generated set');
  }), params(2500));
  await fc.assert(fc.asyncProperty(rawText, async (text) => {
    figures.dropIns++;
    await measureWithKernel([{ path: '/etc/flatnet.d/raw.conf', text }], 'raw text');
  }), params(1500));
});

test(`generated sets that are valid most of the time reconcile on the fake kernel without a refusal (seed ${SEED})`, async () => {
  const before = figures.validNetworks;
  await fc.assert(fc.asyncProperty(mostlyValidSet, async (files) => {
    figures.dropIns += files.length;
    await measureWithKernel(files, 'a mostly valid set');
  }), params(2500));
  assert.ok(figures.validNetworks - before > 2000, `the generator must reach the kernel often (${figures.validNetworks - before} valid networks)`);
});

test('mutation corpus: every fixed mutation of every key line of every example, checked with the other examples', async () => {
  assert.ok(examples.length >= 7, 'the examples are there');
  let lines = 0;
  for (const [i, ex] of examples.entries()) {
    const others = examples.filter((_, j) => j !== i);
    const exLines = ex.text.split('\n');
    for (const at of keyLines(ex.text)) {
      lines++;
      for (const [name, mutate] of FIXED_MUTATIONS) {
        const text = mutate(exLines, at).join('\n');
        figures.dropIns++;
        await measureWithKernel([{ path: ex.path, text }, ...others], `${ex.path} line ${at + 1}: ${name}`);
      }
    }
  }
  assert.ok(lines >= 40, `every key of every example is seeded (${lines} key lines)`);
});

test(`mutation corpus: random character and line edits of the examples (seed ${SEED})`, async () => {
  const pick = fc.integer({ min: 0, max: examples.length - 1 });
  await fc.assert(fc.asyncProperty(pick, charEdits, async (i, edits) => {
    const ex = examples[i];
    assert.ok(ex);
    figures.dropIns++;
    await measureWithKernel([{ path: ex.path, text: applyCharEdits(ex.text, edits) }, ...examples.filter((_, j) => j !== i)], 'char edits');
  }), params(1000));
  await fc.assert(fc.asyncProperty(pick, lineEdits, async (i, edits) => {
    const ex = examples[i];
    assert.ok(ex);
    figures.dropIns++;
    await measureWithKernel([{ path: ex.path, text: applyLineEdits(ex.text, edits) }, ...examples.filter((_, j) => j !== i)], 'line edits');
  }), params(1000));
});

test('large inputs: thousands of IPRange= against thousands of addresses', () => {
  const text = `[Network]\nSubnet=10.0.0.0/8\n${Array.from({ length: 40_000 }, (_, i) => `IPRange=10.${(i >> 8) & 255}.${i & 255}.0/24\n`).join('')}[Shim]\n${
    Array.from({ length: 2000 }, (_, i) => `Address=10.${(i >> 8) & 255}.${i & 255}.1/32\n`).join('')}`;
  const m = checkConfigSet([{ path: '/etc/flatnet.d/large.conf', text }]);
  assert.ok(m.ms < 1000, `${Math.round(m.ms)} ms`);
});

test(`a file that is not a drop-in at all gives at most ${MAX_SYNTAX_ERRORS} errors and one line counting the rest`, () => {
  const path = `${FIXTURES}/config/not-a-dropin.xml.conf`;
  const text = readFileSync(path, 'utf8');
  const p = parseUnitFile(path, text);
  const shown = p.diagnostics.map(formatDiagnostic);
  assert.equal(shown.length, MAX_SYNTAX_ERRORS + 1, shown.join('\n'));
  assert.equal(shown[0], `${path}:1: <?xml version="1.0" encoding="UTF-8"?>: assignment before any [Section]`);
  assert.equal(shown.at(-1), `${path}:11: … and 8 more lines with syntax errors, not shown (is this a drop-in at all?)`);
  const one = parseUnitFile('/a.conf', '[Network]\n' + 'junk\n'.repeat(MAX_SYNTAX_ERRORS + 1)).diagnostics.map(formatDiagnostic);
  assert.equal(one.at(-1), `/a.conf:${MAX_SYNTAX_ERRORS + 2}: … and 1 more line with syntax errors, not shown (is this a drop-in at all?)`);
  const exactly = parseUnitFile('/a.conf', 'junk\n'.repeat(MAX_SYNTAX_ERRORS)).diagnostics;
  assert.equal(exactly.length, MAX_SYNTAX_ERRORS, 'no summary line when nothing was left out');
});

// ---- validation gaps the fuzzers found, reported and not fixed (see KNOWN_GAPS) ----

test('an interface name that ip -batch cannot carry is refused by validation, with its line', () => {
  for (const [line, text] of [
    ['Parent=#', '[Network]\nParent=#\nSubnet=10.77.0.0/24\n[Shim]\nName=shim0\nAddress=10.77.0.2/32\n'],
    ["Name=it's", "[Network]\nParent=eth0\nSubnet=10.77.0.0/24\n[Shim]\nName=it's\nAddress=10.77.0.2/32\n"],
    ['Name=a\\b', '[Network]\nParent=eth0\nSubnet=10.77.0.0/24\n[Shim]\nName=a\\b\nAddress=10.77.0.2/32\n'],
  ] as const) {
    const set = checkConfigSet([{ path: '/etc/flatnet.d/10-x.conf', text }]).set;
    assert.deepEqual(set.networks, [], `${line} must be rejected before the kernel (render.ts cannot write it)`);
  }
});

test('a route that another network\'s address brings as its prefix route is refused before the kernel, naming both lines (issue 12.8)', async () => {
  const a = { path: '/etc/flatnet.d/10-a.conf', text: '[Network]\nName=a\nParent=eth0\nSubnet=10.77.0.0/24\n[Shim]\nName=shim-a\nAddress=10.77.0.31/27\n' };
  const b = { path: '/etc/flatnet.d/20-b.conf', text: '[Network]\nName=b\nParent=eth1\nSubnet=10.77.0.0/24\n[Shim]\nName=shim-b\nAddress=10.77.0.100/32\nRoute=10.77.0.0/27\n' };
  const set = checkConfigSet([a, b]).set;
  assert.deepEqual(set.networks.map((n) => n.name), ['a'], 'the later drop-in is rejected by check as by the daemon');
  assert.deepEqual(set.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [
    `${b.path}:8: Route=10.77.0.0/27: the address 10.77.0.31/27 of shim "shim-a" already routes 10.77.0.0/27 (Address= at ${a.path}:7), and the kernel keeps one route per prefix and metric; this network is rejected, 10-a.conf keeps working`,
  ]);
  const k = await checkAgainstFakeKernel(set, [a, b]);
  assert.deepEqual(k.known, [], 'no kernel refusal on the first reconcile');
});

after(() => {
  const gaps = [...figures.knownGaps].map(([g, n]) => `${g}: ${n}`).join('; ') || 'none';
  const line = `config fuzz (seed ${SEED}): ${figures.dropIns} generated drop-ins in ${figures.sets} sets, ${figures.validNetworks} valid networks, `
    + `${figures.kernelOps} ops applied to the fake kernel, slowest input ${Math.round(figures.maxMs)} ms (${figures.slowest}); known gaps hit: ${gaps}`;
  process.stdout.write(`# ${line}\n`);
});

test('at least 10,000 generated drop-ins per run', () => {
  assert.ok(figures.dropIns >= 10_000, `${figures.dropIns} drop-ins`);
});
