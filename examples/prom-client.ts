/**
 * Prometheus metrics with prom-client, from the cache's diagnostics channels (no OpenTelemetry):
 * requests by state and route, and their duration. The README shows the same code.
 * Run: npm run build && npx tsx examples/prom-client.ts
 */
import { subscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { Counter, Histogram, register } from 'prom-client';
import { attachStaleCache, CHANNELS, type RequestMessage } from 'axios-stale-cache';

const requests = new Counter({
  name: 'axios_stale_cache_requests_total',
  help: 'Requests through the cache, by how they were answered',
  labelNames: ['state', 'route'],
});
const duration = new Histogram({
  name: 'axios_stale_cache_request_duration_seconds',
  help: 'From dispatch to the answer',
  labelNames: ['state'],
  buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5],
});
// A tracing channel's end: the message carries the request's answer (state, route, duration, ...).
subscribe(`tracing:${CHANNELS.request}:asyncEnd`, (message) => {
  const m = message as RequestMessage;
  if (m.state === undefined) return; // refused before the cache decided (an invalid option)
  requests.inc({ state: m.state, route: m.route });
  duration.observe({ state: m.state }, (m.duration ?? 0) / 1000);
});

async function main(): Promise<void> {
  const upstream = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const api = axios.create({ baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  const cache = attachStaleCache(api, { ttl: '1m' });
  for (const id of [1, 1, 2]) {
    await api.get(`/users/${id}`);
    await cache.settled();
  }
  const text = await register.metrics();
  console.log(
    text
      .split('\n')
      .filter((l) => l.startsWith('axios_stale_cache_requests_total'))
      .join('\n'),
  );
  const route = `127.0.0.1:${(upstream.address() as AddressInfo).port}/users/:id`;
  for (const [state, n] of [
    ['miss', 2],
    ['hit', 1],
  ] as const) {
    if (!text.includes(`axios_stale_cache_requests_total{state="${state}",route="${route}"} ${n}`)) {
      throw new Error(`example: expected ${n} ${state} on ${route}`);
    }
  }
  cache.detach();
  upstream.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
