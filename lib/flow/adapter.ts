import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { setState, STATE, type CacheContext, type CacheRequest, type TrackedConfig } from './context.js';
import type { Entry } from '../entry/codec.js';
import { fitsRedirects } from './stale.js';
import { follow } from './follow.js';
import { describeRequest } from './request.js';
import type { RequestPolicy } from '../options.js';
import { ageOf, settleAsync, toRawResponse, type RawResponse } from '../entry/response.js';
import { revalidate } from './revalidate.js';
import { storeError } from './store-io.js';
import { readTier } from './tiers.js';
import type { BypassReason, StaleCacheMeta } from '../types.js';
import { fetchWithFallback } from './upstream.js';
import { redactUrl } from '../http/wire.js';

type UpstreamSpec = InternalAxiosRequestConfig['adapter'];

/** Marks our adapter with the one it replaced, so a re-sent config (a retry) can be unwrapped. */
export const UPSTREAM: unique symbol = Symbol('axios-stale-cache.upstream');
export type CacheAdapter = AxiosAdapter & { [UPSTREAM]: UpstreamSpec };

/**
 * The cache, as an adapter installed per request by the request interceptor. It runs at dispatch,
 * after every request interceptor, so the key, the method and the credentials check see the final config.
 */
export function cacheAdapter(
  ctx: CacheContext,
  upstreamSpec: UpstreamSpec,
  policy: RequestPolicy | BypassReason,
): CacheAdapter {
  const adapter = (async (config: TrackedConfig) => {
    const upstream = axios.getAdapter(upstreamSpec ?? axios.defaults.adapter, config);
    if (ctx.detached) return upstream(config);
    try {
      const req = typeof policy === 'string' ? policy : describeRequest(ctx, config, policy, upstream);
      const raw = typeof req === 'string' ? await bypass(config, upstream, req) : await answer(ctx, req);
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
  if (meta && response !== null && typeof response === 'object')
    (response as { staleCache?: StaleCacheMeta }).staleCache = meta;
}

function bypass(config: TrackedConfig, upstream: AxiosAdapter, reason: BypassReason): Promise<RawResponse> {
  setState(config, { meta: { state: 'bypass', reason }, url: redactUrl(config.url ?? '') });
  return upstream(config) as Promise<RawResponse>;
}

/** The algorithm: lookup, short-circuit on a hit; else upstream with stale fallback. */
async function answer(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  const skipPrimary = req.policy.ttl === 0 || req.revalidate;
  const cached = skipPrimary ? null : await readTier(ctx, req, 'primary'); // 1. lookup
  if (cached && fitsRedirects(req, cached)) {
    const age = ageOf(cached, Date.now());
    const { staleWhileRevalidate, ttl } = req.policy;
    if (staleWhileRevalidate === 0 || age < ttl) {
      // 2. short-circuit
      const hit = await fromCache(ctx, req, cached, {
        state: 'hit',
        key: req.keys.primary,
        storedAt: cached.storedAt,
        age,
      });
      if (hit) return hit;
    } else {
      const revalidating = revalidate(ctx, req); //    stale-while-revalidate
      const meta: StaleCacheMeta = {
        state: 'stale',
        key: req.keys.primary,
        storedAt: cached.storedAt,
        age,
        cause: 'revalidating',
        revalidating,
      };
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

/** Goes upstream, sharing one request among identical concurrent misses when coalescing is on. */
async function ask(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  const key = req.keys.primary;
  const joinable = (flight: { epoch: number }): boolean => !ctx.invalidations.overtaken(req.urlDigest, flight.epoch);
  for (;;) {
    const flight = ctx.opts.coalesce ? ctx.flights.join(key, ctx.opts.flightTimeout, joinable) : undefined;
    if (!flight) return lead(ctx, req, ctx.opts.coalesce);
    const result = await follow(ctx, req, flight);
    if (result === 'alone') return lead(ctx, req, false);
    if (result !== 'retry') return result;
  }
}

async function lead(ctx: CacheContext, req: CacheRequest, share: boolean): Promise<RawResponse> {
  const publish = share ? ctx.flights.lead(req.keys.primary, req.epoch) : undefined;
  let result: Awaited<ReturnType<typeof fetchWithFallback>>;
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
