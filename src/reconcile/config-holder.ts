// The drop-ins as the loop uses them: the current valid configs, the last good
// version of a network whose drop-in just broke (its links are kept and healed
// with it, never torn down), and networks frozen because they never had one.

import type { Diagnostic } from '../errors.js';
import type { ConfigSet } from '../config/load.js';
import type { NetworkConfig } from '../model/config.js';
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

export class ConfigHolder {
  private set: ConfigSet = { networks: [], invalid: [], diagnostics: [] };
  private readonly lastGood = new Map<string, NetworkConfig>();
  private readonly configured = new Map<string, string>();
  /** entries(), built once per update(): the status pass asks for one entry per network. */
  private built: { list: ConfigEntry[]; byName: Map<string, ConfigEntry> } | null = null;

  update(loaded: ConfigSet): void {
    // A directory that cannot be listed (permissions, I/O error) hides its
    // drop-ins; its networks are held as they were, never taken as deleted.
    const unlisted = loaded.diagnostics
      .filter((d) => d.code === 'unreadable' && d.file !== undefined && d.message.startsWith('cannot list the directory'))
      .map((d) => `${d.file ?? ''}/`);
    const held = [...this.lastGood.values()]
      .filter((n) => unlisted.some((dir) => n.file.startsWith(dir)))
      .filter((n) => !loaded.networks.some((m) => m.name === n.name) && !loaded.invalid.some((i) => i.name === n.name))
      .map((n) => ({ name: n.name, file: n.file }));
    const set: ConfigSet = held.length === 0 ? loaded : { ...loaded, invalid: [...loaded.invalid, ...held] };
    this.set = set;
    const names = new Set([...set.networks.map((n) => n.name), ...set.invalid.map((i) => i.name)]);
    for (const name of [...this.lastGood.keys()]) if (!names.has(name)) this.lastGood.delete(name);
    for (const n of set.networks) this.lastGood.set(n.name, n);
    this.built = null;
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
      if (out.some((e) => e.name === inv.name)) continue;
      const errors = this.set.diagnostics.filter((d) => d.severity === 'error' && d.file === inv.file);
      out.push({ name: inv.name, file: inv.file, net: this.lastGood.get(inv.name) ?? null, errors });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
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
    if (n) this.configured.set(name, fingerprint(n));
  }

  forgetConfigured(name: string): void {
    this.configured.delete(name);
  }

  /** The network was configured before with exactly the config in use now. */
  unchangedSinceConfigured(name: string): boolean {
    const n = this.entry(name)?.net;
    return n !== null && n !== undefined && this.configured.get(name) === fingerprint(n);
  }
}
