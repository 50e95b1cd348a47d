// How Node is started for flatnetd, in one place: the launchers
// (debian/bin/flatnetd, nix/package.nix, the VM tier's) and every harness that
// starts the daemon (test/support, bench) pass exactly these; a packaging test
// holds them to it. None today: see YOUNG_GENERATION_CAP for why the one V8
// flag the daemon needs is set from inside once it is up.
export const NODE_FLAGS: readonly string[] = [];

/**
 * V8's young generation otherwise grows to 16 MiB a half under the
 * allocation of each reconcile's dumps, and RSS kept climbing over a thousand
 * heals (issue 6); held at its starting size it levels off, at no cost in
 * heal time (docs/benchmarks.md has both). It used to be
 * `--max-semi-space-size=1` on node's command line, but any V8 flag given
 * there (or set before a built-in module is loaded) makes Node compile its
 * built-in modules without their embedded code cache, which was most of the
 * difference between the daemon's start and a bare `node` (issue 18). So the
 * daemon starts with V8's defaults and, once it is up and has loaded what it
 * needs, stops the young generation from growing: V8 reads the growth factor
 * each time it would grow the space.
 */
export const YOUNG_GENERATION_CAP = '--semi-space-growth-factor=1';

/**
 * Node's on-disk compile cache (Node >= 22.1), in the directory the unit
 * provides (CacheDirectory=flatnetd → $CACHE_DIRECTORY): a start skips
 * compiling the daemon's modules again. Node keys the cache by its own
 * version and by each file's contents, so an upgrade of either only costs one
 * slower start. Nothing on Node 20 (no such API) or without the directory;
 * a cache that cannot be used is no reason not to start.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv, nodeModule: unknown): boolean {
  const dir = env['CACHE_DIRECTORY']?.split(':')[0];
  if (dir === undefined || dir === '') return false;
  const enable = typeof nodeModule === 'object' && nodeModule !== null ? (nodeModule as Record<string, unknown>)['enableCompileCache'] : undefined;
  if (typeof enable !== 'function') return false;
  try {
    const r: unknown = enable.call(nodeModule, dir);
    return typeof r === 'object' && r !== null && 'directory' in r;
  } catch {
    return false;
  }
}
