// Medians and spreads. Percentiles interpolate linearly between order
// statistics (numpy's default), so p99 of 200 samples sits between the two
// slowest but one.

export interface Summary {
  n: number;
  median: number;
  p25: number;
  p75: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const sum = s.reduce((a, b) => a + b, 0);
  return {
    n: s.length,
    median: percentile(s, 0.5),
    p25: percentile(s, 0.25),
    p75: percentile(s, 0.75),
    p99: percentile(s, 0.99),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

/** Per-round ratios a[i]/b[i] (A and B measured back to back in round i). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && y > 0) out.push(x / y);
  }
  return out;
}

/**
 * Growth exponent k in t ∝ N^k between two sizes: 1 is linear, 2 quadratic.
 * Fixed costs (node's start-up) pull it below 1 at small N.
 */
export function growthExponent(n1: number, t1: number, n2: number, t2: number): number {
  if (!(t1 > 0 && t2 > 0 && n2 > n1)) return NaN;
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
