import type { CacheContext } from '../flow/context.js';
import { storeCall } from '../flow/store-io.js';
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
  const timeout = options.timeout ?? DEFAULT_CLEAR_TIMEOUT;
  if (!Number.isSafeInteger(timeout) || timeout < 1) {
    throw new TypeError(
      `axios-stale-cache: clear() options.timeout must be an integer >= 1 (milliseconds), got ${String(timeout)}`,
    );
  }
  const { store, primaryKeyPrefix, staleKeyPrefix } = ctx.opts;
  const clearStore = store.clear?.bind(store);
  if (!clearStore) throw new Error('axios-stale-cache: this store cannot list its keys (it has no clear(prefixes))');
  ctx.invalidations.invalidateAll();
  const prefixes = [`${primaryKeyPrefix}:`, `${staleKeyPrefix}:`];
  await storeCall(ctx, { op: 'clear', key: undefined, keys: 0, bytes: 0 }, () => clearStore(prefixes), timeout);
}
