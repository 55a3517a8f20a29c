import * as diagnostics from 'node:diagnostics_channel';
import {
  metrics,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type ObservableResult,
} from '@opentelemetry/api';
import { CHANNELS } from './channel-names.js';
import type {
  BreakerMessage,
  BreakerState,
  RequestMessage,
  SkipMessage,
  StaleCacheHandle,
  StoreMessage,
  UpstreamMessage,
} from '../types.js';

/*
 * `axios-stale-cache/opentelemetry`: the cache's diagnostics channels as OpenTelemetry metrics, in
 * one call. Its own entry point, so that only an application that imports it needs @opentelemetry/api.
 */

export interface StaleCacheMetricsOptions {
  /** @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Only this cache's requests. @default every attached cache in the process */
  cache?: StaleCacheHandle;
  /** Added to every data point, such as `{ 'cache.name': 'users-api' }`. */
  attributes?: Attributes;
}

export interface StaleCacheMetrics {
  /** Unsubscribes: nothing more is recorded. */
  stop(): void;
}

const VERSION = '0.1.0';
const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const AGE_SECONDS = [1, 5, 15, 60, 300, 900, 3_600, 21_600, 86_400, 604_800];
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Copies the defined values only: an attribute is never `undefined`. */
function attrs(base: Attributes | undefined, extra: Record<string, string | number | boolean | undefined>): Attributes {
  const out: Attributes = { ...base };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * Records the cache's metrics with OpenTelemetry until `stop()` (attributes namespaced
 * `axios_stale_cache.*`, and the semantic conventions' `http.request.method`,
 * `http.response.status_code`):
 * - `axios_stale_cache.requests` (counter): by `state`, `cause`, `reason`, `route`, method
 * - `axios_stale_cache.request.duration` (histogram, s): by `state`, `route`
 * - `axios_stale_cache.stale.age` (histogram, s): the age of each stale answer, by `cause`, `route`
 * - `axios_stale_cache.upstream.duration` (histogram, s): each request sent upstream, by `purpose`,
 *   `outcome`, `route`, status
 * - `axios_stale_cache.store.duration` (histogram, s): each store call, by `op`, `outcome`
 * - `axios_stale_cache.entries.written` / `.dropped` (counters): store writes made, and answers not
 *   written (`reason`: too-large, invalidated, ..., or the store's `timeout`, `error`, `skipped`)
 * - `axios_stale_cache.store.breaker.state` (gauge): the worst state of the caches recorded, by
 *   `node` (0 closed, 1 half-open, 2 open)
 *
 * The meter is taken from the provider at the first request recorded, so calling this before the
 * SDK registers its global MeterProvider is fine. Each call records on its own: call it once.
 */
export function instrumentStaleCache(options: StaleCacheMetricsOptions = {}): StaleCacheMetrics {
  const base = options.attributes;
  // Attribute sets by their values: a hit records three points, and building each set anew cost more
  // than the SDK's record. The values are few by design (routes, not URLs); past 10,000, built each time.
  const memo = new Map<string, Attributes>();
  const cached = (id: string, make: () => Attributes): Attributes => {
    let made = memo.get(id);
    if (made) return made;
    made = make();
    if (memo.size < 10_000) memo.set(id, made);
    return made;
  };
  const mine = (m: { cache: StaleCacheHandle }): boolean => options.cache === undefined || m.cache === options.cache;
  let made: Instruments | undefined;
  const instruments = (): Instruments => {
    made ??= instrumentsOf(options.meterProvider ?? metrics.getMeterProvider(), base, breakers);
    return made;
  };
  // The state of each cache's breaker, by node: the gauge shows the worst.
  const breakers = new Map<string, Map<StaleCacheHandle, BreakerState>>();

  const onRequest = (message: unknown): void => {
    const m = message as RequestMessage;
    if (!mine(m) || m.state === undefined) return;
    const i = instruments();
    const route = m.route;
    const method = methodOf(m.method);
    i.requests.add(
      1,
      cached(`r\0${m.state}\0${m.cause}\0${m.reason}\0${route}\0${method}`, () =>
        attrs(base, {
          [`${NS}.state`]: m.state,
          [`${NS}.cause`]: m.cause,
          [`${NS}.reason`]: m.reason,
          [`${NS}.route`]: route,
          'http.request.method': method,
        }),
      ),
    );
    if (m.duration !== undefined) {
      const at = cached(`d\0${m.state}\0${route}`, () =>
        attrs(base, { [`${NS}.state`]: m.state, [`${NS}.route`]: route }),
      );
      i.requestDuration.record(m.duration / 1000, at);
    }
    if (m.state === 'stale' && m.age !== undefined)
      i.staleAge.record(m.age / 1000, attrs(base, { [`${NS}.cause`]: m.cause, [`${NS}.route`]: route }));
  };
  const onUpstream = (message: unknown): void => {
    const m = message as UpstreamMessage;
    if (!mine(m) || m.duration === undefined) return;
    instruments().upstreamDuration.record(
      m.duration / 1000,
      attrs(base, {
        [`${NS}.purpose`]: m.purpose,
        [`${NS}.outcome`]: m.outcome,
        [`${NS}.route`]: m.route,
        'http.request.method': methodOf(m.method),
        'http.response.status_code': m.status,
      }),
    );
  };
  const onStore = (message: unknown): void => {
    const m = message as StoreMessage;
    if (!mine(m) || m.duration === undefined) return;
    const i = instruments();
    const at = cached(`s\0${m.op}\0${m.outcome}`, () =>
      attrs(base, { [`${NS}.op`]: m.op, [`${NS}.outcome`]: m.outcome }),
    );
    i.storeDuration.record(m.duration / 1000, at);
    if (m.op !== 'set') return;
    if (m.outcome === 'ok') i.written.add(1, base);
    else i.dropped.add(1, attrs(base, { [`${NS}.reason`]: m.outcome }));
  };
  const onSkip = (message: unknown): void => {
    const m = message as SkipMessage;
    if (mine(m)) instruments().dropped.add(1, attrs(base, { [`${NS}.reason`]: m.reason }));
  };
  const onBreaker = (message: unknown): void => {
    const m = message as BreakerMessage;
    if (!mine(m)) return;
    instruments();
    const node = m.node ?? '';
    let states = breakers.get(node);
    if (!states) {
      states = new Map();
      breakers.set(node, states);
    }
    states.set(m.cache, m.state);
  };

  const traced = [
    [CHANNELS.request, onRequest],
    [CHANNELS.upstream, onUpstream],
    [CHANNELS.store, onStore],
  ] as const;
  const plain = [
    [CHANNELS.skip, onSkip],
    [CHANNELS.breaker, onBreaker],
  ] as const;
  for (const [name, fn] of traced) diagnostics.tracingChannel(name).subscribe({ asyncEnd: fn } as never);
  for (const [name, fn] of plain) diagnostics.subscribe(name, fn);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const [name, fn] of traced) diagnostics.tracingChannel(name).unsubscribe({ asyncEnd: fn } as never);
      for (const [name, fn] of plain) diagnostics.unsubscribe(name, fn);
      made?.stop();
      breakers.clear();
    },
  };
}

const NS = 'axios_stale_cache';
// The methods the semantic conventions name; any other is `_OTHER` (an unbounded attribute otherwise).
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY',
]);

function methodOf(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

interface Instruments {
  requests: Counter;
  requestDuration: Histogram;
  staleAge: Histogram;
  upstreamDuration: Histogram;
  storeDuration: Histogram;
  written: Counter;
  dropped: Counter;
  stop(): void;
}

function instrumentsOf(
  provider: MeterProvider,
  base: Attributes | undefined,
  breakers: Map<string, Map<StaleCacheHandle, BreakerState>>,
): Instruments {
  const meter = provider.getMeter('axios-stale-cache', VERSION);
  const seconds = (name: string, description: string, buckets = SECONDS): Histogram =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: buckets } });
  const gauge = meter.createObservableGauge(`${NS}.store.breaker.state`, {
    description: 'The store breaker: 0 closed, 1 half-open, 2 open (the worst of the caches recorded)',
    unit: '{state}',
  });
  const observe = (result: ObservableResult): void => {
    for (const [node, states] of breakers) {
      let worst = 0;
      for (const state of states.values()) worst = Math.max(worst, BREAKER_VALUE[state]);
      result.observe(worst, attrs(base, { [`${NS}.node`]: node || undefined }));
    }
  };
  gauge.addCallback(observe);
  return {
    requests: meter.createCounter(`${NS}.requests`, {
      description: 'Requests through the cache, by how they were answered',
      unit: '{request}',
    }),
    requestDuration: seconds(`${NS}.request.duration`, 'From dispatch to the answer'),
    staleAge: seconds(`${NS}.stale.age`, 'Age of stale answers', AGE_SECONDS),
    upstreamDuration: seconds(`${NS}.upstream.duration`, 'Requests the cache sent upstream'),
    storeDuration: seconds(`${NS}.store.duration`, 'Store calls'),
    written: meter.createCounter(`${NS}.entries.written`, {
      description: 'Store writes made (both tiers of an answer are one write)',
      unit: '{write}',
    }),
    dropped: meter.createCounter(`${NS}.entries.dropped`, {
      description: 'Writes not made or not completed, by reason',
      unit: '{write}',
    }),
    stop: () => gauge.removeCallback(observe),
  };
}
