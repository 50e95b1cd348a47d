// The drop-ins as the loop uses them: the current valid configs, the last good
// version of a network whose drop-in just broke (its links are kept and healed
// with it, never torn down), and networks frozen because they never had one.

import type { Diagnostic } from '../errors.js';
import type { ConfigSet } from '../config/load.js';
import type { NetworkConfig } from '../model/config.js';
import { compareNames } from '../model/name-order.js';
import type { RunInput } from './run.js';

export interface ConfigEntry {
  name: string;
  file: string;
  /** The config in use: current, or last good; null = invalid with nothing to hold to. */
  net: NetworkConfig | null;
  /** Errors in the drop-in as it is now. */
  errors: Diagnostic[];
}

/** Configs are never changed once loaded: one JSON text each. */
const fingerprints = new WeakMap<NetworkConfig, string>();

function fingerprint(n: NetworkConfig): string {
  let f = fingerprints.get(n);
  if (f === undefined) {
    f = JSON.stringify({ ...n, where: undefined });
    fingerprints.set(n, f);
  }
  return f;
}

/**
 * A drop-in's identity: its name within the config directories. An override
 * in /etc and the vendor's file in /usr/lib of the same name are one drop-in
 * (the first hides the other), and a broken file is still the same drop-in
 * whatever its Name= now says (truncated, it says nothing).
 */
export function dropInName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

export class ConfigHolder {
  private set: ConfigSet = { networks: [], invalid: [], diagnostics: [] };
  /** By drop-in name (dropInName), never by the network's Name=. */
  private readonly lastGood = new Map<string, NetworkConfig>();
  /** The config each network was last configured with (compared by fingerprint() only when it is another object). */
  private readonly configured = new Map<string, NetworkConfig>();
  /** Config directories listed at least once in this run of the daemon. */
  private readonly listedDirs = new Set<string>();
  /** entries(), built once per update(): the status pass asks for one entry per network. */
  private built: { list: ConfigEntry[]; byName: Map<string, ConfigEntry> } | null = null;

  update(loaded: ConfigSet): void {
    const set = this.#holdHiddenDirs(loaded);
    this.set = set;
    const present = new Set([...set.networks.map((n) => dropInName(n.file)), ...set.invalid.map((i) => dropInName(i.file))]);
    for (const key of [...this.lastGood.keys()]) if (!present.has(key)) this.lastGood.delete(key);
    for (const n of set.networks) this.lastGood.set(dropInName(n.file), n);
    this.built = null;
  }

  /** The holder as update(loaded) would leave it, this one unchanged: what a
   *  dry run of candidate drop-ins plans with (last good versions included). */
  preview(loaded: ConfigSet): ConfigHolder {
    const h = new ConfigHolder();
    for (const [key, n] of this.lastGood) h.lastGood.set(key, n);
    for (const dir of this.listedDirs) h.listedDirs.add(dir);
    h.update(loaded);
    return h;
  }

  /**
   * A directory that cannot be listed (permissions, I/O error) hides its
   * drop-ins, and one that was listed before in this run and is now missing or
   * not a directory is far more likely an accident (a mount in progress, a
   * slip with rm or mv) than a wish to remove every network: their networks
   * are held as they were, never taken as deleted. Whoever wants none empties
   * the directory or masks the files.
   */
  #holdHiddenDirs(loaded: ConfigSet): ConfigSet {
    const hidden: string[] = [];
    const notes: Diagnostic[] = [];
    for (const d of loaded.dirs ?? []) {
      if (d.state === 'listed') this.listedDirs.add(d.dir);
      else if (d.state === 'unlistable') hidden.push(d.dir);
      else if (this.listedDirs.has(d.dir)) hidden.push(d.dir);
    }
    const taken = new Set([...loaded.networks.map((n) => dropInName(n.file)), ...loaded.invalid.map((i) => dropInName(i.file))]);
    const held = [...this.lastGood.entries()]
      .filter(([key, n]) => !taken.has(key) && hidden.some((dir) => n.file.startsWith(`${dir}/`)))
      .map(([, n]) => ({ name: n.name, file: n.file }));
    for (const d of loaded.dirs ?? []) {
      if (!hidden.includes(d.dir) || d.state === 'unlistable') continue;
      const mine = held.filter((h) => h.file.startsWith(`${d.dir}/`)).map((h) => h.name);
      const what = d.state === 'missing' ? 'is gone' : 'is no longer a directory';
      notes.push({
        severity: 'warning', code: 'unreadable', file: d.dir,
        message: `the config directory ${what}; ${mine.length === 0 ? 'nothing was configured from it' : `keeping ${mine.join(', ')} as ${mine.length === 1 ? 'it was' : 'they were'}`} until it is back (to remove networks, empty it or mask their drop-ins)`,
      });
    }
    if (held.length === 0 && notes.length === 0) return loaded;
    return { ...loaded, invalid: [...loaded.invalid, ...held], diagnostics: [...notes, ...loaded.diagnostics] };
  }

  entries(): ConfigEntry[] {
    return [...this.#built().list];
  }

  #built(): { list: ConfigEntry[]; byName: Map<string, ConfigEntry> } {
    if (this.built === null) {
      const list = this.#build();
      this.built = { list, byName: new Map(list.map((e) => [e.name, e])) };
    }
    return this.built;
  }

  #build(): ConfigEntry[] {
    const out: ConfigEntry[] = this.set.networks.map((n) => ({ name: n.name, file: n.file, net: n, errors: [] }));
    for (const inv of this.set.invalid) {
      // The last good version of this drop-in, under the name it had then.
      const net = this.lastGood.get(dropInName(inv.file)) ?? null;
      const name = net?.name ?? inv.name;
      if (out.some((e) => e.name === name)) continue;
      // Its own errors, or what hides its directory.
      // (A file that became a directory is only a warning for the loader, but
      // the network runs on its last good version all the same.)
      const errors = this.set.diagnostics.filter((d) => ((d.severity === 'error' || d.code === 'unreadable') && d.file === inv.file)
        || (d.code === 'unreadable' && d.file !== undefined && inv.file.startsWith(`${d.file}/`)));
      out.push({ name, file: inv.file, net, errors });
    }
    return out.sort((a, b) => compareNames(a.name, b.name));
  }

  entry(name: string): ConfigEntry | undefined {
    return this.#built().byName.get(name);
  }

  runInput(down: string[], machineId: string): RunInput {
    const entries = this.entries();
    return {
      networks: entries.flatMap((e) => (e.net === null ? [] : [e.net])),
      frozen: entries.filter((e) => e.net === null).map((e) => e.name),
      down,
      machineId,
    };
  }

  diagnostics(): Diagnostic[] {
    return this.set.diagnostics;
  }

  markConfigured(name: string): void {
    const n = this.entry(name)?.net;
    if (n) this.configured.set(name, n);
  }

  forgetConfigured(name: string): void {
    this.configured.delete(name);
  }

  /** The network was configured before with exactly the config in use now. */
  unchangedSinceConfigured(name: string): boolean {
    const n = this.entry(name)?.net;
    if (n === null || n === undefined) return false;
    // The same object on every run until the drop-ins are read again: the
    // text of a config is made only then, not for every network at every start.
    const was = this.configured.get(name);
    return was !== undefined && (was === n || fingerprint(was) === fingerprint(n));
  }
}
