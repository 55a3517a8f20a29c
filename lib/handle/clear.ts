import type { CacheContext } from '../flow/context.js';
import { parseDuration } from '../duration.js';
import { storeCall } from '../flow/store-io.js';
import { MAX_TIMER_MS } from '../options.js';
import type { ClearOptions } from '../types.js';

const DEFAULT_CLEAR_TIMEOUT = 30_000;

/**
 * Removes every entry under this cache's two prefixes, in its store (every master of a Cluster), for
 * every process sharing it; writes of requests already in flight are dropped. Bounded by
 * `timeout`: rejects when the store is down, slower, or cannot list its keys (no CacheStore.clear).
 */
export async function clear(ctx: CacheContext, options: ClearOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('axios-stale-cache: clear() options must be an object');
  const given = options.timeout ?? DEFAULT_CLEAR_TIMEOUT;
  const timeout = typeof given === 'string' ? parseDuration(given) : given;
  if (timeout === undefined || !Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_TIMER_MS) {
    throw new TypeError(
      `axios-stale-cache: clear() options.timeout must be an integer from 1 to 2147483647 (milliseconds) or a duration such as '30s', got ${String(given)}`,
    );
  }
  const { store, primaryKeyPrefix, staleKeyPrefix } = ctx.opts;
  const clearStore = store.clear?.bind(store);
  if (!clearStore) throw new Error('axios-stale-cache: this store cannot list its keys (it has no clear(prefixes))');
  ctx.invalidations.invalidateAll();
  // `<prefix>:{`: every key of this cache (entries, indexes, tags), and none of a cache whose prefix
  // merely begins with this one's (`api` and `api:v2`).
  const prefixes = [`${primaryKeyPrefix}:{`, `${staleKeyPrefix}:{`];
  await storeCall(ctx, { op: 'clear', key: undefined, keys: 0, bytes: 0 }, () => clearStore(prefixes), timeout);
}
