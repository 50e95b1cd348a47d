// Coalesce a burst of triggers (an editor writing a file in several steps,
// 100 edits in a second) into one call after things have been quiet for `ms`,
// but never later than `maxMs` after the first trigger.

export interface Debounced {
  trigger(): void;
  cancel(): void;
}

export function debounce(fn: () => void, ms: number, maxMs: number = ms * 10): Debounced {
  let timer: NodeJS.Timeout | undefined;
  let first = 0;
  const fire = (): void => {
    timer = undefined;
    first = 0;
    fn();
  };
  return {
    trigger(): void {
      const now = Date.now();
      if (first === 0) first = now;
      if (timer) clearTimeout(timer);
      const wait = Math.max(0, Math.min(ms, first + maxMs - now));
      timer = setTimeout(fire, wait);
    },
    cancel(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      first = 0;
    },
  };
}
