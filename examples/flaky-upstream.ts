/**
 * npm run example: what the cache is for, in nine requests. A local upstream on 127.0.0.1 answers,
 * then fails with 500s, then refuses connections, then recovers; the client keeps answering. Then
 * outage mode: the upstream hangs, and callers are answered in 50 ms instead of their timeout.
 * Memory store by default; set REDIS_URL to run the same on Redis.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import axios from 'axios';
import { attachStaleCache, memoryStore, redisStore, type CacheStore, type StaleCacheHandle } from 'axios-stale-cache';

type Mode = 'ok' | '500' | 'hang';

/** An upstream whose behaviour we switch: serving version N, answering 500, hanging, or not listening at all. */
async function flakyUpstream(): Promise<{
  url: string;
  setMode(m: Mode, version?: number): void;
  down(): Promise<void>;
  up(): Promise<void>;
}> {
  let mode: Mode = 'ok';
  let version = 1;
  const sockets = new Set<Socket>();
  const server = http.createServer((_req, res) => {
    if (mode === 'hang') return; // never answers: the client's timeout ends it
    if (mode === '500') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ price: 100 + version, version }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setMode(m, v) {
      mode = m;
      if (v !== undefined) version = v;
    },
    async down() {
      const closed = once(server, 'close');
      server.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
    async up() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
  };
}

/** The memory store, or Redis when REDIS_URL is set. */
async function chooseStore(): Promise<{ store: CacheStore; name: string; close(): Promise<void> }> {
  const url = process.env.REDIS_URL;
  if (!url) return { store: memoryStore(), name: 'memory', close: async () => undefined };
  const { createClient } = await import('redis');
  const client = createClient({ url });
  client.on('error', (error: Error) => console.error(`redis: ${error.message}`)); // never crash on a dropped connection
  await client.connect();
  return { store: redisStore(client), name: `redis (${url})`, close: async () => void (await client.close()) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const upstream = await flakyUpstream();
  const { store, name, close } = await chooseStore();
  const client = axios.create({ baseURL: upstream.url, timeout: 1_000 });
  const cache = attachStaleCache(client, { store, ttl: 500, staleTtl: 60_000 });
  console.log(`axios-stale-cache example: upstream ${upstream.url}, ${name} store, ttl 500 ms\n`);

  let n = 0;
  // Part one waits for each answer's write; part two does not (its background request is the point).
  const ask = async (what: string, via = client, settle: StaleCacheHandle | undefined = cache): Promise<void> => {
    n++;
    const started = performance.now();
    try {
      const res = await via.get('/price', { params: { sku: 'A-1' } });
      const meta = res.staleCache;
      const ms = Math.round(performance.now() - started);
      const detail = meta?.state === 'stale' ? ` (cause: ${meta.cause}, age ${meta.age} ms)` : '';
      console.log(
        `${String(n).padStart(2)}. ${what.padEnd(34)} ${meta?.state.padEnd(5)} ${String(ms).padStart(4)} ms ${JSON.stringify(res.data)}${detail}`,
      );
    } catch (error) {
      console.log(`${String(n).padStart(2)}. ${what.padEnd(34)} error ${(error as Error).message}`);
    }
    await settle?.settled();
  };

  await ask('upstream healthy');
  await ask('again, within ttl');
  await sleep(600);
  upstream.setMode('500');
  await ask('ttl over, upstream answers 500');
  await ask('still 500');
  await upstream.down();
  await ask('upstream refuses connections');
  await ask('still down');
  await upstream.up();
  upstream.setMode('ok', 2);
  await ask('upstream back with a new price');
  await ask('again, within ttl');
  await cache.invalidate({ url: '/price', params: { sku: 'A-1' } });
  await ask('after invalidate()');
  console.log('\nstats:', cache.stats());
  cache.detach();

  // Outage mode on the same store: a hanging upstream costs callers 50 ms, and is then left alone.
  const resilient = axios.create({ baseURL: upstream.url, timeout: 1_000 });
  const outage = attachStaleCache(resilient, {
    store,
    ttl: 500,
    staleTtl: 60_000,
    softTimeout: 50,
    failureBackoff: 10_000,
  });
  console.log('\noutage mode: softTimeout 50 ms, failureBackoff 10 s, axios timeout 1000 ms\n');
  await sleep(600);
  upstream.setMode('hang');
  await ask('ttl over, upstream hangs', resilient, undefined);
  await ask('still hanging', resilient, undefined);
  await outage.settled(); // the background request timed out at 1000 ms: a backoff starts
  upstream.setMode('ok', 3);
  await ask('upstream back, backoff still holds', resilient, undefined);
  console.log('\nstats:', outage.stats());
  outage.detach();
  await close();
  await upstream.down();
}

const watchdog = setTimeout(() => {
  console.error('example did not finish within 15 s');
  process.exit(1);
}, 15_000);
watchdog.unref();

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
