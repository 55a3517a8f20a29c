import type { StaleCacheMeta } from '../types.js';

/**
 * The cache's metadata of an answer of an attached instance: a response, or an error (with a response
 * or without: a network failure, on which it is `error.staleCache`), typed without `!` or `?.`. Throws a TypeError for one that did not
 * come through an attached instance, which is a mistake worth hearing about.
 */
export function cacheMeta(answer: unknown): StaleCacheMeta {
  if (answer !== null && typeof answer === 'object') {
    const own = (answer as { staleCache?: StaleCacheMeta }).staleCache;
    if (own) return own;
    const response = (answer as { response?: { staleCache?: StaleCacheMeta } }).response;
    if (response?.staleCache) return response.staleCache;
  }
  throw new TypeError(
    'axios-stale-cache: cacheMeta() takes a response or an error of an instance attachStaleCache() was given',
  );
}
