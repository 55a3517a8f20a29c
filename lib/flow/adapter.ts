import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { setState, STATE, tagResponse, type CacheContext, type CacheRequest, type TrackedConfig } from './context.js';
import type { Entry } from '../entry/codec.js';
import { fitsRedirects, servesStale, staleMeta } from './stale.js';
import { ask } from './coalesce.js';
import { describeRequest } from './request.js';
import { resolveRequestPolicy } from '../options.js';
import { settleAsync, toRawResponse, type RawResponse } from '../entry/response.js';
import { ageOf, freshness } from '../http/freshness.js';
import { revalidate } from './revalidate.js';
import { storeError } from './store-errors.js';
import { readTier } from './tiers.js';
import { backingOff } from './backoff.js';
import type { BypassReason, StaleCacheMeta } from '../types.js';

type UpstreamSpec = InternalAxiosRequestConfig['adapter'];

/** Marks our adapter with the one it replaced, so a re-sent config (a retry) can be unwrapped. */
export const UPSTREAM: unique symbol = Symbol('axios-stale-cache.upstream');
export type CacheAdapter = AxiosAdapter & { [UPSTREAM]: UpstreamSpec };

/**
 * The cache, as an adapter installed per request by the request interceptor. It runs at dispatch,
 * after every request interceptor, so the key, the method and the credentials check see the final config.
 */
export function cacheAdapter(ctx: CacheContext, upstreamSpec: UpstreamSpec): CacheAdapter {
  const adapter = (async (config: TrackedConfig) => {
    const upstream = axios.getAdapter(upstreamSpec ?? axios.defaults.adapter, config);
    if (ctx.detached) return upstream(config);
    // Read here, not in the request interceptor: an interceptor axios runs after ours may set it.
    // A bad one is a TypeError before any network call.
    const option = config.staleCache;
    const policy = option === false ? 'opt-out' : resolveRequestPolicy(option, ctx.opts.policy);
    const started = performance.now();
    try {
      const req = typeof policy === 'string' ? policy : describeRequest(ctx, config, policy, upstream, started);
      const raw = typeof req === 'string' ? await bypass(config, upstream, req) : await answer(ctx, req);
      timed(config, started);
      tagResponse(config, raw);
      return raw;
    } catch (error) {
      timed(config, started);
      if (axios.isAxiosError(error)) tagResponse(config, error.response);
      throw error;
    }
  }) as CacheAdapter;
  adapter[UPSTREAM] = upstreamSpec;
  return adapter;
}

function timed(config: TrackedConfig, started: number): void {
  const state = config[STATE];
  if (state) state.duration = performance.now() - started;
}

/** Puts the metadata on the response before any response interceptor runs, whatever their order. */
function bypass(config: TrackedConfig, upstream: AxiosAdapter, reason: BypassReason): Promise<RawResponse> {
  setState(config, { meta: { state: 'bypass', reason }, url: config.url ?? '' });
  return upstream(config) as Promise<RawResponse>;
}

/** The algorithm: lookup, short-circuit on a hit; else upstream with stale fallback. */
async function answer(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  const { ttl: ownTtl, failureBackoff } = req.policy;
  // With ttl 0 the primary tier is read for backoff markers only.
  const skipPrimary = req.revalidate || (ownTtl === 0 && failureBackoff === 0);
  let cached = skipPrimary ? null : await readTier(ctx, req, 'primary'); // 1. lookup
  const now = Date.now();
  if (cached?.until !== undefined) {
    if (!backingOff(ctx, req, cached.until) || !servesStale(req, cached, now)) return ask(ctx, req);
    return (await fromCache(ctx, req, cached, staleMeta(req, cached, 'backoff'))) ?? ask(ctx, req);
  }
  if (ownTtl === 0) cached = null;
  if (cached && fitsRedirects(req, cached)) {
    const fresh = freshness(cached, req.policy, now);
    if (fresh === 'fresh') {
      // 2. short-circuit
      const hit = await fromCache(ctx, req, cached, {
        state: 'hit',
        key: req.keys.primary,
        storedAt: cached.storedAt,
        age: ageOf(cached, now),
      });
      if (hit) return hit;
    } else if (fresh === 'revalidate' && servesStale(req, cached, now)) {
      const revalidating = revalidate(ctx, req); //    stale-while-revalidate
      const meta: StaleCacheMeta = { ...staleMeta(req, cached, 'revalidating'), revalidating };
      const early = await fromCache(ctx, req, cached, meta);
      if (early) return early;
    }
  }
  return ask(ctx, req); // 3. upstream, 4. stale fallback
}

/**
 * A cached entry as this caller's response; undefined (a miss) if the entry's body will not decode.
 * Rejects as the adapter would when the body is over this caller's maxContentLength.
 */
async function fromCache(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
  meta: StaleCacheMeta,
): Promise<RawResponse | undefined> {
  let raw: RawResponse;
  try {
    raw = await toRawResponse(entry, req.config, req, ctx.opts.zeroCopy);
  } catch (error) {
    if (axios.isAxiosError(error)) {
      setState(req.config, { meta, url: req.href });
      throw error;
    }
    storeError(ctx, 'decode', req.keys.primary, error);
    return undefined;
  }
  setState(req.config, { meta, url: req.href });
  return settleAsync(raw);
}
