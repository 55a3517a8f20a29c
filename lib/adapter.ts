import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { readEntry, setState, STATE, storeError, type CacheContext, type CacheRequest, type TrackedConfig } from './context.js';
import type { Entry } from './entry.js';
import { follow } from './follow.js';
import { describeRequest } from './lookup.js';
import type { RequestPolicy } from './options.js';
import { ageOf, settle, toRawResponse, type RawResponse } from './response.js';
import { revalidate } from './revalidate.js';
import type { BypassReason, StaleCacheMeta } from './types.js';
import { fetchWithFallback } from './upstream.js';

type UpstreamSpec = InternalAxiosRequestConfig['adapter'];

/** Marks our adapter with the one it replaced, so a re-sent config (a retry) can be unwrapped. */
export const UPSTREAM: unique symbol = Symbol('axios-stale-cache.upstream');
export type CacheAdapter = AxiosAdapter & { [UPSTREAM]: UpstreamSpec };

/**
 * The cache, as an adapter installed per request by the request interceptor. It runs at dispatch,
 * after every request interceptor, so the key and the credentials check see the final headers.
 */
export function cacheAdapter(ctx: CacheContext, upstreamSpec: UpstreamSpec, policy: RequestPolicy | BypassReason): CacheAdapter {
  const adapter = (async (config: TrackedConfig) => {
    const upstream = axios.getAdapter(upstreamSpec ?? axios.defaults.adapter, config);
    if (ctx.detached) return upstream(config);
    try {
      const raw = typeof policy === 'string' ? await bypass(config, upstream, policy) : await answer(ctx, config, upstream, policy);
      tag(config, raw);
      return raw;
    } catch (error) {
      if (axios.isAxiosError(error)) tag(config, error.response);
      throw error;
    }
  }) as CacheAdapter;
  adapter[UPSTREAM] = upstreamSpec;
  return adapter;
}

/** Puts the metadata on the response before any response interceptor runs, whatever their order. */
function tag(config: TrackedConfig, response: unknown): void {
  const meta = config[STATE]?.meta;
  if (meta && response !== null && typeof response === 'object') (response as { staleCache?: StaleCacheMeta }).staleCache = meta;
}

function bypass(config: TrackedConfig, upstream: AxiosAdapter, reason: BypassReason): Promise<RawResponse> {
  setState(config, { meta: { state: 'bypass', reason }, url: config.url ?? '' });
  return upstream(config) as Promise<RawResponse>;
}

/** The algorithm: key, lookup, short-circuit on a hit; else upstream with stale fallback. */
async function answer(ctx: CacheContext, config: TrackedConfig, upstream: AxiosAdapter, policy: RequestPolicy): Promise<RawResponse> {
  const req = describeRequest(ctx, config, policy, upstream);                       // 1. key
  if (typeof req === 'string') return bypass(config, upstream, req);
  const skipPrimary = req.policy.ttl === 0 || req.revalidate;
  const cached = skipPrimary ? null : await readEntry(ctx, req, req.keys.primary);   // 2. lookup
  if (cached) {
    const age = ageOf(cached, Date.now());
    const { staleWhileRevalidate, ttl } = req.policy;
    if (staleWhileRevalidate === 0 || age < ttl) {                                   // 3. short-circuit
      const hit = fromCache(ctx, req, cached, { state: 'hit', key: req.keys.primary, storedAt: cached.storedAt, age });
      if (hit) return hit;
    } else {
      const revalidating = revalidate(ctx, req);                                    //    stale-while-revalidate
      const meta: StaleCacheMeta = { state: 'stale', key: req.keys.primary, storedAt: cached.storedAt, age, cause: 'revalidating', revalidating };
      const early = fromCache(ctx, req, cached, meta);
      if (early) return early;
    }
  }
  return ask(ctx, req);                                                             // 4. upstream, 5. stale fallback
}

/** A cached entry as this caller's response; undefined (a miss) if the entry's body will not decode. */
function fromCache(ctx: CacheContext, req: CacheRequest, entry: Entry, meta: StaleCacheMeta): RawResponse | undefined {
  let raw: RawResponse;
  try {
    raw = toRawResponse(entry, req.config, ctx.opts.zeroCopy);
  } catch (error) {
    storeError(ctx, 'decode', req.keys.primary, error);
    return undefined;
  }
  setState(req.config, { meta, url: req.url });
  return settle(raw);
}

/** Goes upstream, sharing one request among identical concurrent misses when coalescing is on. */
async function ask(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  for (;;) {
    const flight = ctx.opts.coalesce ? ctx.flights.join(req.keys.primary) : undefined;
    if (!flight) return lead(ctx, req, ctx.opts.coalesce);
    const result = await follow(ctx, req, flight);
    if (result === 'alone') return lead(ctx, req, false);
    if (result !== 'retry') return result;
  }
}

async function lead(ctx: CacheContext, req: CacheRequest, share: boolean): Promise<RawResponse> {
  const publish = share ? ctx.flights.lead(req.keys.primary) : undefined;
  let result;
  try {
    result = await fetchWithFallback(ctx, req);
  } catch (error) {
    publish?.({ kind: 'retry' });
    throw error;
  }
  publish?.(result.shared);
  if (result.own.ok) return result.own.value;
  throw result.own.error;
}

