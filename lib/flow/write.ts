import type { AxiosResponse } from 'axios';
import { askUser, type CacheContext, type CacheRequest } from './context.js';
import { encodeEntry, type Entry } from '../entry/codec.js';
import { indexKey, tagKey, variantKeys } from '../http/key.js';
import { headerTags, isTag, MAX_TAGS } from '../http/tags.js';
import { cacheableBy, isCacheableResponse, type Freshened } from '../http/rules.js';
import { storeTtls } from '../http/freshness.js';
import { writeEntries, type Tagged } from './store-io.js';
import { storeError } from './store-errors.js';
import type { CacheSkipEvent, CacheStoreEntry } from '../types.js';

function skipped(ctx: CacheContext, info: CacheSkipEvent): void {
  ctx.stats.writesSkipped++;
  ctx.events.emit('skip', info);
}

/** True when the keys already tell apart every header the entry varies on: no variant keys are needed. */
function keyedByVary(req: CacheRequest, entry: Entry): boolean {
  return entry.vary === undefined || entry.vary.every((name) => req.policy.vary.includes(name));
}

/**
 * Writes both tiers in one store call, each for as long as http/freshness.ts storeTtls says the
 * entry is of use there. An answer that varies is written under its variant keys too, where the
 * store can remove them by prefix (so that invalidate() reaches them); elsewhere only the base keys
 * hold it. Nothing is written once the cache is detached, or when the URL was invalidated after this
 * request began.
 */
export function writeTiers(ctx: CacheContext, req: CacheRequest, entry: Entry, response: AxiosResponse): void {
  const { keys } = req;
  const ttls = storeTtls(entry, req.policy);
  if (ttls.primary === 0 && ttls.stale === 0) return;
  const tags = tagsFor(ctx, req, entry, response);
  if (tags === null) return;
  const encoded = encodeForWrite(ctx, req, tags.length > 0 ? { ...entry, tags } : entry);
  if (!encoded) return;
  const entries: CacheStoreEntry[] = [];
  const variant = variantOf(ctx, req, entry);
  if (ttls.primary > 0) {
    entries.push({ key: keys.primary, value: encoded, ttl: ttls.primary });
    if (variant) entries.push({ key: variant.primary, value: encoded, ttl: ttls.primary });
  }
  if (ttls.stale > 0) {
    entries.push({ key: keys.stale, value: encoded, ttl: ttls.stale });
    if (variant) entries.push({ key: variant.stale, value: encoded, ttl: ttls.stale });
  }
  // Keys the URL alone does not name are listed in the URL's index, in the same round trip, so that an
  // unsafe method reaches them without a sweep (unsafe.ts): response variants (not written once the
  // index is full), and vary values, bodies, routes (written either way: there may be one per user).
  const listed = variant ? [variant.primary, variant.stale] : [];
  const soft = keys.id === `{${req.urlDigest}}` ? [] : [keys.primary, keys.stale];
  const index =
    listed.length > 0 || soft.length > 0
      ? {
          key: indexKey(ctx.opts.primaryKeyPrefix, req.urlDigest),
          ttl: Math.max(ttls.primary, ttls.stale),
          keys: listed,
          soft,
        }
      : undefined;
  const tagged: Tagged | undefined =
    tags.length > 0
      ? {
          tags: tags.map((tag) => ({
            key: tagKey(ctx.opts.primaryKeyPrefix, tag),
            ttl: Math.max(ttls.primary, ttls.stale),
          })),
          full: () => skipped(ctx, { key: keys.primary, reason: 'cannot-invalidate' }),
          stillWanted: () => {
            const reason = overtakenBy(ctx, req, tags);
            if (reason) skipped(ctx, { key: keys.primary, reason });
            return reason === undefined;
          },
        }
      : undefined;
  const written = writeEntries(ctx, entries, index, tagged);
  // A fleet lock for this key is released once the write settled (fleet.ts releaseLock).
  const writing = ctx.fleet?.writing;
  if (!writing) return;
  writing.set(keys.primary, written);
  void written.then(() => {
    if (writing.get(keys.primary) === written) writing.delete(keys.primary);
  });
}

/**
 * The answer's tags (unique, sorted): its response's Cache-Tag and Surrogate-Key (tagHeaders), the
 * instance's `tags` function, the request's own `staleCache.tags`. Null when it must not be written:
 * tags the store cannot list, more than MAX_TAGS, or a tags function that threw (a skip event, or an
 * error event). A tag invalidated since the request began is encodeForWrite's to refuse, as for every
 * write of the entry (a backoff marker made from it too).
 */
function tagsFor(ctx: CacheContext, req: CacheRequest, entry: Entry, response: AxiosResponse): string[] | null {
  const key = req.keys.primary;
  const found = new Set<string>(ctx.opts.tagHeaders ? headerTags(entry.headers) : []);
  const fn = ctx.opts.tags;
  if (fn) {
    try {
      const given = fn(response);
      if (!Array.isArray(given)) throw new TypeError(`tags() returned ${typeof given}, not an array`);
      for (const tag of given) {
        if (!isTag(tag)) throw new TypeError(`tags() returned ${JSON.stringify(tag)}, not a tag`);
        found.add(tag);
      }
    } catch (error) {
      ctx.events.emit('error', { op: 'tags', key, error });
      return null;
    }
  }
  const own = req.config.staleCache === false ? undefined : req.config.staleCache?.tags;
  if (own) for (const tag of own) found.add(tag);
  if (found.size === 0) return [];
  const tags = [...found].sort();
  if (!ctx.opts.store.setTagged || tags.length > MAX_TAGS) {
    skipped(ctx, { key, reason: 'cannot-invalidate' });
    return null;
  }
  return tags;
}

/** Why an answer of this request may no longer be written: the cache detached, its URL or a tag invalidated since it began. */
function overtakenBy(
  ctx: CacheContext,
  req: CacheRequest,
  tags: readonly string[] | undefined,
): 'detached' | 'invalidated' | undefined {
  if (ctx.detached) return 'detached';
  const invalidated =
    ctx.invalidations.overtaken(req.urlDigest, req.epoch) ||
    (tags !== undefined && ctx.invalidations.tagsOvertaken(tags, req.epoch));
  return invalidated ? 'invalidated' : undefined;
}

/**
 * The entry's bytes, unless it may not be written: the cache was detached, the URL or one of the
 * entry's tags invalidated since the request began, the store could not be made to forget it (a skip event each), or the entry will
 * not encode or is over maxEntryBytes.
 */
export function encodeForWrite(ctx: CacheContext, req: CacheRequest, entry: Entry): Uint8Array | undefined {
  const key = req.keys.primary;
  const overtaken = overtakenBy(ctx, req, entry.tags);
  if (overtaken) {
    skipped(ctx, { key, reason: overtaken });
    return undefined;
  }
  if (req.keys.refined && !ctx.opts.store.deletePrefixed) {
    skipped(ctx, { key, reason: 'cannot-invalidate' });
    return undefined;
  }
  // Known too large before anything is encoded (or copied): the encoding holds the body and a line more.
  if (entry.body.byteLength > ctx.opts.maxEntryBytes) {
    skipped(ctx, { key, reason: 'too-large', bytes: entry.body.byteLength });
    return undefined;
  }
  let encoded: Uint8Array;
  try {
    encoded = encodeEntry(entry);
  } catch (error) {
    storeError(ctx, 'encode', key, error);
    return undefined;
  }
  if (encoded.byteLength > ctx.opts.maxEntryBytes) {
    skipped(ctx, { key, reason: 'too-large', bytes: encoded.byteLength });
    return undefined;
  }
  return encoded;
}

/** The variant keys an entry is written under too (see writeTiers), if any. */
export function variantOf(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
): ReturnType<typeof variantKeys> | undefined {
  return !keyedByVary(req, entry) && ctx.opts.store.deletePrefixed && entry.varied
    ? variantKeys(req.keys, entry.varied)
    : undefined;
}

function freshened(req: CacheRequest, entry: Entry): Freshened {
  if (!req.policy.cacheControl) return 'seed';
  return entry.explicit ? 'explicit' : 'heuristic';
}

/** Stores a fresh answer once axios has transformed it, if isCacheable accepts the final response. */
export function storeAnswer(ctx: CacheContext, response: AxiosResponse, entry: Entry, req: CacheRequest): void {
  const cacheable =
    ctx.opts.isCacheable === isCacheableResponse
      ? cacheableBy(entry.status, entry.headers['cache-control'], freshened(req, entry)) // names lower-cased already
      : askUser(ctx, 'isCacheable', req.keys.primary, ctx.opts.isCacheable, response);
  if (cacheable) writeTiers(ctx, req, entry, response);
}
