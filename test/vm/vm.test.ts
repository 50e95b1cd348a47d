// node:test entry for the VM tier (scripts/run-tests.mjs collects *.test.js); the boots live in run.ts.
import './run.js';
