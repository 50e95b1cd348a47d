// The iproute2 backend's event-fed view: the last full observation, kept
// true by looking again only at the links the kernel's events (and our own
// writes) touched. With hundreds of networks a heal was almost all full
// dumps of every link, where one link's dumps cost next to nothing.
//
// Pure bookkeeping, no I/O: iproute2.ts does the dumps. The view is trusted
// only while every change since the full dump it grew from is known to have
// come through the monitor:
// - the full dump began after the monitor printed a line (it was listening);
// - the monitor has not restarted, said anything on stderr (an overrun), or
//   printed a line that cannot be tied to links since;
// - no apply failed since (a refusal can mean the view was wrong);
// - no link was renamed by someone else (ip monitor keeps printing a renamed
//   link's old name in address and route lines, so names stop being trustworthy).
// Anything else starts again from a full dump, the path every observe took
// before; boot, reloads, D-Bus calls and retries always take it.

import type { Observed, ObservedLink } from '../model/observed.js';
import type { MonitorTouch } from './parse.js';

/** Past this many links to look at again, one full dump is cheaper. */
export const SCOPED_MAX_LINKS = 16;
/** Below this many links a full dump through the living session costs no more
 *  than a scoped look, which needs an ip of its own (bench/ measures both sides
 *  of the line: docs/benchmarks.md). */
export const VIEW_MIN_LINKS = 100;

/** What a scoped look must dump: each link by the name to ask ip for. */
export interface ScopedLook {
  names: string[];
  /** ifindexes touched: each is dropped from the view unless a dump brings it back. */
  ifindexes: number[];
}

/** What ip answered for the looked-at names (links absent from it are gone). */
export type ScopedAnswer = Pick<Observed, 'links' | 'addresses' | 'routes'>;

export class ObservedCache {
  readonly #minLinks: number;
  #view: Observed | null = null;
  /** The view's ifindexes by name. */
  #indexOf = new Map<string, number>();
  #why = 'no full dump yet';
  /** The current monitor has printed at least one line: it is listening. */
  #heard = false;
  /** Since the last beginFull(), a line came that cannot be tied to links. */
  #tainted = false;
  /** ifindex → the newest name a link line gave it (null: ask by the view's name). */
  readonly #dirty = new Map<number, string | null>();
  /** Names to look at: links our writes touched, devices route events named. */
  readonly #dirtyNames = new Set<string>();
  /** Names links had before a rename, in this monitor's life (ip keeps printing them). */
  readonly #renamedFrom = new Set<string>();
  /** Each link's last known name, kept with or without a view so that renames are always seen. */
  readonly #names = new Map<number, string>();

  constructor(minLinks = VIEW_MIN_LINKS) {
    this.#minLinks = minLinks;
  }

  /** Why the next observe is a full one, or null when the view serves. */
  get staleBecause(): string | null {
    if (this.#view === null) return this.#why;
    return this.#view.links.length < this.#minLinks ? `fewer than ${this.#minLinks} links: a full dump costs no more` : null;
  }

  disarm(why: string): void {
    this.#why = why;
    this.#view = null;
  }

  /** A new monitor process: nothing it missed is known. */
  monitorStarted(): void {
    this.#heard = false;
    this.#renamedFrom.clear();
    this.#names.clear();
    this.disarm('the event monitor (re)started');
  }

  /** One monitor line. Marks are kept with or without a view: a line that
   *  comes while a full dump is under way may or may not be in it. */
  heard(touch: MonitorTouch): void {
    this.#heard = true;
    switch (touch.what) {
      case 'unknown':
        this.#distrust('an event that names no link');
        return;
      case 'address':
        if (!this.#dirty.has(touch.ifindex)) this.#dirty.set(touch.ifindex, null);
        return;
      case 'link': {
        const before = this.#names.get(touch.ifindex);
        this.#rememberName(touch);
        if (before !== undefined && before !== touch.name) {
          this.#distrust(`link ${before} renamed to ${touch.name}`);
          return;
        }
        this.#dirty.set(touch.ifindex, touch.name);
        return;
      }
      case 'route':
        // Looked at by name: a route line carries no ifindex.
        for (const dev of touch.devs) {
          if (this.#renamedFrom.has(dev)) {
            this.#distrust(`a route event names ${dev}, a name ip may still print for a renamed link`);
            return;
          }
          this.#dirtyNames.add(dev);
        }
    }
  }

  /** Neither the view nor a full dump under way can be trusted. */
  #distrust(why: string): void {
    this.#tainted = true;
    this.disarm(why);
  }

  #rememberName(touch: { ifindex: number; name: string; deleted: boolean }): void {
    const before = this.#names.get(touch.ifindex);
    if (before !== undefined && before !== touch.name) this.#renamedFrom.add(before);
    if (touch.deleted) this.#names.delete(touch.ifindex);
    else this.#names.set(touch.ifindex, touch.name);
  }

  /** ifindex by name, as the view has them (read-only; replaced, never changed, by the next look). */
  ifindexByName(): ReadonlyMap<string, number> {
    return this.#indexOf;
  }

  /** Links our own writes named (made, changed, removed, given addresses or routes). */
  wrote(names: Iterable<string>): void {
    for (const n of names) this.#dirtyNames.add(n);
  }

  /** A full dump is about to start: returns whether its result may become the
   *  view (the monitor was listening before it began). Clears what it covers. */
  beginFull(): boolean {
    this.#dirty.clear();
    this.#dirtyNames.clear();
    this.#tainted = false;
    return this.#heard;
  }

  /** The result of a full dump begun with beginFull(). */
  storeFull(o: Observed, trusted: boolean): void {
    if (!trusted) {
      this.disarm('the event monitor had not been heard from when the dump began');
      return;
    }
    if (this.#tainted) return; // disarmed already, with the reason
    this.#set(o, o.links);
  }

  /** Observations are never changed once made (the planner's index relies on
   *  it too): the view and the caller share one. */
  #set(view: Observed, learned: readonly ObservedLink[]): void {
    this.#view = view;
    this.#indexOf = new Map(view.links.map((l) => [l.name, l.ifindex]));
    for (const l of learned) this.#rememberName({ ifindex: l.ifindex, name: l.name, deleted: false });
  }

  /** What to dump for a scoped look, clearing the marks it covers; null when
   *  there is no view or so much changed that a full dump is cheaper. */
  beginScoped(): ScopedLook | null {
    const view = this.#view;
    if (view === null || view.links.length < this.#minLinks) return null;
    const names = new Set(this.#dirtyNames);
    const ifindexes: number[] = [];
    for (const [ifindex, name] of this.#dirty) {
      ifindexes.push(ifindex);
      const now = name ?? this.#names.get(ifindex);
      // An address event for a link never named (no link line, not in a dump): look at everything.
      if (now === undefined) return null;
      names.add(now);
    }
    if (names.size > SCOPED_MAX_LINKS) return null;
    this.#dirty.clear();
    this.#dirtyNames.clear();
    return { names: [...names], ifindexes };
  }

  /** The view with the looked-at links replaced by what ip answered; null when
   *  the view was given up while ip was answering (then a full dump must do). */
  applyScoped(look: ScopedLook, answer: ScopedAnswer, peerNamespaces: number): Observed | null {
    const view = this.#view;
    if (view === null) return null;
    // Out: every touched ifindex, every link now holding a looked-at name, and
    // every link the answer brings (same ifindex, maybe a new name).
    const out = new Set<number>(look.ifindexes);
    const names = new Set(look.names);
    for (const n of names) {
      const ifindex = this.#indexOf.get(n);
      if (ifindex !== undefined) out.add(ifindex);
    }
    for (const l of answer.links) out.add(l.ifindex);
    const next: Observed = {
      links: [...view.links.filter((l) => !out.has(l.ifindex)), ...answer.links],
      addresses: [...view.addresses.filter((a) => !out.has(a.ifindex)), ...answer.addresses],
      routes: [...view.routes.filter((r) => !out.has(r.ifindex)), ...answer.routes],
      peerNamespaces,
    };
    this.#set(next, answer.links);
    return next;
  }
}
