import axios, { type AxiosInstance, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { cacheAdapter, UPSTREAM, type CacheAdapter } from './flow/adapter.js';
import { STATE, tagResponse, WHY, type CacheContext, type RequestState, type TrackedConfig } from './flow/context.js';
import { debugRequest } from './observe/debug.js';
import { DecodedEntries } from './entry/decoded.js';
import { Emitter } from './events.js';
import { Flights } from './flow/flights.js';
import { fleetCoalescer, fleetLocks } from './flow/fleet.js';
import { clear } from './handle/clear.js';
import { invalidate } from './handle/invalidate.js';
import { invalidateTags } from './handle/invalidate-tags.js';
import { peek } from './handle/peek.js';
import { Invalidations } from './flow/invalidations.js';
import { resolveOptions } from './options.js';
import type { CacheEventName, StaleCacheHandle, StaleCacheOptions } from './types.js';
import { storeAnswer } from './flow/write.js';
import { StoreBreakers } from './flow/breaker.js';
import { stopFloods } from './flow/store-errors.js';
import { redactUrl } from './http/wire.js';
import { routeOf } from './observe/route.js';

// On the instance, under a registered symbol: the ESM and the CommonJS copy of this package (the
// dual-package hazard) must see each other's cache, or one instance would get two.
const ATTACHED = Symbol.for('axios-stale-cache.attached');
const EVENT_NAMES: ReadonlySet<string> = new Set<CacheEventName>([
  'hit',
  'miss',
  'stale',
  'bypass',
  'failed',
  'error',
  'skip',
  'breaker',
]);

function eventName<E extends CacheEventName>(event: E): E {
  if (typeof event !== 'string' || !EVENT_NAMES.has(event)) {
    throw new TypeError(
      `axios-stale-cache: unknown event ${JSON.stringify(event)} (expected one of ${[...EVENT_NAMES].join(', ')})`,
    );
  }
  return event;
}

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
 * Request interceptor: installs the cache adapter, and only that. Everything else (the per-request
 * option included) is read at dispatch, after the request interceptors axios runs after this one.
 */
function onRequest(ctx: CacheContext, config: InternalAxiosRequestConfig): InternalAxiosRequestConfig {
  delete (config as TrackedConfig)[STATE];
  delete (config as TrackedConfig)[WHY];
  // A config sent again (a retry library does this) still carries our adapter from the first pass.
  if (isCacheAdapter(config.adapter)) config.adapter = config.adapter[UPSTREAM];
  if (ctx.detached) return config;
  config.adapter = cacheAdapter(ctx, config.adapter);
  return config;
}

function report(ctx: CacheContext, config: TrackedConfig, state: RequestState): void {
  debugRequest(config, state);
  const { meta } = state;
  const { stats } = ctx;
  if (meta.state === 'hit') stats.hits++;
  else if (meta.state === 'miss') stats.misses++;
  else if (meta.state === 'stale') stats.stale++;
  else if (meta.state === 'failed') stats.failed++;
  else stats.bypass++;
  if (meta.coalesced) stats.coalesced++;
  if (ctx.events.has(meta.state)) {
    const url = redactUrl(state.url);
    ctx.events.emit(meta.state, {
      key: meta.key,
      method: config.method ?? 'get',
      url,
      route: routeOf(ctx, config),
      meta,
      duration: state.duration ?? 0,
      ...(meta.status === undefined ? {} : { status: meta.status }),
    });
  }
}

/** Response interceptor: stores a fresh answer now that axios has transformed it, and reports. */
function onResponse(ctx: CacheContext, response: AxiosResponse): AxiosResponse {
  const config = response.config as TrackedConfig | undefined;
  const state = config?.[STATE];
  if (!config || !state) return response;
  const pending = state.pending;
  state.pending = undefined;
  if (pending && !ctx.detached) storeAnswer(ctx, response, pending.entry, pending.req);
  tagResponse(config, response);
  report(ctx, config, state);
  return response;
}

/** Response interceptor, failure side: stores an error kept by cacheControl, reports and rethrows the very same error. */
function onResponseError(ctx: CacheContext, error: unknown): Promise<never> {
  const config = axios.isAxiosError(error) ? (error.config as TrackedConfig | undefined) : undefined;
  const state = config?.[STATE];
  if (config && state) {
    const pending = state.pending;
    state.pending = undefined;
    const response = axios.isAxiosError(error) ? error.response : undefined;
    if (pending && response && !ctx.detached) storeAnswer(ctx, response, pending.entry, pending.req);
    if (axios.isAxiosError(error)) {
      tagResponse(config, error.response);
      tagResponse(config, error);
    }
    report(ctx, config, state);
  }
  return Promise.reject(error);
}

/** Adds a two-tier stale cache to an axios instance. */
export function attachStaleCache(instance: AxiosInstance, options?: StaleCacheOptions): StaleCacheHandle {
  if (!isAxiosInstance(instance)) {
    throw new TypeError('axios-stale-cache: attachStaleCache() needs an axios instance (axios or axios.create())');
  }
  if ((instance as { [ATTACHED]?: boolean })[ATTACHED]) {
    throw new Error('axios-stale-cache: this axios instance already has a stale cache; detach() it first');
  }
  const opts = resolveOptions(options);
  // The handle, once it exists: what diagnostics channel messages name as their cache.
  const source = { cache: undefined as unknown as StaleCacheHandle };
  const events = new Emitter(source);
  // An in-process store cannot be down or slow: its calls never go through the breaker.
  const inProcess = opts.store.inProcess === true;
  const breakers =
    opts.storeBreaker && !inProcess ? new StoreBreakers(opts.storeBreaker, events, opts.store) : undefined;
  const ctx: CacheContext = {
    opts,
    events,
    stats: {
      hits: 0,
      misses: 0,
      stale: 0,
      bypass: 0,
      failed: 0,
      storeErrors: 0,
      coalesced: 0,
      storeSkipped: 0,
      writesSkipped: 0,
      breaker: breakers ? 'closed' : 'off',
    },
    breakers,
    floods: new Map(),
    flights: opts.fleet ? fleetCoalescer(() => ctx, new Flights()) : new Flights(),
    fleet: opts.fleet ? fleetLocks() : undefined,
    invalidations: new Invalidations(),
    pending: { calls: 0, bytes: 0 },
    background: new Set(),
    decoded: new DecodedEntries(undefined, undefined, !inProcess),
    addresses: new Map(),
    source,
    routeErrorAt: Number.NEGATIVE_INFINITY,
    detached: false,
  };
  const requestId = instance.interceptors.request.use((config) => onRequest(ctx, config), undefined, {
    synchronous: true,
  });
  const responseId = instance.interceptors.response.use(
    (response) => onResponse(ctx, response),
    (error: unknown) => onResponseError(ctx, error),
  );
  Object.defineProperty(instance, ATTACHED, { value: true, configurable: true, enumerable: false });

  const handle: StaleCacheHandle = {
    invalidate: (target) => invalidate(ctx, instance, target),
    peek: (target) => peek(ctx, instance, target),
    clear: (options) => clear(ctx, options),
    invalidateTags: (tags) => invalidateTags(ctx, tags),
    on(event, listener) {
      ctx.events.on(eventName(event), listener);
      return handle;
    },
    off(event, listener) {
      ctx.events.off(eventName(event), listener);
      return handle;
    },
    stats: () => ({ ...ctx.stats, breaker: ctx.breakers ? ctx.breakers.state : 'off' }),
    async settled() {
      while (ctx.background.size > 0) await Promise.all([...ctx.background]);
    },
    detach() {
      if (ctx.detached) return;
      ctx.detached = true;
      stopFloods(ctx);
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
      delete (instance as { [ATTACHED]?: boolean })[ATTACHED];
    },
  };
  source.cache = handle;
  return handle;
}
