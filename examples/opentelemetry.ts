/**
 * The cache's metrics in OpenTelemetry: one line, `instrumentStaleCache()`, once a MeterProvider is
 * registered (here the SDK's, reading into memory; in production, your exporter's).
 * Run: npm run build && npx tsx examples/opentelemetry.ts
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import axios from 'axios';
import { attachStaleCache } from 'axios-stale-cache';
import { instrumentStaleCache } from 'axios-stale-cache/opentelemetry';

async function main(): Promise<void> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

  instrumentStaleCache({ attributes: { 'cache.name': 'users-api' } }); // the one line

  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42}');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const api = axios.create({ baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  const cache = attachStaleCache(api, { ttl: '1m' });
  for (let i = 0; i < 3; i++) {
    await api.get('/users/42');
    await cache.settled();
  }

  await reader.forceFlush();
  const found = new Map<string, number>();
  for (const batch of exporter.getMetrics()) {
    for (const scope of batch.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          const value = typeof point.value === 'number' ? point.value : (point.value as { count: number }).count;
          const state = point.attributes['axios_stale_cache.state'];
          const name = `${metric.descriptor.name}${state ? `{state=${String(state)}}` : ''}`;
          found.set(name, value);
        }
      }
    }
  }
  for (const [name, value] of found) console.log(`${name} ${value}`);
  if (
    found.get('axios_stale_cache.requests{state=miss}') !== 1 ||
    found.get('axios_stale_cache.requests{state=hit}') !== 2
  ) {
    throw new Error('example: expected 1 miss and 2 hits recorded');
  }
  cache.detach();
  upstream.close();
  await reader.shutdown();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
