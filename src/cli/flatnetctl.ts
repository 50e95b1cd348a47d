#!/usr/bin/env node
// flatnetctl: query and control flatnetd over the system bus, like networkctl.
// Exit codes: 0 ok, 1 failure, 2 usage, 3 flatnetd not running.

import { main } from './run.js';

main(process.argv.slice(2), process.env).then(
  // Exit explicitly: a half-closed bus socket must not keep a finished command alive.
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`flatnetctl: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
