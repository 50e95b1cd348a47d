// JSON for the bus and the CLI: bigint (LastChangeUSec, kernel counters) as a
// number when it is exact, else as a decimal string; never throws on it.

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = BigInt(Number.MIN_SAFE_INTEGER);

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value >= MIN && value <= MAX ? Number(value) : value.toString();
  return value;
}

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replacer, indent) ?? 'null';
}
