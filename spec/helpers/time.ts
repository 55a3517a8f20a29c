/** The one sleep of the suite. Prefer ordering assertions to elapsed-time ones: a loaded CI machine is slow. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
