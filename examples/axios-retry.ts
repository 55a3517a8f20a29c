/**
 * axios-retry and the cache on one instance. What happens:
 * - A failure the stale tier answers is not an error: axios-retry never sees it, nothing is retried,
 *   and the caller gets the stale answer at once (the point of a stale cache).
 * - A failure with no stale answer reaches axios-retry, which sends the request again: each retry
 *   goes through the cache as a request of its own (a lookup, then the upstream), and the answer
 *   that finally succeeds is stored.
 * - With failureBackoff, the retries of a request that failed are answered from the backoff marker
 *   once there is a stale entry, without reaching the upstream.
 * The order of attaching does not matter: the cache installs its adapter per request, and a config
 * axios-retry sends again is unwrapped first.
 * Run: npm run build && npx tsx examples/axios-retry.ts
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import axiosRetry from 'axios-retry';
import { attachStaleCache } from 'axios-stale-cache';

async function main(): Promise<void> {
  let failuresLeft = 0;
  let calls = 0;
  const upstream = http.createServer((_req, res) => {
    calls++;
    if (failuresLeft > 0) {
      failuresLeft--;
      return void res.writeHead(503).end();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ at: Date.now() }));
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const api = axios.create({ baseURL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
  axiosRetry(api, { retries: 3, retryDelay: () => 10 });
  const cache = attachStaleCache(api, { ttl: '100ms', staleTtl: '1h' });
  const expect = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`example: expected ${what}`);
  };

  // 1. Nothing stored yet, the upstream fails twice: axios-retry retries through the cache.
  failuresLeft = 2;
  const first = await api.get('/report');
  await cache.settled();
  console.log(`no stale entry, 2 failures: ${first.staleCache?.state} after ${calls} upstream calls`);
  expect(first.staleCache?.state === 'miss' && calls === 3, 'a miss after two retries');

  // 2. The entry expired, the upstream fails: the stale tier answers, nothing is retried.
  await new Promise((r) => setTimeout(r, 150));
  failuresLeft = 5;
  calls = 0;
  const second = await api.get('/report');
  console.log(
    `stale entry, upstream failing: ${second.staleCache?.state} (${second.staleCache?.cause}) after ${calls} upstream call`,
  );
  expect(second.staleCache?.state === 'stale' && calls === 1, 'a stale answer and no retry');

  cache.detach();
  upstream.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
