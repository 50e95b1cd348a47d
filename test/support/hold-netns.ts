// A child process for the harness's own test: makes a namespace through
// createNetns, prints its name, and waits to be killed. The namespace must be
// gone once it dies of SIGTERM or SIGINT.

import { createNetns } from './netns.js';

const ns = await createNetns(null, process.argv[2] ?? 'hold');
process.stdout.write(`${ns.name}\n`);
setInterval(() => undefined, 1_000);
