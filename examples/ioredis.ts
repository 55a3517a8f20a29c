/**
 * The Redis store on ioredis (iovalkey works the same way): miss, hit, a stale answer when the
 * upstream fails, and what peek() shows an operator.
 * Run: npm run build && npx tsx examples/ioredis.ts (REDIS_URL, default redis://127.0.0.1:6379)
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { Redis } from 'ioredis';
import { attachStaleCache, redisStore } from 'axios-stale-cache';

async function main(): Promise<void> {
  let failing = false;
  const upstream = http.createServer((_req, res) => {
    if (failing) return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ users: ['ada', 'grace'] }));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const baseURL = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  redis.on('error', (error: Error) => console.error(`redis: ${error.message}`));
  // Until the client is ready, the store fails open (every request a miss, nothing queued): wait for it.
  await once(redis, 'ready');
  const api = axios.create({ baseURL, timeout: 1_000 });
  const cache = attachStaleCache(api, {
    store: redisStore(redis),
    primaryKeyPrefix: `example_${process.pid}_primary`,
    staleKeyPrefix: `example_${process.pid}_stale`,
    ttl: '200ms',
    staleTtl: '1h',
  });

  const states: string[] = [];
  for (const step of ['miss', 'hit', 'stale'] as const) {
    if (step === 'stale') {
      await new Promise((r) => setTimeout(r, 250));
      failing = true;
    }
    const res = await api.get('/users');
    await cache.settled();
    states.push(res.staleCache?.state ?? '?');
    console.log(`${step.padEnd(6)} -> ${res.staleCache?.state} ${JSON.stringify(res.data)}`);
  }
  console.log('peek:', await cache.peek('/users'));
  if (states.join() !== 'miss,hit,stale') throw new Error(`example: expected miss, hit, stale; got ${states.join()}`);

  await cache.clear();
  cache.detach();
  redis.disconnect();
  upstream.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
