// The open-file limit flatnetd needs, checked before the rest of the daemon
// is loaded: Node's module loader opens many files at once, and with
// `ulimit -n 20` the daemon died in it with a raw stack trace (issue 12.9).
// Node raises the soft limit to the hard one at start, so the soft limit in
// /proc/self/limits is what the daemon has.
//
// What it uses (measured): about 30 at rest (Node's own ~10; the living `ip`
// that answers dumps, the writer and looker started ahead, the kernel event
// monitor: two to three pipes each; inotify; D-Bus), a few more while it
// applies a change (a new `ip` is started ahead) or reloads (a worker thread
// reads the drop-ins). Twice that, so a busy moment never meets EMFILE.

import { readFileSync } from 'node:fs';

export const MIN_OPEN_FILES = 64;

/** The soft "Max open files" of /proc/self/limits; null when it cannot be read or is unlimited. */
export function openFilesLimit(limitsText: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText);
  return m?.[1] === undefined || m[1] === 'unlimited' ? null : Number(m[1]);
}

/** One readable line when the limit is too low, else null. */
export function fdLimitProblem(limitsText: string): string | null {
  const limit = openFilesLimit(limitsText);
  if (limit === null || limit >= MIN_OPEN_FILES) return null;
  return `the open-file limit is ${limit} (ulimit -n, LimitNOFILE=); flatnetd needs at least ${MIN_OPEN_FILES}: `
    + 'about 30 at rest (the ip processes it keeps running, the kernel event monitor, inotify, D-Bus) and more while it applies a change or reloads';
}

export function checkOwnFdLimit(): string | null {
  try {
    return fdLimitProblem(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null; // no /proc: nothing to say, the daemon tries
  }
}
