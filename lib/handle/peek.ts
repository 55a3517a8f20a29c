import type { AxiosInstance } from 'axios';
import { decodeEntry, type Entry } from '../entry/codec.js';
import type { CacheContext } from '../flow/context.js';
import { storeCall } from '../flow/store-io.js';
import { ageOf, evaluate, lifetime, mayServeStale, NO_DIRECTIVES, staleLeft } from '../http/freshness.js';
import type { CachePeek, InvalidateTarget, StoredValue } from '../types.js';
import { resolveTarget } from './target.js';

/** A tier's entry for these keys, or null (absent, garbage, or written for another key). */
async function read(ctx: CacheContext, key: string, id: string): Promise<{ entry: Entry; bytes: number } | null> {
  const { store, storeTimeout } = ctx.opts;
  const value: StoredValue | null = await storeCall(
    ctx,
    { op: 'get', key, keys: 1, bytes: 0 },
    () => store.get(key),
    storeTimeout,
  );
  if (value === null || value === undefined) return null;
  try {
    const entry = decodeEntry(value);
    const bytes = typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
    return entry.id === id ? { entry, bytes } : null;
  } catch {
    return null;
  }
}

/**
 * What the cache holds for a URL (or request config) and would answer a request without directives
 * of its own now, read from the store without touching the upstream. Undefined when neither tier
 * holds it. Rejects when the store fails or is slower than storeTimeout.
 */
export async function peek(
  ctx: CacheContext,
  instance: AxiosInstance,
  target: string | InvalidateTarget,
): Promise<CachePeek | undefined> {
  const { policy, perMethod } = resolveTarget(ctx, instance, target, ['get'], 'peek', true);
  const { keys } = perMethod[0] as (typeof perMethod)[number];
  const [primary, stale] = await Promise.all([read(ctx, keys.primary, keys.id), read(ctx, keys.stale, keys.id)]);
  const shown = primary ?? stale;
  if (!shown) return undefined;
  const now = Date.now();
  const { entry } = shown;
  const use = primary ? evaluate(primary.entry, policy, NO_DIRECTIVES, now) : 'miss';
  const state =
    use === 'fresh' || use === 'refresh-ahead' ? 'hit' : use === 'miss' || use === 'revalidate' ? 'miss' : 'stale';
  const answerable = stale && mayServeStale(stale.entry, policy, now) ? stale.entry : undefined;
  const out: CachePeek = {
    key: keys.primary,
    url: entry.src,
    state,
    status: entry.status,
    storedAt: entry.storedAt,
    age: ageOf(entry, now),
    freshFor:
      primary && primary.entry.until === undefined
        ? Math.max(0, lifetime(primary.entry, policy) - ageOf(primary.entry, now))
        : 0,
    staleFor: answerable ? Math.max(0, staleLeft(answerable, policy, now)) : 0,
    bytes: shown.bytes,
    tiers: { primary: primary !== null, stale: stale !== null },
  };
  if (entry.vary) out.vary = entry.vary;
  if (primary?.entry.until !== undefined) out.backoffUntil = primary.entry.until;
  if (entry.tags) out.tags = entry.tags;
  return out;
}
