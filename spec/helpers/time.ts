/** The one sleep of the suite. Prefer ordering assertions to elapsed-time ones: a loaded CI machine is slow. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves once `condition` holds (checked every 5 ms), or rejects after `ms`: for "the server has seen it". */
export async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  // Counted in turns, not read off a clock: a test may have faked Date and performance.
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(5);
  }
}

/** Tracks whether a promise has settled yet: for "answered before X happened" assertions. */
export function settledFlag(promise: Promise<unknown>): () => boolean {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return () => settled;
}

/**
 * A fake clock that leaves timers real: Date and performance.now are the test's to move, while
 * sockets, server delays and store bounds keep running on real time. For "once the ttl is over"
 * without sleeping through it. Restore it in afterEach.
 */
export function fakeClock(): { advance(ms: number): void; restore(): void } {
  jest.useFakeTimers({
    doNotFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'nextTick',
      'queueMicrotask',
      'hrtime',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
    ],
  });
  jest.advanceTimersByTime(1); // lru-cache reads a start time of 0 as "no ttl"
  return { advance: (ms) => jest.advanceTimersByTime(ms), restore: () => jest.useRealTimers() };
}
