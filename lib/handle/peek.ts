import axios, { type AxiosInstance } from 'axios';
import { decodeEntry, encodeEntry, type Entry } from '../entry/codec.js';
import type { CacheContext, CacheRequest } from '../flow/context.js';
import { describeRequest } from '../flow/request.js';
import { fitsRedirects } from '../flow/stale.js';
import { storeCall } from '../flow/store-io.js';
import { readTierWith } from '../flow/tiers.js';
import { ageOf, evaluate, lifetime, mayServeStale, staleLeft } from '../http/freshness.js';
import { resolveRequestPolicy } from '../options.js';
import type { CachePeek, CachePeekEntry, InvalidateTarget, StoredValue } from '../types.js';
import { requestConfig } from './target.js';

/** One key's entry, or null (absent, garbage, or written for another key); rejects when the store fails. */
async function read(ctx: CacheContext, req: CacheRequest, key: string): Promise<Entry | null> {
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
    return entry.id === req.keys.id ? entry : null;
  } catch {
    return null;
  }
}

/**
 * What the cache holds for a URL (or request config) and what a request with that config would get
 * now, read from the store without touching the upstream: the keys, the bypass decision, the vary
 * variant and the freshness decision are the request's own (describeRequest, readTier, evaluate).
 * Undefined when neither tier holds an answer for it. Rejects when the store fails or is slower than
 * storeTimeout.
 */
export async function peek(
  ctx: CacheContext,
  instance: AxiosInstance,
  target: string | InvalidateTarget,
): Promise<CachePeek | undefined> {
  const config = requestConfig(instance, target, 'peek');
  const option = config.staleCache;
  if (option === false) return { state: 'bypass', reason: 'opt-out' };
  const policy = resolveRequestPolicy(option, ctx.opts.policy);
  const upstream = axios.getAdapter(config.adapter ?? axios.defaults.adapter, config);
  const req = describeRequest(ctx, config, policy, upstream, performance.now());
  if (typeof req === 'string') return { state: 'bypass', reason: req };
  req.storeBudget = Number.POSITIVE_INFINITY; // each read has its own storeTimeout here
  const [primary, stale] = await Promise.all([
    readTierWith(ctx, req, 'primary', read),
    readTierWith(ctx, req, 'stale', read),
  ]);
  const fits = (entry: Entry | null): Entry | null => (entry && fitsRedirects(req, entry) ? entry : null);
  const first = fits(primary);
  const second = fits(stale);
  const shown = first ?? second;
  if (!shown) return undefined;
  const now = Date.now();
  const use = first ? evaluate(first, policy, req.directives, now) : 'miss';
  const state =
    use === 'fresh' || use === 'refresh-ahead' ? 'hit' : use === 'miss' || use === 'revalidate' ? 'miss' : 'stale';
  const answerable = second && mayServeStale(second, policy, now) ? second : undefined;
  const out: CachePeekEntry = {
    key: req.keys.primary,
    url: shown.src,
    state,
    status: shown.status,
    storedAt: shown.storedAt,
    age: ageOf(shown, now),
    freshFor: first && first.until === undefined ? Math.max(0, lifetime(first, policy) - ageOf(first, now)) : 0,
    staleFor: answerable ? Math.max(0, staleLeft(answerable, policy, now)) : 0,
    bytes: encodeEntry(shown).byteLength,
    tiers: { primary: first !== null, stale: second !== null },
  };
  if (shown.vary) out.vary = shown.vary;
  if (first?.until !== undefined) out.backoffUntil = first.until;
  if (shown.tags) out.tags = shown.tags;
  return out;
}
