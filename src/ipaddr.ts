// ipaddr.js through require(): imported as an ES module, this CommonJS file
// goes through Node's CommonJS-to-ESM translation at every start, a sizeable
// share of a cold start (docs/benchmarks.md); require() loads it directly.

import { createRequire } from 'node:module';

type IpAddr = typeof import('ipaddr.js');

const ipaddr = createRequire(import.meta.url)('ipaddr.js') as IpAddr;
export default ipaddr;
