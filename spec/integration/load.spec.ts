import axios from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache } from '../../lib/attach';
import { StoreTimeoutError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis';
import { connect, prefixes } from '../helpers/redis';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { privateRedis } from '../setup/redis-server';

/** Deterministic randomness, so a failing run can be replayed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Issue 4, test 4: correctness under load with a flaky upstream, on Redis. Speed is not asserted; the store breaker is. */
describe('load: 10,000 requests, concurrency 100, 200 URLs, upstream failing 30%', () => {
  // A Redis of its own, favoured by the scheduler: neither other test files' commands (a SCAN, a burst
  // of writes) nor the load that keeps the cores busy may be what makes it slow, since the breaker's
  // assertion below is about this process. (Unfavoured, under both cores kept busy, the server was
  // starved past the 100 ms storeTimeout for whole bursts: real store slowness, which rightly opens it.)
  const redisUrl = privateRedis({ favoured: true });
  let upstream: Upstream;
  let client: RedisClientType;
  const p = prefixes();

  // Per test (there is one): privateRedis stops its server in an afterAll, which may run before ours.
  beforeEach(async () => {
    upstream = await startUpstream();
    client = await connect(redisUrl());
  });
  afterEach(async () => {
    await client.close();
    await upstream.close();
  });

  it('every answer is correct for its URL; counts are printed', async () => {
    const rng = mulberry32(20261125);
    const serverRng = mulberry32(42);
    const URLS = 200;
    for (let i = 0; i < URLS; i++) {
      const ok = send.json({ id: i, name: `item ${i}`, pad: 'x'.repeat(200) });
      const fail = send.status(503);
      const reset = send.reset();
      upstream.route(`/item/${i}`, (req, res) => {
        const r = serverRng();
        if (r < 0.2) return fail(req, res);
        if (r < 0.3) return reset(req, res);
        return ok(req, res);
      });
    }
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 2_000 });
    const cache = attachStaleCache(http, { store: redisStore(client), ttl: 20, staleTtl: 60_000, ...p });
    let opened = 0;
    cache.on('breaker', (e) => {
      if (e.state === 'open') opened++;
    });
    const timeouts = { store: 0, processLate: 0 };
    cache.on('error', (e) => {
      if (!(e.error instanceof StoreTimeoutError)) return;
      if (e.error.processLate) timeouts.processLate += e.repeated ?? 1;
      else timeouts.store += e.repeated ?? 1;
    });
    const counts = { fresh: 0, hit: 0, stale: 0, error: 0 };
    const wrong: string[] = [];
    let next = 0;
    const TOTAL = 10_000;
    const started = Date.now();
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        next++;
        const id = Math.floor(rng() * URLS);
        try {
          const res = await http.get(`/item/${id}`);
          if (res.data?.id !== id || res.data?.name !== `item ${id}`)
            wrong.push(`/item/${id} got ${JSON.stringify(res.data).slice(0, 60)}`);
          const state = res.staleCache?.state;
          if (state === 'miss') counts.fresh++;
          else if (state === 'hit') counts.hit++;
          else if (state === 'stale') counts.stale++;
          else wrong.push(`/item/${id} state ${String(state)}`);
        } catch (error) {
          // Only an upstream failure with no stale entry may reach the caller, as the upstream's own error.
          const status = axios.isAxiosError(error) ? error.response?.status : undefined;
          const network = axios.isAxiosError(error) && !error.response;
          if (status === 503 || network) counts.error++;
          else wrong.push(`/item/${id} threw ${String((error as Error).message)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 100 }, worker));
    await cache.settled();
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `load run: ${TOTAL} requests in ${seconds.toFixed(1)} s: fresh ${counts.fresh}, hit ${counts.hit}, stale ${counts.stale}, error ${counts.error}; upstream calls ${upstream.calls()}; store breaker opened ${opened} times (${cache.stats().storeSkipped} store calls skipped); store timeouts ${timeouts.store}, of this process's ${timeouts.processLate}`,
    );
    expect(wrong).toEqual([]);
    expect(counts.fresh + counts.hit + counts.stale + counts.error).toBe(TOTAL);
    expect(counts.stale).toBeGreaterThan(0); // the flaky upstream was really answered from the stale tier
    expect(counts.hit).toBeGreaterThan(0);
    // A healthy Redis is never turned off, however busy this process is: a store call that timed out
    // while this process's event loop ran late is not counted against the store. A Redis that the
    // loaded machine itself starves (timeouts of the store's own, five in a row open the breaker) may be.
    if (timeouts.store < 5) {
      expect(opened).toBe(0);
      expect(cache.stats().storeSkipped).toBe(0);
    }
    cache.detach();
  }, 120_000);
});
