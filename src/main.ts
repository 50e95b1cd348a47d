#!/usr/bin/env node
// Composition root: the only place that reads process.* and builds the
// adapters (kernel, config loader, notifier, bus) the daemon is given.

import { readFile } from 'node:fs/promises';
import { DaemonOptions, USAGE, UsageError, parseDaemonArgs } from './args.js';
import { describeError } from './errors.js';
import { loadConfig } from './config/load.js';
import { IpRoute2Kernel } from './kernel/iproute2.js';
import { KillAfterOpsKernel, faultKillAfterOps } from './kernel/fault.js';
import { createLogger, type Logger } from './log.js';
import { systemdNotifier } from './notify.js';
import { Daemon } from './reconcile/daemon.js';
import { debounce } from './watch/debounce.js';
import { ArpingArp } from './lan/arping.js';
import { AddressGuard } from './lan/guard.js';
import { RaPolicy } from './lan/ra.js';
import type { ScanPlan } from './lan/scan.js';
import { runScan } from './lan/scanner.js';
import { ProcSysIpv6Conf } from './lan/proc-sys.js';

async function packageVersion(): Promise<string> {
  try {
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && 'version' in v && typeof v.version === 'string') return v.version;
  } catch { /* fall through */ }
  return 'unknown';
}

async function machineId(file: string, log: Logger): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    log.warning(`${file}: ${describeError(e)}; shim MACs derived without a machine id will still be stable on this host only while the network name stays`);
    return '';
  }
}

async function run(opts: DaemonOptions): Promise<void> {
  const journal = process.env['JOURNAL_STREAM'] !== undefined;
  const log = createLogger({ journal, level: opts.logLevel, write: (l) => process.stderr.write(l + '\n') });
  const version = await packageVersion();
  if (opts.version) {
    process.stdout.write(`flatnetd ${version}\n`);
    return;
  }
  const { notifier, loaded } = systemdNotifier(process.env);
  loaded.catch((e: unknown) => {
    log.error(`${describeError(e)}; exiting (systemd would wait for READY=1 in vain)`);
    process.exit(1);
  });
  const ipKernel = new IpRoute2Kernel({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}), viewMinLinks: opts.viewMinLinks, onLog: (l) => log.debug(l) });
  const killAfter = faultKillAfterOps(process.env); // test hook (test/reliability), unset in production
  const kernel = killAfter === null ? ipKernel : new KillAfterOpsKernel(ipKernel, { ops: killAfter, onKill: (l) => log.warning(l) });
  const netnsOpt = opts.netns !== undefined ? { netns: opts.netns } : {};
  const arp = opts.arpProbe ? new ArpingArp(netnsOpt) : null;
  const daemon = new Daemon({
    kernel,
    loadConfig: () => loadConfig(opts.configDirs),
    machineId: await machineId(opts.machineIdFile, log),
    log,
    notifier,
    version,
    parentWaitMs: opts.parentWaitMs,
    kernelDebounceMs: opts.kernelDebounceMs,
    nowUsec: () => BigInt(Date.now()) * 1000n,
    guard: new AddressGuard(arp, log, new RaPolicy(new ProcSysIpv6Conf(opts.netns), log)),
    ...(arp !== null ? { scan: (plan: ScanPlan) => runScan(arp, plan) } : {}),
  });
  log.info(`flatnetd ${version} starting; drop-ins from ${opts.configDirs.join(', ')}`);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    await watching;
    await watcher?.close();
    await daemon.stop();
    ipKernel.close();
    await bus?.close();
    process.exit(0);
  };
  const reload = debounce(() => {
    daemon.reload().catch((e: unknown) => log.error(`reload failed: ${describeError(e)}`));
  }, opts.configDebounceMs);
  // The watch starts once the first reconcile is done: chokidar's start-up
  // (loading it, a watch per file) is kept off the boot path, and what was
  // edited meanwhile is caught by comparing file times with when they were read.
  let watcher: { close(): Promise<void> } | null = null;
  let watching: Promise<void> = Promise.resolve();
  const startWatching = (readSince: number): void => {
    watching = import('./watch/config-watch.js').then((m) => {
      if (!stopping) watcher = m.watchConfigDirs(opts.configDirs, () => reload.trigger(), log, readSince);
    }, (e: unknown) => {
      log.error(`cannot watch the drop-in directories: ${describeError(e)}; exiting`);
      process.exit(1);
    });
  };
  process.on('SIGHUP', () => reload.trigger());
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  // The bus comes up before the first reconcile so `busctl` can watch the
  // start, but READY=1 waits for the reconcile (Type=notify).
  // Imported only when wanted: dbus-next is a third of our start-up time.
  const bus = opts.bus ? await (await import('./bus-attach.js')).attachBus(daemon, log, (reason) => {
    log.error(`${reason}; exiting so systemd restarts flatnetd (every link stays in place)`);
    process.exit(1);
  }) : undefined;
  const readSince = Date.now();
  await daemon.start();
  startWatching(readSince);
}

try {
  const opts = parseDaemonArgs(process.argv.slice(2));
  if (opts.help) process.stdout.write(USAGE);
  else await run(opts);
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`flatnetd: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`flatnetd: ${describeError(e)}\n`);
  process.exit(1);
}
