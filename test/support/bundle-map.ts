// What is in the shipped bundle (dist/bundle, scripts/bundle.mjs), from
// esbuild's own metafile: which file holds which of our modules, and which
// files a start loads before any dynamic import (the entry, main's chunk and
// what they import statically).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLE_DIR = fileURLToPath(new URL('../../bundle/', import.meta.url));
const SRC_DIR = fileURLToPath(new URL('../../src/', import.meta.url));

let staleChecked: string | null | undefined;

/**
 * Why the bundle is not what dist/src says (missing, or older than a module
 * tsc wrote since), or null: the daemon the tests and the bench start is the
 * bundle, and `tsc` alone does not remake it (`npm run build` does both).
 */
export function staleBundle(): string | null {
  if (staleChecked !== undefined) return staleChecked;
  let made: number;
  try {
    made = statSync(join(BUNDLE_DIR, 'meta.json')).mtimeMs;
  } catch {
    return (staleChecked = `${BUNDLE_DIR} has no bundle: run npm run build (tsc, then scripts/bundle.mjs)`);
  }
  const newer = (readdirSync(SRC_DIR, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.js') && !f.startsWith('cli/') && statSync(join(SRC_DIR, f)).mtimeMs > made);
  staleChecked = newer.length === 0 ? null
    : `${BUNDLE_DIR} is older than ${newer.length} module(s) tsc wrote since (${newer.slice(0, 3).join(', ')}…): run npm run build, which bundles too`;
  return staleChecked;
}

interface MetaOutput {
  imports: { path: string; kind: string; external?: boolean }[];
  entryPoint?: string;
  inputs: Record<string, unknown>;
}

export interface BundleMap {
  /** Output file name (`main-ABC123.js`) → the dist/src modules in it (`src/reconcile/daemon.js`). */
  modules: Map<string, string[]>;
  /** Output file name → the output files it imports statically. */
  statics: Map<string, string[]>;
  /** The output file that a dist/src module (`src/main.js`) ends up in. */
  fileOf(module: string): string | undefined;
  /** The files a start loads up to main's first line: the entry, main's chunk and everything both import statically. */
  boot(): string[];
  /** The entry and what it imports statically: compiled before the entry turns the compile cache on. */
  entry(): string[];
}

export function bundleMap(dir = BUNDLE_DIR): BundleMap {
  const meta = JSON.parse(readFileSync(`${dir}/meta.json`, 'utf8')) as { outputs: Record<string, MetaOutput> };
  const modules = new Map<string, string[]>();
  const statics = new Map<string, string[]>();
  for (const [path, out] of Object.entries(meta.outputs)) {
    if (!path.endsWith('.js')) continue;
    const name = basename(path);
    modules.set(name, Object.keys(out.inputs).map((i) => i.replace(/^.*?dist\//, '')));
    statics.set(name, out.imports.filter((i) => i.kind === 'import-statement' && i.external !== true).map((i) => basename(i.path)));
  }
  const fileOf = (module: string): string | undefined => [...modules].find(([, ms]) => ms.includes(module))?.[0];
  const closure = (roots: string[]): string[] => {
    const seen = new Set<string>();
    const visit = (f: string): void => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const g of statics.get(f) ?? []) visit(g);
    };
    roots.forEach(visit);
    return [...seen];
  };
  return {
    modules, statics, fileOf,
    boot: () => closure(['flatnetd.js', fileOf('src/main.js') ?? 'main.js']),
    entry: () => closure(['flatnetd.js']),
  };
}
