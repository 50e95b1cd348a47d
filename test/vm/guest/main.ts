// Entry point in the guest: `node main.js BOOT RESULTS.jsonl`, started by
// flatnet-vm-run.service once multi-user.target is reached.

import { readFileSync } from 'node:fs';
import { log, must, reporter, run, type Reporter } from './lib.js';
import { smoke } from './smoke.js';

const boots: Record<string, (r: Reporter) => void | Promise<void>> = {
  smoke,
};

async function main(): Promise<void> {
  const [boot, out] = process.argv.slice(2);
  if (boot === undefined || out === undefined) throw new Error('usage: main.js BOOT RESULTS.jsonl');
  const r = reporter(out);
  bootInfo(r);
  const fn = boots[boot];
  if (fn === undefined) {
    r.check(`boot ${boot} exists`, false, `no such boot; known: ${Object.keys(boots).join(', ')}`);
    return;
  }
  await fn(r);
  log(`${boot}: ${r.failures()} failed`);
}

/** Where the boot's time went, as systemd measured it (run.ts prints it). */
function bootInfo(r: Reporter): void {
  r.info('systemd-analyze', run(['systemd-analyze', 'time']).stdout.trim().replace(/\s+/g, ' '));
  const mono = Number(must(['systemctl', 'show', '-p', 'ActiveEnterTimestampMonotonic', '--value', 'multi-user.target']).trim());
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  r.info('multi-user.target', `reached ${(mono / 1e6).toFixed(1)} s after kernel start (guest uptime now ${uptime.toFixed(1)} s)`);
  const blame = run(['systemd-analyze', 'blame', '--no-pager']).stdout.split('\n').slice(0, 8).map((l) => l.trim()).join('; ');
  r.info('slowest units', blame);
}

main().catch((e: unknown) => {
  log(`guest main crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exitCode = 1;
});
