// The order networks are listed in (the journal's lines of a run, ListNetworks,
// the status pass): the order `localeCompare` gives names in the root
// collation, which puts `lan`, `Lan`, `LAN2` together as people expect, but
// computed here for the characters a Name= may hold ([A-Za-z0-9_.-]). Asking
// ICU costs a collator's start-up on the way to READY=1 and a call per
// comparison, and its order follows the locale the daemon happens to run
// under; this one is the same everywhere.

/** Primary weight of a name character (root collation: punctuation `_ - .`,
 *  then digits, then letters whatever their case); 0 = not a name character. */
const WEIGHT = new Uint8Array(128);
WEIGHT[95] = 1; // _
WEIGHT[45] = 2; // -
WEIGHT[46] = 3; // .
for (let c = 48; c <= 57; c++) WEIGHT[c] = c - 48 + 10;
for (let c = 97; c <= 122; c++) WEIGHT[c] = WEIGHT[c - 32] = c - 97 + 20;

const weight = (c: number): number => (c < 128 ? WEIGHT[c] ?? 0 : 0);

/**
 * Names as `a.localeCompare(b)` orders them in the root (and English)
 * collation: character by character on the primary weights, shorter first
 * when one is the start of the other, and only when all of that is equal,
 * the first difference in case decides (lowercase first). A name with any
 * other character (a broken drop-in is listed under its file's stem) is left
 * to the collator, as before.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  let byCase = 0;
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    const wa = weight(ca);
    const wb = weight(cb);
    if (wa === 0 || wb === 0) return a.localeCompare(b);
    if (wa !== wb) return wa - wb;
    if (byCase === 0 && ca !== cb) byCase = ca > cb ? -1 : 1; // 'a' (97) before 'A' (65)
  }
  const longer = a.length > b.length ? a : b;
  // A character the collator ignores would make the longer one equal, not after.
  for (let i = common; i < longer.length; i++) if (weight(longer.charCodeAt(i)) === 0) return a.localeCompare(b);
  if (a.length !== b.length) return a.length - b.length;
  return byCase;
}
