import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import axios from 'axios';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { attachStaleCache } from '../../lib/index';
import { instrumentStaleCache } from '../../lib/observe/opentelemetry';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { downStore } from '../helpers/recording-store';
import { fakeClock } from '../helpers/time';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

/** A provider whose metrics the test collects on demand (the reader's interval never fires). */
function provider(): { provider: MeterProvider; collect(): Promise<MetricData[]> } {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const p = new MeterProvider({ readers: [reader] });
  return {
    provider: p,
    async collect() {
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    },
  };
}

function points(all: MetricData[], name: string): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  const metric = all.filter((m) => m.descriptor.name === name).pop();
  return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
}

const sum = (ps: Array<{ value: unknown }>): number =>
  ps.reduce((n, p) => n + (typeof p.value === 'number' ? p.value : ((p.value as { count: number }).count ?? 0)), 0);

describe('instrumentStaleCache (OpenTelemetry metrics)', () => {
  it('records requests by state, latencies, stale age, writes and drops, through the in-memory exporter', async () => {
    const clock = fakeClock();
    const { provider: meterProvider, collect } = provider();
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 1_000, maxEntryBytes: 10_000 });
    const otel = instrumentStaleCache({ meterProvider, cache, attributes: { 'cache.name': 'users' } });
    try {
      upstream.route('/users/1', send.json({ id: 1 }));
      upstream.route('/big', send.json({ big: 'x'.repeat(20_000) }));
      await http.get('/users/1');
      await http.get('/users/1');
      await http.get('/big');
      upstream.route('/users/1', send.status(503));
      clock.advance(5_000);
      await http.get('/users/1');
      await cache.settled();

      const all = await collect();
      const requests = points(all, 'axios_stale_cache.requests');
      const byState = (state: string) => requests.filter((p) => p.attributes['axios_stale_cache.state'] === state);
      expect(sum(byState('miss'))).toBe(2);
      expect(sum(byState('hit'))).toBe(1);
      expect(sum(byState('stale'))).toBe(1);
      expect(byState('stale')[0]?.attributes).toMatchObject({
        'axios_stale_cache.cause': 'status',
        'axios_stale_cache.route': `127.0.0.1:${upstream.port}/users/:id`,
        'http.request.method': 'GET',
        'cache.name': 'users',
      });
      expect(requests.every((p) => !('url' in p.attributes))).toBe(true);

      const age = points(all, 'axios_stale_cache.stale.age');
      expect(sum(age)).toBe(1);
      expect((age[0]?.value as { sum: number } | undefined)?.sum).toBeGreaterThanOrEqual(5);

      expect(sum(points(all, 'axios_stale_cache.request.duration'))).toBe(4);
      const up = points(all, 'axios_stale_cache.upstream.duration');
      expect(sum(up.filter((p) => p.attributes['axios_stale_cache.outcome'] === 'success'))).toBe(2);
      expect(
        up.find((p) => p.attributes['axios_stale_cache.outcome'] === 'failure')?.attributes[
          'http.response.status_code'
        ],
      ).toBe(503);
      const store = points(all, 'axios_stale_cache.store.duration');
      expect(sum(store.filter((p) => p.attributes['axios_stale_cache.op'] === 'get'))).toBeGreaterThanOrEqual(4);
      expect(sum(points(all, 'axios_stale_cache.entries.written'))).toBe(1);
      const dropped = points(all, 'axios_stale_cache.entries.dropped');
      expect(dropped.map((p) => [p.attributes['axios_stale_cache.reason'], p.value])).toEqual([['too-large', 1]]);
      expect(all.find((m) => m.descriptor.name === 'axios_stale_cache.request.duration')?.dataPointType).toBe(
        DataPointType.HISTOGRAM,
      );
    } finally {
      otel.stop();
      cache.detach();
      clock.restore();
      await meterProvider.shutdown();
    }
  });

  it('reports the store breaker as a gauge, and records nothing after stop()', async () => {
    const { provider: meterProvider, collect } = provider();
    const down = downStore();
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: down, storeBreaker: { failures: 2, cooldown: 60_000 } });
    const otel = instrumentStaleCache({ meterProvider, cache });
    upstream.route('/b', send.json({}));
    for (let i = 0; i < 3; i++) await http.get('/b');
    await cache.settled();
    const all = await collect();
    expect(points(all, 'axios_stale_cache.store.breaker.state').map((p) => p.value)).toEqual([2]);
    const outcomes = points(all, 'axios_stale_cache.store.duration').map(
      (p) => p.attributes['axios_stale_cache.outcome'],
    );
    expect(outcomes).toEqual(expect.arrayContaining(['error', 'skipped']));
    otel.stop();
    await http.get('/b');
    const after = await collect();
    expect(sum(points(after, 'axios_stale_cache.requests'))).toBe(3);
    cache.detach();
    await meterProvider.shutdown();
  });

  it('shows the worst breaker of several caches, takes a global provider registered after it, and names odd methods _OTHER', async () => {
    const otel = instrumentStaleCache(); // before any global MeterProvider
    const { provider: meterProvider, collect } = provider();
    metrics.setGlobalMeterProvider(meterProvider);
    const down = downStore();
    const sick = axios.create({ baseURL: upstream.baseURL });
    const healthy = axios.create({ baseURL: upstream.baseURL });
    const a = attachStaleCache(sick, { store: down, storeBreaker: { failures: 2, cooldown: 60_000 } });
    const b = attachStaleCache(healthy);
    try {
      upstream.route('/w', send.json({}));
      for (let i = 0; i < 3; i++) await sick.get('/w');
      await healthy.request({ url: '/w', method: 'PURGE' as never });
      await Promise.all([a.settled(), b.settled()]);
      const all = await collect();
      expect(points(all, 'axios_stale_cache.store.breaker.state').map((p) => p.value)).toEqual([2]);
      const methods = points(all, 'axios_stale_cache.requests').map((p) => p.attributes['http.request.method']);
      expect(methods).toEqual(expect.arrayContaining(['GET', '_OTHER']));
    } finally {
      otel.stop();
      a.detach();
      b.detach();
      metrics.disable();
      await meterProvider.shutdown();
    }
  });

  it('names the meter with the package’s version', () => {
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    const source = readFileSync(path.join(__dirname, '../../lib/observe/opentelemetry.ts'), 'utf8');
    expect(source).toContain(`const VERSION = '${pkg.version}';`);
  });
});
