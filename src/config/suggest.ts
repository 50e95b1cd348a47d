// "Did you mean …?" for a mistyped key or section: the nearest known name by
// edit distance, case ignored, offered only when it is close enough to be
// the likely intent (a third of the name's length, at least 1, at most 3).

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  // Names differing in length by more than any limit nearest() uses are far:
  // a long junk key costs nothing, not a matrix per known name.
  if (Math.abs(x.length - y.length) > 3) return Math.abs(x.length - y.length);
  const rows: number[][] = [];
  for (let i = 0; i <= x.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= y.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const up = rows[i - 1] ?? [];
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let d = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[x.length]?.[y.length] ?? Math.max(x.length, y.length);
}

/** The known name nearest to `name`, or null when none is near enough. */
export function nearest(name: string, known: readonly string[]): string | null {
  if (name.length > 40) return null;
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return bestD <= limit ? best : null;
}

/** What a link needs to be named as a possible parent: `ObservedLink`'s fields that matter here. */
export interface LinkLike {
  name: string;
  kind: string | null;
  mac: string;
  alias: string | null;
}

/** Kinds that can carry macvlan, ipvlan or a VLAN, and are not made per container. */
const PARENT_KINDS = new Set(['bond', 'bridge', 'team', 'vlan', 'veth']);

/**
 * The interfaces a Parent= may mean, sorted: NICs, bonds, bridges, VLANs,
 * veths; not the loopback, not flatnetd's own links, not the host ends of
 * container veths (`veth1a2b3c`, which come and go with containers and would
 * make a message that names them change with every container).
 */
export function parentCandidates(links: readonly LinkLike[]): string[] {
  return links
    .filter((l) => l.mac !== '00:00:00:00:00:00' && !(l.alias ?? '').startsWith('flatnet:'))
    .filter((l) => l.kind === null || (PARENT_KINDS.has(l.kind) && !(l.kind === 'veth' && /^veth[0-9a-f]/.test(l.name))))
    .map((l) => l.name)
    .sort();
}
