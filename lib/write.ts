import type { AxiosResponse } from 'axios';
import { askUser, storeError, writeEntries, type CacheContext, type RequestState } from './context.js';
import { encodeEntry, type Entry } from './entry.js';
import type { CacheKeys } from './key.js';
import type { RequestPolicy } from './options.js';
import { cacheableBy, isCacheableResponse } from './policy.js';
import type { CacheStoreEntry } from './types.js';

/**
 * Writes both tiers in one store call: primary for ttl (plus the stale-while-revalidate window,
 * in which a primary entry is answered while it is refreshed), stale for staleTtl.
 */
export function writeTiers(ctx: CacheContext, keys: CacheKeys, policy: RequestPolicy, entry: Entry): void {
  let encoded: Uint8Array;
  try {
    encoded = encodeEntry(entry, entry.storedAt);
  } catch (error) {
    storeError(ctx, 'encode', keys.primary, error);
    return;
  }
  if (encoded.byteLength > ctx.opts.maxEntryBytes) return;
  const entries: CacheStoreEntry[] = [];
  if (policy.ttl > 0) entries.push({ key: keys.primary, value: encoded, ttl: policy.ttl + policy.staleWhileRevalidate });
  if (policy.staleTtl > 0) entries.push({ key: keys.stale, value: encoded, ttl: policy.staleTtl });
  writeEntries(ctx, entries);
}

/** Stores a fresh answer once axios has transformed it, if isCacheable accepts the final response. */
export function storeAnswer(ctx: CacheContext, response: AxiosResponse, pending: NonNullable<RequestState['pending']>): void {
  const { entry } = pending;
  const cacheable = ctx.opts.isCacheable === isCacheableResponse
    ? cacheableBy(entry.status, entry.headers['cache-control']) // the snapshot's names are lower-cased already
    : askUser(ctx, 'isCacheable', pending.keys.primary, ctx.opts.isCacheable, response);
  if (cacheable) {
    writeTiers(ctx, pending.keys, pending.policy, pending.entry);
  }
}
