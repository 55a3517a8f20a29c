import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { cacheAdapter, UPSTREAM, type CacheAdapter } from './adapter.js';
import { STATE, type CacheContext, type RequestState, type TrackedConfig } from './context.js';
import { DecodedEntries } from './decoded.js';
import { Emitter } from './events.js';
import { Flights } from './flights.js';
import { buildKeys, canonicalUrl, digest, keySource, varyDigest } from './key.js';
import { resolveOptions, resolveRequestPolicy } from './options.js';
import type { InvalidateTarget, StaleCacheHandle, StaleCacheOptions } from './types.js';
import { storeAnswer } from './write.js';

const attached = new WeakSet<object>();

function isAxiosInstance(value: unknown): value is AxiosInstance {
  const v = value as Partial<AxiosInstance> | null;
  return (
    (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
    typeof v?.interceptors?.request?.use === 'function' &&
    typeof v.interceptors.response?.use === 'function' &&
    typeof v.defaults === 'object'
  );
}

function isCacheAdapter(value: unknown): value is CacheAdapter {
  return typeof value === 'function' && UPSTREAM in value;
}

/**
 * Request interceptor: validates the per-request options and installs the cache adapter. Only
 * that: the lookup runs at dispatch, after request interceptors that axios runs after this one.
 */
function onRequest(ctx: CacheContext, config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
  delete (config as TrackedConfig)[STATE];
  // A config sent again (a retry library does this) still carries our adapter from the first pass.
  if (isCacheAdapter(config.adapter)) config.adapter = config.adapter[UPSTREAM];
  if (ctx.detached) return config;
  const option = config.staleCache;
  // A TypeError from a bad `staleCache` rejects the request before any network call.
  const policy = option === false ? 'opt-out' : resolveRequestPolicy(option, ctx.opts.policy);
  const cached = policy === 'opt-out' || ctx.opts.methods.has((config.method ?? 'get').toLowerCase());
  config.adapter = cacheAdapter(ctx, config.adapter, cached ? policy : 'method');
  return config;
}

function report(ctx: CacheContext, config: TrackedConfig, state: RequestState): void {
  const { meta } = state;
  const { stats } = ctx;
  if (meta.state === 'hit') stats.hits++;
  else if (meta.state === 'miss') stats.misses++;
  else if (meta.state === 'stale') stats.stale++;
  else stats.bypass++;
  if (meta.coalesced) stats.coalesced++;
  if (ctx.events.has(meta.state)) {
    ctx.events.emit(meta.state, { key: meta.key, method: config.method ?? 'get', url: state.url, meta });
  }
}

/** Response interceptor: stores a fresh answer now that axios has transformed it, and reports. */
function onResponse(ctx: CacheContext, response: AxiosResponse): AxiosResponse {
  const config = response.config as TrackedConfig | undefined;
  const state = config?.[STATE];
  if (!config || !state) return response;
  const pending = state.pending;
  state.pending = undefined;
  if (pending && !ctx.detached) storeAnswer(ctx, response, pending);
  response.staleCache = state.meta;
  report(ctx, config, state);
  return response;
}

/** Response interceptor, failure side: reports and rethrows the very same error. */
function onResponseError(ctx: CacheContext, error: unknown): Promise<never> {
  const config = axios.isAxiosError(error) ? (error.config as TrackedConfig | undefined) : undefined;
  const state = config?.[STATE];
  if (config && state) {
    state.pending = undefined;
    if (axios.isAxiosError(error) && error.response) error.response.staleCache = state.meta;
    report(ctx, config, state);
  }
  return Promise.reject(error);
}

async function invalidate(ctx: CacheContext, instance: AxiosInstance, target: string | InvalidateTarget): Promise<void> {
  const t: InvalidateTarget = typeof target === 'string' ? { url: target } : target;
  if (t === null || typeof t !== 'object' || typeof t.url !== 'string') {
    throw new TypeError('axios-stale-cache: invalidate() takes a URL or a request config with a url');
  }
  const policy = resolveRequestPolicy(t.staleCache === false ? undefined : t.staleCache, ctx.opts.policy);
  // The URL exactly as a request on this instance would resolve it (baseURL, default params).
  const config = axios.mergeConfig(instance.defaults as AxiosRequestConfig, {
    url: t.url, baseURL: t.baseURL, params: t.params,
  } as AxiosRequestConfig);
  const url = canonicalUrl(config);
  const methods = t.method ? [t.method.toLowerCase()] : [...ctx.opts.methods];
  const { primaryKeyPrefix, staleKeyPrefix, store } = ctx.opts;
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const method of methods) {
    const urlDigest = digest(keySource(method, url, policy.key));
    if (policy.vary.length > 0 && !t.headers) {
      const base = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, undefined);
      prefixes.push(base.primary, base.stale); // every variant of the URL
      continue;
    }
    const variant = policy.vary.length > 0 ? varyDigest({ headers: t.headers }, policy.vary) : undefined;
    const k = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, variant);
    keys.push(k.primary, k.stale);
  }
  if (keys.length > 0) await store.delete(keys);
  if (prefixes.length > 0) {
    if (!store.deletePrefixed) {
      throw new Error('axios-stale-cache: this store cannot list the vary variants of a URL; pass the request headers to invalidate() to remove one variant');
    }
    await store.deletePrefixed(prefixes);
  }
}

/** Adds a two-tier stale cache to an axios instance (see DESIGN.md for the whole contract). */
export function attachStaleCache(instance: AxiosInstance, options?: StaleCacheOptions): StaleCacheHandle {
  if (!isAxiosInstance(instance)) {
    throw new TypeError('axios-stale-cache: attachStaleCache() needs an axios instance (axios or axios.create())');
  }
  if (attached.has(instance)) {
    throw new Error('axios-stale-cache: this axios instance already has a stale cache; detach() it first');
  }
  const ctx: CacheContext = {
    opts: resolveOptions(options),
    events: new Emitter(),
    stats: { hits: 0, misses: 0, stale: 0, bypass: 0, storeErrors: 0, coalesced: 0 },
    flights: new Flights(),
    background: new Set(),
    decoded: new DecodedEntries(),
    addresses: new Map(),
    detached: false,
  };
  const requestId = instance.interceptors.request.use((config) => onRequest(ctx, config), undefined, { synchronous: true });
  const responseId = instance.interceptors.response.use(
    (response) => onResponse(ctx, response),
    (error: unknown) => onResponseError(ctx, error),
  );
  attached.add(instance);

  const handle: StaleCacheHandle = {
    invalidate: (target) => invalidate(ctx, instance, target),
    on(event, listener) {
      ctx.events.on(event, listener);
      return handle;
    },
    off(event, listener) {
      ctx.events.off(event, listener);
      return handle;
    },
    stats: () => ({ ...ctx.stats }),
    async settled() {
      while (ctx.background.size > 0) await Promise.all([...ctx.background]);
    },
    detach() {
      if (ctx.detached) return;
      ctx.detached = true;
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      attached.delete(instance);
    },
  };
  return handle;
}
