#!/usr/bin/env node
// The daemon's entry (what the launchers run): Node's compile cache must be on
// before the daemon's modules are loaded, and a static import is compiled
// before any code of the importing module runs; so turn it on here, then
// load main.js. node-flags.ts imports nothing, so it costs nothing to compile.

import * as nodeModule from 'node:module';
import { enableCompileCache } from './node-flags.js';

enableCompileCache(process.env, nodeModule);
await import('./main.js');
