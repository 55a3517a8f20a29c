/**
 * An Express service whose quotes come from an upstream it must not go down with, on Redis, in
 * outage mode: a hanging upstream costs its callers 100 ms (softTimeout), and a failing one is then
 * left alone for 30 s by every process sharing the Redis (failureBackoff).
 * Run: npm run build && npx tsx examples/express-redis-outage.ts (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express from 'express';
import { createClient } from 'redis';
import { attachStaleCache, cacheMeta, redisStore } from 'axios-stale-cache';

type Mode = 'ok' | 'hang' | 'down';

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function main(): Promise<void> {
  // The upstream: answers, hangs, or fails with 503.
  let mode: Mode = 'ok';
  let upstreamCalls = 0;
  const upstream = http.createServer((_req, res) => {
    upstreamCalls++;
    if (mode === 'hang') return;
    if (mode === 'down') return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ eur: 1.08 }));
  });
  const upstreamUrl = await listen(upstream);

  // The service: one Redis client, one cached axios instance, shared by every route.
  const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  redis.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  await redis.connect();
  const quotes = axios.create({ baseURL: upstreamUrl, timeout: 2_000 });
  const cache = attachStaleCache(quotes, {
    store: redisStore(redis),
    primaryKeyPrefix: `example_${process.pid}_primary`,
    staleKeyPrefix: `example_${process.pid}_stale`,
    ttl: '1s',
    staleTtl: '1d',
    softTimeout: '100ms',
    failureBackoff: '30s',
  });
  const app = express();
  app.get('/quote', async (_req, res) => {
    try {
      const answer = await quotes.get<{ eur: number }>('/rates/usd');
      const { state, cause } = cacheMeta(answer);
      res.json({ ...answer.data, cache: state, ...(cause ? { cause } : {}) });
    } catch {
      res.status(502).json({ error: 'no quote' });
    }
  });
  const service = http.createServer(app);
  const serviceUrl = await listen(service);

  const ask = async (what: string): Promise<{ cache: string; cause?: string }> => {
    const started = performance.now();
    const { data } = await axios.get<{ cache: string; cause?: string }>(`${serviceUrl}/quote`);
    console.log(
      `${what.padEnd(40)} ${String(Math.round(performance.now() - started)).padStart(5)} ms  ${JSON.stringify(data)}`,
    );
    return data;
  };
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`example: expected ${what}`);
  };

  expect((await ask('upstream healthy')).cache === 'miss', 'a miss');
  await cache.settled();
  expect((await ask('again')).cache === 'hit', 'a hit');
  await new Promise((r) => setTimeout(r, 1_100));
  mode = 'hang';
  const slow = await ask('ttl over, upstream hangs');
  expect(slow.cache === 'stale' && slow.cause === 'slow', 'a stale answer at the soft timeout');
  await cache.settled(); // the background request times out after 2 s: a backoff starts
  mode = 'down';
  const before = upstreamCalls;
  const held = await ask('upstream failing, backoff holds');
  expect(held.cause === 'backoff' && upstreamCalls === before, 'the backoff to answer without the upstream');

  console.log('\nstats:', cache.stats());
  await cache.clear(); // this example's keys, and nothing else of the Redis
  cache.detach();
  await redis.close();
  service.close();
  upstream.closeAllConnections();
  upstream.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
