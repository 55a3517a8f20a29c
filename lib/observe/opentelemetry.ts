import * as diagnostics from 'node:diagnostics_channel';
import { metrics, type Attributes, type MeterProvider, type ObservableResult } from '@opentelemetry/api';
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
 * Records the cache's metrics with OpenTelemetry until `stop()`:
 * - `axios_stale_cache.requests` (counter): by `state`, `cause`, `reason`, `http.request.method`, `route`
 * - `axios_stale_cache.request.duration` (histogram, s): by `state`, `route`
 * - `axios_stale_cache.stale.age` (histogram, s): the age of each stale answer, by `cause`, `route`
 * - `axios_stale_cache.upstream.duration` (histogram, s): each request sent upstream, by `purpose`,
 *   `outcome`, `http.response.status_code`, `route`
 * - `axios_stale_cache.store.duration` (histogram, s): each store call, by `op`, `outcome`
 * - `axios_stale_cache.entries.written` / `.dropped` (counters): store writes made, and answers not
 *   written (`reason`: too-large, invalidated, ..., or the store's `timeout`, `error`, `skipped`)
 * - `axios_stale_cache.store.breaker.state` (gauge): 0 closed, 1 half-open, 2 open, by `node`
 */
export function instrumentStaleCache(options: StaleCacheMetricsOptions = {}): StaleCacheMetrics {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter = provider.getMeter('axios-stale-cache', VERSION);
  const base = options.attributes;
  const mine = (m: { cache: StaleCacheHandle }): boolean => options.cache === undefined || m.cache === options.cache;

  const requests = meter.createCounter('axios_stale_cache.requests', {
    description: 'Requests through the cache, by how they were answered',
    unit: '{request}',
  });
  const requestDuration = meter.createHistogram('axios_stale_cache.request.duration', {
    description: 'From dispatch to the answer',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const staleAge = meter.createHistogram('axios_stale_cache.stale.age', {
    description: 'Age of stale answers',
    unit: 's',
    advice: { explicitBucketBoundaries: AGE_SECONDS },
  });
  const upstreamDuration = meter.createHistogram('axios_stale_cache.upstream.duration', {
    description: 'Requests the cache sent upstream',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const storeDuration = meter.createHistogram('axios_stale_cache.store.duration', {
    description: 'Store calls',
    unit: 's',
    advice: { explicitBucketBoundaries: SECONDS },
  });
  const written = meter.createCounter('axios_stale_cache.entries.written', {
    description: 'Store writes made (both tiers of an answer are one write)',
    unit: '{write}',
  });
  const dropped = meter.createCounter('axios_stale_cache.entries.dropped', {
    description: 'Writes not made or not completed, by reason',
    unit: '{write}',
  });
  const breaker = meter.createObservableGauge('axios_stale_cache.store.breaker.state', {
    description: 'The store breaker: 0 closed, 1 half-open, 2 open',
  });
  const breakers = new Map<string, { state: BreakerState; node: string | undefined }>();
  const observeBreakers = (result: ObservableResult): void => {
    for (const { state, node } of breakers.values()) result.observe(BREAKER_VALUE[state], attrs(base, { node }));
  };
  breaker.addCallback(observeBreakers);

  const onRequest = (message: unknown): void => {
    const m = message as RequestMessage;
    if (!mine(m) || m.state === undefined) return;
    requests.add(
      1,
      attrs(base, {
        state: m.state,
        cause: m.cause,
        reason: m.reason,
        'http.request.method': m.method.toUpperCase(),
        route: m.route,
      }),
    );
    if (m.duration !== undefined)
      requestDuration.record(m.duration / 1000, attrs(base, { state: m.state, route: m.route }));
    if (m.state === 'stale' && m.age !== undefined)
      staleAge.record(m.age / 1000, attrs(base, { cause: m.cause, route: m.route }));
  };
  const onUpstream = (message: unknown): void => {
    const m = message as UpstreamMessage;
    if (!mine(m) || m.duration === undefined) return;
    upstreamDuration.record(
      m.duration / 1000,
      attrs(base, {
        purpose: m.purpose,
        outcome: m.outcome,
        'http.response.status_code': m.status,
        route: m.route,
      }),
    );
  };
  const onStore = (message: unknown): void => {
    const m = message as StoreMessage;
    if (!mine(m) || m.duration === undefined) return;
    storeDuration.record(m.duration / 1000, attrs(base, { op: m.op, outcome: m.outcome }));
    if (m.op !== 'set') return;
    if (m.outcome === 'ok') written.add(1, base);
    else dropped.add(1, attrs(base, { reason: m.outcome }));
  };
  const onSkip = (message: unknown): void => {
    const m = message as SkipMessage;
    if (mine(m)) dropped.add(1, attrs(base, { reason: m.reason }));
  };
  const onBreaker = (message: unknown): void => {
    const m = message as BreakerMessage;
    if (!mine(m)) return;
    let id = ids.get(m.cache);
    if (id === undefined) {
      id = ids.size;
      ids.set(m.cache, id);
    }
    breakers.set(`${id}:${m.node ?? ''}`, { state: m.state, node: m.node });
  };
  const ids = new Map<StaleCacheHandle, number>();

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
      breaker.removeCallback(observeBreakers);
    },
  };
}
