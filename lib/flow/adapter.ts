import axios, { type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import {
  setState,
  STATE,
  tagResponse,
  WHY,
  type CacheContext,
  type CacheRequest,
  type TrackedConfig,
} from './context.js';
import type { Entry } from '../entry/codec.js';
import { fitsRedirects, staleMeta } from './stale.js';
import { answerFrom, emptyBody } from './answer.js';
import { ask } from './coalesce.js';
import { describeRequest } from './request.js';
import { resolveRequestPolicy } from '../options.js';
import { settle, type RawResponse } from '../entry/response.js';
import { ageOf, evaluate, hasValidators, readsPrimary } from '../http/freshness.js';
import { revalidate } from './revalidate.js';
import { storeError } from './store-errors.js';
import { readTier } from './tiers.js';
import { probeOut } from './backoff.js';
import { releaseUnused } from './fleet.js';
import { invalidateChanged, unsafeTarget } from './unsafe.js';
import { debugging } from '../observe/debug.js';
import { active, requestChannel, upstreamChannel } from '../observe/channels.js';
import { requestUrl } from '../observe/route.js';
import { traceRequest, traceUpstream } from '../observe/traces.js';
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
  const run = async (config: TrackedConfig): Promise<RawResponse> => {
    const upstream = axios.getAdapter(upstreamSpec ?? axios.defaults.adapter, config);
    if (ctx.detached) return (await upstream(config)) as RawResponse;
    // Read here, not in the request interceptor: an interceptor axios runs after ours may set it.
    // A bad one is a TypeError before any network call.
    const option = config.staleCache;
    const policy = option === false ? 'opt-out' : resolveRequestPolicy(option, ctx.opts.policy);
    const started = performance.now();
    try {
      const req = typeof policy === 'string' ? policy : describeRequest(ctx, config, policy, upstream, started);
      const raw = typeof req === 'string' ? await bypass(ctx, config, upstream, req) : await answer(ctx, req);
      timed(config, started);
      tagResponse(config, raw);
      return raw;
    } catch (error) {
      timed(config, started);
      if (axios.isAxiosError(error)) {
        tagResponse(config, error.response);
        tagResponse(config, error);
      }
      throw error;
    }
  };
  const adapter = ((config: TrackedConfig) =>
    active(requestChannel) && !ctx.detached
      ? traceRequest(ctx, config, () => run(config))
      : run(config)) as CacheAdapter;
  adapter[UPSTREAM] = upstreamSpec;
  return adapter;
}

function timed(config: TrackedConfig, started: number): void {
  const state = config[STATE];
  if (state) state.duration = performance.now() - started;
}

/**
 * Puts the metadata on the response before any response interceptor runs, whatever their order. An
 * unsafe method's success removes what it changed before its caller is answered (see unsafe.ts).
 */
async function bypass(
  ctx: CacheContext,
  config: TrackedConfig,
  upstream: AxiosAdapter,
  reason: BypassReason,
): Promise<RawResponse> {
  // Its baseURL and url joined (no params: a bypassed request's URL is not serialised here).
  setState(config, { meta: { state: 'bypass', reason }, url: requestUrl(config) });
  const changes = reason === 'method' ? unsafeTarget(ctx, config, upstream) : undefined;
  const send = (): Promise<RawResponse> => upstream(config) as Promise<RawResponse>;
  const raw = active(upstreamChannel)
    ? await traceUpstream(
        ctx,
        { config, method: config.method ?? 'get', url: requestUrl(config), purpose: 'request', revalidation: false },
        send,
      )
    : await send();
  if (changes) await invalidateChanged(ctx, changes, raw);
  return raw;
}

/** The algorithm: lookup, short-circuit on what the entry may answer (http/freshness.ts); else upstream with stale fallback. */
function answer(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  // Across the fleet, a miss takes the lock in its primary read (a request that will not go upstream
  // does not). Not async: a hit pays no promise of its own here.
  const locks = ctx.fleet !== undefined && !req.directives.onlyIfCached && !req.callerValidators;
  if (!locks) return lookup(ctx, req, false);
  return lookup(ctx, req, true).finally(() => releaseUnused(ctx, req));
}

async function lookup(ctx: CacheContext, req: CacheRequest, locks: boolean): Promise<RawResponse> {
  const { policy, directives } = req;
  // max-stale may take the stale tier's entry: read beside the primary, within the same bound.
  const staleRead = directives.maxStale === undefined ? undefined : readTier(ctx, req, 'stale').catch(() => null);
  const cached = readsPrimary(policy, directives) ? await readTier(ctx, req, 'primary', locks) : null; // 1. lookup
  const now = Date.now();
  const use =
    cached && fitsRedirects(req, cached) ? evaluate(cached, policy, directives, now, () => probeOut(ctx, req)) : 'miss';
  // Conditional: whatever goes upstream for this entry (a revalidation, a refresh) sends its validators.
  if (cached && use !== 'miss' && policy.conditional && hasValidators(cached)) req.validating = cached;
  // A caller with validators of its own is answered from a fresh entry; else its request goes as it is.
  if (req.callerValidators && use !== 'fresh' && use !== 'refresh-ahead') {
    return directives.onlyIfCached ? notCached(req) : bypass(ctx, req.config, req.upstream, 'conditional');
  }
  if (cached) {
    let early: RawResponse | undefined; //                                                    2. short-circuit
    switch (use) {
      case 'fresh':
      case 'refresh-ahead': {
        const meta: StaleCacheMeta = {
          state: 'hit',
          key: req.keys.primary,
          storedAt: cached.storedAt,
          age: ageOf(cached, now),
        };
        if (use === 'refresh-ahead') meta.revalidating = revalidate(ctx, req);
        early = await fromCache(ctx, req, cached, meta);
        break;
      }
      case 'revalidating': //                                                                   stale-while-revalidate
        early = await fromCache(ctx, req, cached, {
          ...staleMeta(req, cached, 'revalidating'),
          revalidating: revalidate(ctx, req),
        });
        break;
      case 'max-stale':
        early = await fromCache(ctx, req, cached, staleMeta(req, cached, 'max-stale'));
        break;
      case 'backoff':
        early = await fromCache(ctx, req, cached, staleMeta(req, cached, 'backoff'));
        break;
    }
    if (early) return early;
  }
  if (staleRead) {
    const kept = await acceptedStale(ctx, req, await staleRead);
    if (kept) return kept;
  }
  if (directives.onlyIfCached) return notCached(req);
  if (debugging()) req.config[WHY] = whyUpstream(req, cached, use);
  return ask(ctx, req); // 3. upstream, 4. stale fallback
}

/** Why this request goes upstream after its lookup, in a few words (for the debug log). */
function whyUpstream(req: CacheRequest, cached: Entry | null, use: string): string {
  const { policy, directives } = req;
  if (!readsPrimary(policy, directives)) return directives.noCache ? 'request no-cache' : 'ttl 0';
  if (!cached) return 'nothing stored';
  if (!fitsRedirects(req, cached)) return 'stored answer does not fit this request’s redirects';
  if (use === 'revalidate') return 'expired: revalidating with its validators';
  if (directives.noCache) return 'request no-cache';
  if (directives.maxAge !== undefined || directives.minFresh !== undefined) return 'request max-age/min-fresh';
  if (cached.until !== undefined) return 'backoff over: this request probes';
  return `expired (stored ${Math.round(ageOf(cached, Date.now()))} ms ago)`;
}

/**
 * `max-stale`: the stale tier's entry, when this request accepts its staleness (the primary tier
 * keeps an entry only while it may be fresh or revalidated; the stale tier is the long-lived copy).
 */
async function acceptedStale(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry | null,
): Promise<RawResponse | undefined> {
  if (!entry || !fitsRedirects(req, entry)) return undefined;
  if (evaluate(entry, req.policy, req.directives, Date.now()) !== 'max-stale') return undefined;
  return fromCache(ctx, req, entry, staleMeta(req, entry, 'max-stale'));
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
  try {
    return await answerFrom(ctx, req, entry, meta);
  } catch (error) {
    if (axios.isAxiosError(error)) throw error;
    storeError(ctx, 'decode', req.keys.primary, error);
    return undefined;
  }
}

/** `only-if-cached` with nothing that fits: 504 (RFC 9111 §5.2.1.7), without asking the upstream. */
async function notCached(req: CacheRequest): Promise<RawResponse> {
  setState(req.config, {
    meta: { state: 'failed', key: req.keys.primary, cause: 'only-if-cached', status: 504 },
    url: req.href,
  });
  return settle({
    data: await emptyBody(req),
    status: 504,
    statusText: 'Gateway Timeout',
    headers: {},
    config: req.config,
    request: undefined,
  });
}
