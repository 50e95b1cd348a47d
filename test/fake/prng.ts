// A small seeded PRNG (mulberry32) so a failing random case can be replayed
// exactly: tests print the seed, FLATNET_SEED=<n> runs that seed again.

export interface Rng {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** 0 ≤ n < max */
  int(max: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  /** A random subset, in the original order. */
  subset<T>(xs: readonly T[], p?: number): T[];
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    pick: <T>(xs: readonly T[]): T => {
      const x = xs[int(xs.length)];
      if (x === undefined) throw new Error('pick from an empty list');
      return x;
    },
    chance: (p) => next() < p,
    subset: <T>(xs: readonly T[], p = 0.5): T[] => xs.filter(() => next() < p),
  };
}

/** FLATNET_SEED from the environment, or a fresh one. */
export function seedFromEnv(): number {
  const env = process.env['FLATNET_SEED'];
  if (env !== undefined && /^\d+$/.test(env)) return Number(env);
  return Math.floor(Math.random() * 2 ** 31);
}
