#!/usr/bin/env node
// Composition root: the only place that reads process.* and builds the
// adapters (kernel, config loader, notifier, bus) the daemon is given.

import { readFile } from 'node:fs/promises';
import { USAGE, UsageError, parseDaemonArgs, type DaemonOptions } from './args.js';
import { describeError } from './errors.js';
import { bootThenOffLoop } from './config/load-off-loop.js';
import { IpRoute2Kernel } from './kernel/iproute2.js';
import { takeInstanceLock, unitFromCgroup } from './instance-lock.js';
import { createLogger, guardStream, type Logger } from './log.js';
import { systemdNotifier } from './notify.js';
import { Daemon } from './reconcile/daemon.js';
import { debounce } from './watch/debounce.js';
import { packageVersion } from './version.js';
import { ArpingArp } from './lan/arping.js';
import { BoundedArp } from './lan/bounded.js';
import { AddressGuard } from './lan/guard.js';
import { RaPolicy } from './lan/ra.js';
import { runScan } from './lan/scanner.js';
import { ProcSysIpv6Conf } from './lan/proc-sys.js';
import { YOUNG_GENERATION_CAP } from './node-flags.js';
import type { BusAttachment } from './bus-attach.js';
import type { ScanPlan } from './lan/scan.js';

// Only what the first reconcile and READY=1 need is imported above (the entry,
// flatnetd.ts, checked the file descriptors before loading this): the bus,
// the drop-in watch, the engines and the test hook below are loaded when they
// are used, and the shipped bundle (scripts/bundle.mjs) keeps them in chunks
// of their own.

/** The reliability tier's kill-after-k-ops hook (src/kernel/fault.ts), loaded only when its variable is set. */
async function faultHook(env: NodeJS.ProcessEnv): Promise<typeof import('./kernel/fault.js') | null> {
  return env['FLATNET_FAULT_KILL_AFTER_OPS'] === undefined ? null : import('./kernel/fault.js');
}

async function machineId(file: string, log: Logger): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    log.warning(`${file}: ${describeError(e)}; shim MACs derived without a machine id will still be stable on this host only while the network name stays`);
    return '';
  }
}

// Logging or printing never ends the daemon: see guardStream().
const writeErr = guardStream(process.stderr);
const writeOut = guardStream(process.stdout);

/** The unit we run in when systemd started us (it sets INVOCATION_ID), else null. */
async function systemdUnit(): Promise<string | null> {
  if (process.env['INVOCATION_ID'] === undefined) return null;
  try {
    return unitFromCgroup(await readFile('/proc/self/cgroup', 'utf8'));
  } catch {
    return null;
  }
}

async function run(opts: DaemonOptions): Promise<void> {
  const journal = process.env['JOURNAL_STREAM'] !== undefined;
  const log = createLogger({ journal, level: opts.logLevel, write: writeErr });
  const version = packageVersion();
  if (opts.version) {
    writeOut(`flatnetd ${version}`);
    return;
  }
  // Before anything that could touch a link: a second daemon is refused whole.
  const lock = await takeInstanceLock(opts.netns, {
    pid: process.pid,
    args: process.argv.slice(2),
    since: `${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    unit: await systemdUnit(),
  });
  if (!lock.ok) {
    log.error(`${lock.message}; exiting`);
    process.exit(1);
  }
  if (lock.warning !== null) log.warning(lock.warning);
  const { notifier, fallback } = systemdNotifier(process.env, { onError: (e) => log.warning(e) });
  if (fallback !== null) log.warning(`the notify addon did not load (${fallback}); telling systemd through systemd-notify(1) instead, which it believes only with NotifyAccess=all`);
  const ipKernel = new IpRoute2Kernel({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}), viewMinLinks: opts.viewMinLinks, onLog: (l) => log.debug(l), booting: true });
  // Every way out ends the ip processes we started (the event monitor, the
  // living dump session, the writer started ahead): an orphaned `ip monitor`
  // would outlive us in the unit's cgroup or, without systemd, forever.
  process.on('exit', () => ipKernel.close());
  const fault = await faultHook(process.env); // test hook (test/reliability), unset in production
  const killAfter = fault === null ? null : fault.faultKillAfterOps(process.env);
  const kernel = fault === null || killAfter === null ? ipKernel : new fault.KillAfterOpsKernel(ipKernel, { ops: killAfter, onKill: (l) => log.warning(l) });
  // With the bus up, its name is taken before READY=1; a bus that does not
  // answer holds READY=1 back by at most a second (src/bus-attach.ts).
  let firstBusTry: () => void = () => undefined;
  const busTried = new Promise<void>((resolve) => { firstBusTry = resolve; });
  const attach = opts.bus ? await import('./bus-attach.js') : null;
  const netnsOpt = opts.netns !== undefined ? { netns: opts.netns } : {};
  // One gate for the probes before use, the announcements and flatnetctl probe's scans.
  const arp = opts.arpProbe ? new BoundedArp(new ArpingArp(netnsOpt)) : null;
  const daemon = new Daemon({
    kernel,
    loadConfig: bootThenOffLoop(opts.configDirs, (why) => log.warning(`reading the drop-ins on a thread of their own failed (${why}); read on the main loop instead`)),
    machineId: await machineId(opts.machineIdFile, log),
    log,
    notifier: attach === null ? notifier : attach.readyAfterFirstTry(notifier, busTried),
    version,
    parentWaitMs: opts.parentWaitMs,
    kernelDebounceMs: opts.kernelDebounceMs,
    nowUsec: () => BigInt(Date.now()) * 1000n,
    // A dry run reads a few drop-ins beside the candidates, on the loop (no worker to start).
    loadCandidates: async (files) => (await import('./config/load.js')).loadConfigWith(opts.configDirs, files),
    guard: new AddressGuard(arp, log, new RaPolicy(new ProcSysIpv6Conf(opts.netns), log)),
    ...(arp !== null ? { scan: (plan: ScanPlan) => runScan(arp, plan) } : {}),
  });
  log.info(`flatnetd ${version} starting; drop-ins from ${opts.configDirs.join(', ')}`);

  let bus: BusAttachment | undefined;
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    await watching;
    await watcher?.close();
    engines?.stop();
    await daemon.stop();
    ipKernel.close();
    await bus?.close();
    process.exit(0);
  };
  const reload = debounce(() => {
    daemon.reload().catch((e: unknown) => log.error(`reload failed: ${describeError(e)}`));
  }, opts.configDebounceMs);
  // The watch starts once the first reconcile is done: setting it up (a
  // watch per directory, every symlink followed) is kept off the boot path,
  // and what was edited meanwhile is caught by comparing file times with when
  // they were read.
  let watcher: { refresh(): void; close(): Promise<void> } | null = null;
  let engines: { stop(): void } | undefined;
  let watching: Promise<void> = Promise.resolve();
  const startWatching = (readSince: number): void => {
    watching = import('./watch/config-watch.js').then((m) => {
      if (!stopping) watcher = m.watchConfigDirs(opts.configDirs, () => reload.trigger(), log, readSince);
    }, (e: unknown) => {
      log.error(`cannot watch the drop-in directories: ${describeError(e)}; exiting`);
      process.exit(1);
    });
  };
  // Explicit, so no settle time: re-resolve what is watched (a re-pointed
  // symlink) and reload now.
  const reloadNow = (): void => {
    reload.cancel();
    watcher?.refresh();
    daemon.reload().catch((e: unknown) => log.error(`reload failed: ${describeError(e)}`));
  };
  process.on('SIGHUP', reloadNow);
  // flatnetctl reload goes to the daemon over the bus: the watch follows it too.
  daemon.onChange((c) => {
    if (c.what === 'manager' && daemon.state() === 'reloading') watcher?.refresh();
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // The bus is an API, never a need: attaching starts here and goes on in the
  // background (and again whenever dbus comes back), while the first
  // reconcile, READY=1 and every heal go ahead without it.
  // Imported only when wanted: dbus-next is a third of our start-up time.
  if (attach !== null) {
    const { systemBusAddress } = await import('./bus/address.js');
    bus = attach.attachBus(daemon, log, { address: systemBusAddress(process.env), configDirs: opts.configDirs, onFirstTry: firstBusTry });
  }
  const readSince = Date.now();
  await daemon.start();
  ipKernel.started();
  startWatching(readSince);
  // The engines start after flatnetd (docker.service is ordered after the
  // network): following them is kept off the boot path, like the watch.
  // Whatever goes wrong there, flatnetd goes on with the host side alone.
  if (opts.engineSockets.length > 0 && !stopping) {
    try {
      engines = (await import('./engine/attach.js')).followEngines(daemon, opts.engineSockets, log, process.env['RUNTIME_DIRECTORY']?.split(':')[0]);
    } catch (e) {
      log.error(`engine: cannot follow the container engines: ${describeError(e)}; going on without them`);
    }
  }
  // Up, and what it runs on is loaded (a flag set earlier would have cost the
  // built-in modules loaded after it their code cache): from here the young
  // generation stays the size it is.
  await watching;
  (await import('node:v8')).setFlagsFromString(YOUNG_GENERATION_CAP);
  log.debug(`V8's young generation is held at its size from here (${YOUNG_GENERATION_CAP})`);
}

try {
  const opts = parseDaemonArgs(process.argv.slice(2));
  if (opts.help) writeOut(USAGE.trimEnd());
  else await run(opts);
} catch (e) {
  if (e instanceof UsageError) {
    writeErr(`flatnetd: ${e.message}\n${USAGE.trimEnd()}`);
    process.exit(2);
  }
  writeErr(`flatnetd: ${describeError(e)}`);
  process.exit(1);
}
