// Reloads read and validate the drop-ins on a worker thread. Reading is
// synchronous (discover.ts) and so is parsing; with thousands of drop-ins
// that held the daemon's one thread, and a shim deleted meanwhile waited for
// the whole reload before it was healed (issue 12.10). On a worker, the loop
// keeps healing with the config in force until the new one is complete; it
// is then swapped in at once (the daemon never sees half a reload). Cloning
// the result back is a small part of the load.
//
// The first load, at boot, stays on the loop: nothing is running yet that
// could wait, and a thread would add its start-up to the boot. For the same
// reason node:worker_threads is loaded at the first reload, not with the
// daemon: it is a built-in Node compiles afresh under NODE_FLAGS.

import { loadConfig, type ConfigSet } from './load.js';

export async function loadOnWorker(dirs: readonly string[]): Promise<ConfigSet> {
  const { Worker } = await import('node:worker_threads');
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: [...dirs] });
    worker.once('message', (set: ConfigSet) => { settled = true; resolve(set); });
    worker.once('error', (e) => { settled = true; reject(e); });
    worker.once('exit', (code) => { if (!settled) reject(new Error(`config worker exited (${code}) without an answer`)); });
  });
}

/**
 * A config loader for the daemon: the boot load in-process, every later one
 * on a worker thread, or in-process again when a thread cannot be had (out
 * of memory or file descriptors): a reload never fails for want of a thread.
 */
export function bootThenOffLoop(dirs: readonly string[], onFallback: (why: string) => void): () => Promise<ConfigSet> {
  let booted = false;
  return async () => {
    if (!booted) {
      booted = true;
      return loadConfig(dirs);
    }
    try {
      return await loadOnWorker(dirs);
    } catch (e) {
      onFallback(e instanceof Error ? e.message : String(e));
      return loadConfig(dirs);
    }
  };
}
