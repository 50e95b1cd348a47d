// Worker thread entry: reads and validates the drop-ins (config/load.ts) and
// posts the ConfigSet back (a structured clone: plain data only). See
// load-off-loop.ts for why.

import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from './load.js';

const dirs: unknown = workerData;
if (parentPort !== null && Array.isArray(dirs) && dirs.every((d): d is string => typeof d === 'string')) {
  parentPort.postMessage(await loadConfig(dirs));
}
