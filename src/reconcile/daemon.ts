// The daemon: its lifecycle (start, READY=1, watchdog, stop), the config in
// force, and what each run publishes. Everything that can change the kernel
// goes through `request()`; when runs happen (coalescing, debounce, back-off)
// is reconcile/triggers.ts, and each run is the same idempotent reconcile
// (reconcile/run.ts).

import { FlatnetError, describeError, formatDiagnostic, type Diagnostic } from '../errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { ConfigSet } from '../config/load.js';
import type { DropInFile } from '../config/discover.js';
import type { NetworkConfig } from '../model/config.js';
import { emptyObserved, type Observed } from '../model/observed.js';
import type { CandidateFile, CandidatePlan, DaemonApi, DaemonChange, EngineSummary, EngineView, ManagerState, NetworkStatus } from '../model/status.js';
import type { Op } from '../plan/ops.js';
import { summarizeOps } from '../plan/ops-summary.js';
import { planRound } from '../plan/round.js';
import { dockerNetworkCreateArgs } from '../docker/args.js';
import { cniConflist } from '../emit/cni.js';
import { podmanNetworkCreateArgs } from '../emit/podman.js';
import { routerHints } from '../emit/router.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../notify.js';
import { reconcileOnce, retryWhat, type RunResult } from './run.js';
import { deriveStatus, sameStatus, summaryLine } from './status.js';
import { followedSubnets } from '../plan/subnets.js';
import { ConfigHolder } from './config-holder.js';
import { Triggers, type RunReport } from './triggers.js';
import { candidateDiagnostics, checkCandidates, dryRun } from './dry-run.js';
import type { AddressGuard } from '../lan/guard.js';
import { planScan, type ScanPlan } from '../lan/scan.js';
import type { ScanReport } from '../lan/scanner.js';
import { monotonicMs } from '../clock.js';

export interface DaemonDeps {
  kernel: Kernel;
  loadConfig: () => Promise<ConfigSet>;
  machineId: string;
  log: Logger;
  notifier: Notifier;
  version: string;
  /** How long a missing parent may hold READY=1 back. */
  parentWaitMs: number;
  /** Kernel events within this window are coalesced into one reconcile. */
  kernelDebounceMs: number;
  /** CLOCK_REALTIME in µs. */
  nowUsec: () => bigint;
  /** The drop-ins as they would be with these candidates (config/load.ts loadConfigWith). */
  loadCandidates?: (files: readonly DropInFile[]) => Promise<ConfigSet>;
  /** Runs a range scan (flatnetctl probe); absent = not offered. */
  scan?: (plan: ScanPlan) => Promise<ScanReport>;
  /** Asks the LAN before a shim's IPv4 address is assigned; absent = assign unasked. */
  guard?: AddressGuard;
}


export class Daemon implements DaemonApi {
  readonly version: string;
  private readonly d: DaemonDeps;
  private readonly config = new ConfigHolder();
  private readonly downSet = new Set<string>();
  private statuses = new Map<string, NetworkStatus>();
  private readonly restoreCounts = new Map<string, number>();
  private managerState: ManagerState = 'starting';
  private lastObserved: Observed = emptyObserved();
  private readonly listeners = new Set<(c: DaemonChange) => void>();
  /** Drop-in problems already in the journal, so a reload logs only new ones. */
  private loggedDiagnostics = new Set<string>();
  private readyTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private watchdogDue = false;
  private ready = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private lastStatusLine = '';
  private engineView: EngineView | null = null;
  private configLoaded = false;
  private reloads: Promise<void> = Promise.resolve();
  /** Runs so far and kernel events seen (for tests, bench and Describe). */
  readonly counters = { runs: 0, events: 0, resyncs: 0, writes: 0 };

  /** When the loop runs (triggers, debounce, back-off); what a run does is runOnce. */
  private readonly triggers: Triggers;

  constructor(deps: DaemonDeps) {
    this.d = deps;
    this.version = deps.version;
    this.triggers = new Triggers({
      run: (fresh) => this.runOnce(fresh),
      log: deps.log,
      kernelDebounceMs: deps.kernelDebounceMs,
      betweenRuns: () => { if (this.watchdogDue) this.watchdogTick(); },
    });
  }

  // ---- lifecycle -------------------------------------------------------

  async start(): Promise<void> {
    this.unsubscribe = this.d.kernel.subscribe((e) => {
      this.counters.events++;
      if (e.what === 'resync') {
        this.counters.resyncs++;
        this.d.log.warning('kernel event monitor restarted: re-reading everything');
      }
      this.triggers.kernelEvent();
    });
    // A probe's answer only says "look again"; the run it starts asks nothing new.
    this.d.guard?.onAnswer(() => void this.request(false));
    await this.loadConfig();
    const wd = this.d.notifier.watchdogIntervalMs();
    if (wd > 0) {
      this.watchdogTimer = setInterval(() => this.watchdogTick(), wd);
    }
    await this.request();
    // The parent wait counts from the end of the first reconcile: READY=1 is
    // never sent before one, however short the wait.
    if (!this.ready) this.readyTimer = setTimeout(() => this.becomeReady('parent wait over'), this.d.parentWaitMs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.setManagerState('stopping');
    this.d.notifier.stopping();
    if (this.readyTimer) clearTimeout(this.readyTimer);
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.unsubscribe?.();
    await this.triggers.stop();
    this.d.log.info('stopping; every link stays in place');
  }

  // ---- the loop --------------------------------------------------------

  private request(fresh = true): Promise<void> {
    return this.triggers.request(fresh);
  }

  private watchdogTick(): void {
    // Sent only when the loop is idle: a loop stuck in a run starves it and
    // systemd restarts us (WatchdogSec=).
    if (this.triggers.running) {
      this.watchdogDue = true;
      return;
    }
    this.watchdogDue = false;
    this.d.notifier.watchdog();
  }

  private async runOnce(fresh: boolean): Promise<RunReport | null> {
    // Until the drop-ins are read nothing is known to be wanted: a run then (a
    // kernel event or a D-Bus Reconcile during start-up) deleted every owned
    // link as "no longer wanted" (found by test/reliability/kill9). start()
    // asks for the first run once they are read.
    if (!this.configLoaded) return null;
    this.counters.runs++;
    const input = this.config.runInput([...this.downSet], this.d.machineId);
    const writesBefore = this.d.kernel.writes;
    const t0 = monotonicMs();
    const guard = this.d.guard;
    // A held address is asked about again only in a run someone asked for, never for a kernel event.
    guard?.beginRun(fresh);
    const vet = guard === undefined ? {} : { vet: guard.vet.bind(guard) };
    const result = await reconcileOnce(this.d.kernel, input, this.d.log, { fresh, ...vet });
    const writes = this.d.kernel.writes - writesBefore;
    this.counters.writes += writes;
    const ms = monotonicMs() - t0;
    this.d.log.debug(`reconcile run ${this.counters.runs}: ${writes} write${writes === 1 ? '' : 's'}, ${result.rounds} round${result.rounds === 1 ? '' : 's'}, ${ms.toFixed(1)} ms`);
    this.lastObserved = result.observed;
    this.publish(result);
    if (!this.ready && ![...this.statuses.values()].some((s) => s.state === 'waiting-for-parent')) {
      this.becomeReady('first reconcile done');
    }
    // The LAN is asked once the run is over (and READY=1 sent): src/lan/guard.ts.
    guard?.launch();
    const troubled = [...result.outcomes.values()].some((o) => o.failed) || result.leftover.length > 0;
    return { troubled, retryWhat: retryWhat(result), wrote: writes > 0 };
  }

  private publish(result: RunResult): void {
    const next = new Map<string, NetworkStatus>();
    const now = this.d.nowUsec();
    for (const entry of this.config.entries()) {
      const prev = this.statuses.get(entry.name);
      const outcome = result.outcomes.get(entry.name);
      // A heal: ops were needed although the drop-in is the one last seen
      // configured, so someone or something undid our work.
      const healed = outcome !== undefined && outcome.applied.length > 0 && !this.downSet.has(entry.name)
        && this.config.unchangedSinceConfigured(entry.name);
      if (healed && outcome !== undefined) {
        this.restoreCounts.set(entry.name, (this.restoreCounts.get(entry.name) ?? 0) + 1);
        // One line per heal that says what was put back; the steps are at debug.
        const n = this.restoreCounts.get(entry.name) ?? 0;
        this.d.log.notice(`${entry.name}: restored ${summarizeOps(outcome.applied)} (${n === 1 ? 'first restore' : `restore ${n}`})`);
      } else if (outcome !== undefined && outcome.applied.length > 0) {
        this.d.log.info(`${entry.name}: applied ${summarizeOps(outcome.applied)}`);
      }
      const status = deriveStatus({
        name: entry.name,
        file: entry.file,
        net: entry.net,
        configErrors: entry.errors,
        down: this.downSet.has(entry.name),
        outcome,
        observed: result.observed,
        prev,
        restoreCount: this.restoreCounts.get(entry.name) ?? 0,
        nowUsec: now,
      });
      // No carrier is configured all the same: what the drop-in asks for is in place.
      if (status.state === 'configured' || status.state === 'no-carrier') this.config.markConfigured(entry.name);
      if (prev === undefined || prev.state !== status.state || prev.lastError !== status.lastError) {
        const from = prev === undefined ? 'new' : prev.state;
        const why = status.lastError ? ` (${status.lastError})` : '';
        const line = `${entry.name}: ${from} → ${status.state}${why}`;
        if (status.state === 'failed' || status.state === 'invalid') this.d.log.error(line);
        else if (status.state === 'degraded' || status.state === 'waiting-for-parent' || status.state === 'no-carrier') this.d.log.warning(line);
        else this.d.log.info(line);
      }
      next.set(entry.name, status);
    }
    const before = this.statuses;
    this.statuses = next;
    for (const name of before.keys()) if (!next.has(name)) this.emit({ what: 'network-removed', name });
    for (const [name, s] of next) {
      const prev = before.get(name);
      if (prev === undefined) this.emit({ what: 'network-added', name });
      else if (!sameStatus(prev, s)) this.emit({ what: 'network', name });
    }
    if (this.managerState !== 'starting' && this.managerState !== 'reloading' && this.managerState !== 'stopping') {
      this.setManagerState(this.healthState());
    }
    const line = summaryLine([...next.values()]);
    if (line !== this.lastStatusLine) {
      this.lastStatusLine = line;
      this.d.notifier.status(line);
    }
  }

  private healthState(): ManagerState {
    // probing is a wait for the LAN's answer, not something wrong.
    const bad = [...this.statuses.values()].some((s) => s.state !== 'configured' && s.state !== 'down' && s.state !== 'probing');
    return bad ? 'degraded' : 'running';
  }

  private becomeReady(why: string): void {
    if (this.ready || this.stopped) return;
    this.ready = true;
    if (this.readyTimer) clearTimeout(this.readyTimer);
    this.setManagerState(this.healthState());
    this.d.notifier.ready();
    this.d.log.info(`ready (${why}): ${summaryLine([...this.statuses.values()])}`);
  }

  private setManagerState(s: ManagerState): void {
    if (this.managerState === s) return;
    this.managerState = s;
    this.emit({ what: 'manager' });
  }

  private emit(c: DaemonChange): void {
    for (const l of this.listeners) {
      try { l(c); } catch (e) { this.d.log.error(`change listener failed: ${describeError(e)}`); }
    }
  }

  private async loadConfig(): Promise<void> {
    // Kernel events keep being healed with the config in force meanwhile
    // (main.ts loads reloads off the loop); the new one replaces it whole.
    const t0 = monotonicMs();
    const set = await this.d.loadConfig();
    this.d.log.debug(`drop-ins read in ${(monotonicMs() - t0).toFixed(0)} ms: ${set.networks.length} valid, ${set.invalid.length} rejected`);
    // Updated first: the holder adds what it decided (a vanished directory held).
    this.config.update(set);
    // A problem is logged when it is new, not again on every reload: the
    // journal then says when it appeared (and status shows it all along).
    const seen = new Set<string>();
    let again = 0;
    for (const diag of this.config.diagnostics()) {
      const line = formatDiagnostic(diag);
      seen.add(line);
      if (this.loggedDiagnostics.has(line)) again++;
      else if (diag.severity === 'error') this.d.log.error(line);
      else this.d.log.warning(line);
    }
    for (const line of this.loggedDiagnostics) if (!seen.has(line)) this.d.log.info(`no longer: ${line}`);
    if (again > 0) this.d.log.debug(`${again} drop-in problem${again === 1 ? '' : 's'} as before (flatnetctl check lists them)`);
    this.loggedDiagnostics = seen;
    this.configLoaded = true;
  }

  // ---- DaemonApi -------------------------------------------------------

  state(): ManagerState { return this.managerState; }
  networks(): NetworkStatus[] { return [...this.statuses.values()].map((s) => this.withEngine(s)); }
  network(name: string): NetworkStatus | undefined {
    const s = this.statuses.get(name);
    return s === undefined ? undefined : this.withEngine(s);
  }
  engines(): EngineSummary[] { return this.engineView?.engines() ?? []; }

  /** The engine's side is merged in when read: it changes without a reconcile and is never the loop's input. */
  private withEngine(s: NetworkStatus): NetworkStatus {
    return this.engineView === null ? s : { ...s, engine: this.engineView.network(s.name) };
  }

  /** The engine follower (src/engine/) publishes through the daemon; call the returned function after each change. */
  setEngineView(view: EngineView): () => void {
    this.engineView = view;
    // One change for them all: listeners re-read everything (the bus compares
    // every property); one event per network made 500 networks cost 500 full
    // re-reads per engine change (found by test/reliability/load).
    return () => this.emit({ what: 'manager' });
  }
  diagnostics(): Diagnostic[] { return this.config.diagnostics(); }

  describe(): unknown {
    return {
      version: this.version,
      state: this.managerState,
      networks: this.networks().map((s) => ({ ...s, lastChangeUSec: s.lastChangeUSec.toString(),
        ...(s.engine ? { engine: { ...s.engine, lastReattachUSec: s.engine.lastReattachUSec.toString() } } : {}) })),
      engines: this.engines(),
      diagnostics: this.diagnostics(),
      counters: this.counters,
    };
  }

  async plan(): Promise<Op[]> {
    const input = this.config.runInput([...this.downSet], this.d.machineId);
    const observed = await this.d.kernel.observe({ fresh: true });
    // The loop's own first round: what Plan lists is what the next reconcile applies.
    return planRound({ ...input, observed, ...this.lanView(input.networks, observed) }).plan.ops;
  }

  async planFiles(files: readonly CandidateFile[]): Promise<CandidatePlan> {
    checkCandidates(files);
    if (this.d.loadCandidates === undefined) throw new FlatnetError('unsupported', 'this daemon was started without a way to read its drop-ins beside candidates');
    const set = await this.d.loadCandidates(files);
    const preview = this.config.preview(set);
    const observed = await this.d.kernel.observe({ fresh: true });
    const run = preview.runInput([...this.downSet], this.d.machineId);
    const { operations, blocked } = dryRun({ entries: preview.entries(), run, observed, ...this.lanView(run.networks, observed) });
    return { operations, blocked, diagnostics: candidateDiagnostics(set.diagnostics, files.map((f) => f.path)) };
  }

  /** The shim addresses the LAN has not cleared, as the next run would leave them out (src/lan/guard.ts). */
  private lanView(networks: readonly NetworkConfig[], observed: Observed): { vetted?: NetworkConfig[] } {
    const guard = this.d.guard;
    return guard === undefined ? {} : { vetted: guard.preview(networks, observed) };
  }

  /** The config in use for an emitter, with the subnets it follows now. */
  private emitInput(name: string): { net: NetworkConfig; subnets: string[] } {
    const net: NetworkConfig | null = this.requireNetwork(name).net;
    if (net === null) throw new FlatnetError('invalid-value', `network "${name}" has an invalid drop-in and no last good version; run flatnetctl check`, { object: name });
    return { net, subnets: followedSubnets(net, this.lastObserved) };
  }

  /** One scan at a time: a scan is ARP traffic on someone's LAN. */
  private scanning = false;

  async probe(name: string, force: boolean): Promise<ScanReport> {
    const scan = this.d.scan;
    const net = this.requireNetwork(name).net;
    if (scan === undefined) throw new FlatnetError('unsupported', 'this flatnetd does not scan the LAN (started with --no-arp-probe)', { object: name });
    if (net === null) throw new FlatnetError('invalid-value', `network "${name}" has an invalid drop-in and no last good version; run flatnetctl check`, { object: name });
    if (this.scanning) throw new FlatnetError('conflict', 'a scan is already running; try again when it is done', { object: name });
    this.scanning = true;
    try {
      const plan = planScan(net, await this.d.kernel.observe({ fresh: true }), force);
      if ('code' in plan) throw new FlatnetError(plan.code === 'too-large' ? 'invalid-value' : 'unsupported', plan.message, { object: name });
      this.d.log.info(`${name}: scanning ${plan.targets.length} address${plan.targets.length === 1 ? '' : 'es'} on the LAN (flatnetctl probe)`);
      return await scan(plan);
    } finally {
      this.scanning = false;
    }
  }

  dockerArgs(name: string): string[] {
    const { net, subnets } = this.emitInput(name);
    return dockerNetworkCreateArgs(net, subnets);
  }

  podmanArgs(name: string): string[] {
    const { net, subnets } = this.emitInput(name);
    return podmanNetworkCreateArgs(net, subnets);
  }

  cniConfig(name: string): string {
    const { net, subnets } = this.emitInput(name);
    return JSON.stringify(cniConflist(net, subnets), null, 2);
  }

  routerHints(name: string, router: string): string {
    const { net, subnets } = this.emitInput(name);
    return routerHints(net, subnets, router);
  }

  /** Reloads one after another: a load takes a while (on a worker), and two
   *  at once could swap in the older drop-ins last. */
  reload(): Promise<void> {
    const next = this.reloads.then(() => this.reloadNow());
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<void> {
    this.setManagerState('reloading');
    this.d.notifier.reloading();
    this.d.log.info('reloading drop-ins');
    this.downSet.clear();
    await this.loadConfig();
    await this.request();
    this.setManagerState(this.healthState());
    this.d.notifier.ready();
  }

  /** Returns once the probes this run started have answered and what they
   *  freed is assigned: `flatnetctl reconcile` then shows the outcome. */
  async reconcile(): Promise<void> {
    const asked = this.d.guard?.probes ?? 0;
    await this.request();
    await this.lanAnswered(asked);
  }

  private async lanAnswered(askedBefore: number): Promise<void> {
    const guard = this.d.guard;
    if (guard === undefined || guard.probes === askedBefore) return;
    await guard.settled();
    await this.request(false);
  }

  async up(name: string): Promise<void> {
    this.requireNetwork(name);
    if (this.downSet.delete(name)) {
      this.d.log.info(`${name}: up requested`);
      this.config.forgetConfigured(name);
    }
    const asked = this.d.guard?.probes ?? 0;
    await this.request();
    await this.lanAnswered(asked);
  }

  async down(name: string): Promise<void> {
    this.requireNetwork(name);
    if (!this.downSet.has(name)) this.d.log.info(`${name}: down requested; removing the links flatnetd made for it`);
    this.downSet.add(name);
    await this.request();
  }

  onChange(listener: (c: DaemonChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What the engine side compares and creates from: the drop-in, its subnets, the docker-args argv. */
  engineDeclaration(name: string): { net: NetworkConfig; subnets: string[]; createArgs: string[] } | null {
    const net = this.networkConfig(name);
    if (net === null) return null;
    const subnets = followedSubnets(net, this.lastObserved);
    return { net, subnets, createArgs: dockerNetworkCreateArgs(net, subnets) };
  }

  /** The drop-in in force for a network (its last good version when invalid), or null. */
  networkConfig(name: string): NetworkConfig | null {
    return this.config.entry(name)?.net ?? null;
  }

  private requireNetwork(name: string): { net: NetworkConfig | null } {
    const e = this.config.entry(name);
    if (e === undefined) throw new FlatnetError('not-found', `no network named "${name}" (see flatnetctl list)`, { object: name });
    return e;
  }
}
