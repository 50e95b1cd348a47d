// Entry point in the guest: `node main.js BOOT RESULTS.jsonl`, started by
// flatnet-vm-run.service once multi-user.target is reached.
//
//   smoke   the harness: kernel, systemd, bus, overlay, link kinds
//   main    first boot of a fresh disk: scenarios 1, 3 (+ the namespace tier's skipped tests), 2, 7, 5, 6
//   reboot  the same disk again: scenarios 1 and 4 (with 7's Podman container)
//   engine  a fresh disk: flatnetd and Docker's Engine API (re-attach after a re-made parent)
//   lan     a fresh disk, no Docker: issue 17's ARP probe and accept_ra under the hardened unit
//   engine-podman  a fresh disk: the same re-attach through Podman's Docker-compatible API

import { readFileSync } from 'node:fs';
import { log, must, reporter, type Reporter } from './lib.js';
import { smoke } from './smoke.js';
import { bootOrder } from './bootorder.js';
import { kinds } from './kinds.js';
import { netnsTier } from './netns.js';
import { dockerScenario } from './docker.js';
import { podmanAgain, podmanScenario } from './podman.js';
import { control } from './control.js';
import { networkdScenario } from './networkd.js';
import { rebootScenario, saveState } from './reboot.js';
import { createOnBootScenario, driftScenario, engineScenario } from './engine.js';
import { podmanReattachScenario } from './engine-podman.js';
import { lanScenario } from './lan.js';

const boots: Record<string, (r: Reporter) => void> = {
  smoke,
  main: (r) => {
    bootOrder(r, 'main');
    timed(r, 'scenario 3 (kinds, VLAN cases)', () => kinds(r));
    timed(r, 'scenario 3 (namespace tier\'s vlan/ipvlan/dummy tests)', () => netnsTier(r));
    const ips = timed(r, 'scenario 2 (docker)', () => dockerScenario(r));
    timed(r, 'scenario 7 (podman)', () => podmanScenario(r));
    timed(r, 'scenario 5 (bus, systemctl)', () => control(r, ips));
    timed(r, 'scenario 6 (networkd)', () => networkdScenario(r));
    saveState(r, ips);
  },
  engine: (r) => {
    timed(r, 'issue 15 (engine: Create=yes on a fresh boot)', () => createOnBootScenario(r));
    timed(r, 'issue 15 (engine: re-attach)', () => engineScenario(r));
    timed(r, 'issue 15 (engine: drift, create)', () => driftScenario(r));
  },
  lan: (r) => {
    timed(r, 'issue 17 (LAN: arping and accept_ra under the unit)', () => lanScenario(r));
  },
  'engine-podman': (r) => {
    timed(r, 'issue 15 (engine: re-attach with Podman)', () => podmanReattachScenario(r));
  },
  reboot: (r) => {
    bootOrder(r, 'reboot');
    timed(r, 'scenario 4 (second boot)', () => rebootScenario(r));
    timed(r, 'scenario 7 (podman, second boot)', () => podmanAgain(r));
  },
};

function timed<T>(r: Reporter, what: string, fn: () => T): T {
  const t0 = Date.now();
  try {
    return fn();
  } finally {
    r.info(`time: ${what}`, `${((Date.now() - t0) / 1000).toFixed(1)} s in the guest`);
  }
}

function main(): void {
  const [boot, out] = process.argv.slice(2);
  if (boot === undefined || out === undefined) throw new Error('usage: main.js BOOT RESULTS.jsonl');
  const r = reporter(out);
  bootInfo(r);
  const fn = boots[boot];
  if (fn === undefined) {
    r.check(`boot ${boot} exists`, false, `no such boot; known: ${Object.keys(boots).join(', ')}`);
    return;
  }
  fn(r);
  log(`${boot}: ${r.failures()} failed`);
}

/** When the boot reached multi-user.target, as systemd measured it (run.ts prints it). */
function bootInfo(r: Reporter): void {
  const mono = Number(must(['systemctl', 'show', '-p', 'ActiveEnterTimestampMonotonic', '--value', 'multi-user.target']).trim());
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  r.info('multi-user.target', `reached ${(mono / 1e6).toFixed(1)} s after kernel start (checks start at ${uptime.toFixed(1)} s)`);
}

try {
  main();
} catch (e: unknown) {
  log(`guest main crashed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exitCode = 1;
}
