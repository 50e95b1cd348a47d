// A monotonic clock in milliseconds, for debounces and durations. Not
// performance.now(): the first touch of the `performance` global loads
// perf_hooks and seven internal modules of Node (about 2 ms of CPU on the way
// to READY=1), for nothing but a number hrtime gives directly.

export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
