import type { CacheContext, CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { EntryError } from '../errors.js';
import { headersDigest, variantKeys } from '../http/key.js';
import { isStoredValue, readValue } from './store-io.js';
import { storeError } from './store-errors.js';
import { lockingGet } from './fleet.js';

/*
 * Reading a tier. An entry is answered only under the key it was written for, and, when its
 * response carried `Vary`, only to a request whose values of those headers are the ones it was
 * fetched with. The base key holds the variant written last (one read when it matches, which is
 * every read of a URL that does not vary); the others live under variant keys beside it.
 */

export type Tier = 'primary' | 'stale';

/** A store's answer, decoded (or the decoded entry of the same bytes read before); a miss if unusable. */
export function decodeValue(ctx: CacheContext, req: CacheRequest, key: string, value: unknown): Entry | null {
  if (value === null || value === undefined) return null;
  try {
    if (!isStoredValue(value)) throw new TypeError(`store returned ${typeof value}, not a string or bytes`);
    const entry = ctx.decoded.read(key, value);
    if (entry.id !== req.keys.id) throw new EntryError('entry was written for another key');
    return entry;
  } catch (error) {
    storeError(ctx, 'decode', key, error);
    return null;
  }
}

async function readOne(ctx: CacheContext, req: CacheRequest, key: string, lock = false): Promise<Entry | null> {
  // Read synchronously (CacheStore.getSync): no budget to spend.
  if (ctx.opts.store.getSync) return decodeValue(ctx, req, key, await readValue(ctx, key, 0));
  // The fleet's read of the base primary key takes its lock when it misses (fleet.ts).
  const read = lock && key === req.keys.primary ? () => lockingGet(ctx, req) : undefined;
  const started = performance.now();
  const value = await readValue(ctx, key, Math.ceil(req.storeBudget), read);
  req.storeBudget -= performance.now() - started;
  return decodeValue(ctx, req, key, value);
}

const readOneLocking = (ctx: CacheContext, req: CacheRequest, key: string): Promise<Entry | null> =>
  readOne(ctx, req, key, true);

/** Digest of this request's values of the named headers, as they go on the wire. */
export function variedDigest(req: CacheRequest, names: readonly string[]): string {
  return headersDigest(req.config, names, req.userinfo);
}

/** True when the entry may answer this request: it does not vary, or this request's varied headers match. */
export function fitsVary(req: CacheRequest, entry: Entry): boolean {
  return entry.vary === undefined || entry.varied === variedDigest(req, entry.vary);
}

/**
 * Reads a tier for this request within its store budget: its own variant, or null. With `lock`, the
 * primary read takes the fleet's lock when it misses (coalesce: 'fleet').
 */
export function readTier(ctx: CacheContext, req: CacheRequest, tier: Tier, lock = false): Promise<Entry | null> {
  return readTierWith(ctx, req, tier, lock && tier === 'primary' ? readOneLocking : readOne);
}

/** readTier with a reader of one key of one's own (peek's, which rejects when the store fails). */
export async function readTierWith(
  ctx: CacheContext,
  req: CacheRequest,
  tier: Tier,
  read: (ctx: CacheContext, req: CacheRequest, key: string) => Promise<Entry | null>,
): Promise<Entry | null> {
  const entry = await read(ctx, req, req.keys[tier]);
  if (!entry || fitsVary(req, entry)) return entry;
  if (tier === 'primary') req.varies = true;
  // Other variants are only kept where invalidate() can find them (see write.ts).
  if (!ctx.opts.store.deletePrefixed || !entry.vary) return null;
  const other = await read(ctx, req, variantKeys(req.keys, variedDigest(req, entry.vary))[tier]);
  return other && fitsVary(req, other) ? other : null;
}
