// Results of pure functions of a text, kept across reconciles: the planner asks
// about the same few hundred prefixes and networks every run.

/** Entries a cache may hold before it is emptied: far more than any host's
 *  prefixes or networks, so in practice it never is. */
export const MEMO_MAX = 8192;

/** `m.get(key)`, or `make(key)` remembered. Pass a plain function where the
 *  call is hot (no closure per call: at 500 networks thousands a run). */
export function memo<T>(m: Map<string, T>, key: string, make: (key: string) => T): T {
  let v = m.get(key);
  if (v === undefined) {
    if (m.size >= MEMO_MAX) m.clear();
    v = make(key);
    m.set(key, v);
  }
  return v;
}
