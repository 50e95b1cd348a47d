#!/usr/bin/env node
// The daemon's entry (what the launchers run). Two things must happen before
// the daemon's modules are loaded, and a static import is loaded before any
// code of the importing module runs; so both happen here, then main.js is
// loaded: Node's compile cache is turned on (it only covers what is compiled
// after), and too few file descriptors is one readable line instead of a
// stack trace from the module loader. node-flags.ts and fd-limit.ts import
// nothing of ours.

import * as nodeModule from 'node:module';
import { enableCompileCache } from './node-flags.js';
import { checkOwnFdLimit } from './fd-limit.js';

enableCompileCache(process.env, nodeModule);
const fdProblem = checkOwnFdLimit();
if (fdProblem !== null) {
  process.stderr.write(`flatnetd: ${fdProblem}\n`);
  process.exit(1);
}
await import('./main.js');
