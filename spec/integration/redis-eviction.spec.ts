import axios from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache, redisStore } from '../../lib/index';
import { connect } from '../helpers/redis';
import { fakeClock } from '../helpers/time';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { startRedisServer } from '../setup/redis-server';

/*
 * The stale tier under memory pressure: a private redis-server with 2 MB of maxmemory, 300 answers of
 * 3 KB written through the cache (7.4 KB in Redis each, both tiers: more than fits), then the upstream
 * fails and every URL is asked again. How many get a stale answer is what the eviction policy kept.
 * Measured (README, "Redis memory"): allkeys-lru 130-139 of 300, noeviction 139, volatile-ttl 237.
 */
const URLS = 300;
const BODY = { items: Array.from({ length: 60 }, (_, i) => ({ id: i, name: `item number ${i}`, tags: ['a', 'b'] })) };

async function staleAfterPressure(upstream: Upstream, policy: string): Promise<number> {
  const redis = await startRedisServer(undefined, ['--maxmemory', '2mb', '--maxmemory-policy', policy]);
  let client: RedisClientType | undefined;
  const clock = fakeClock();
  try {
    client = await connect(redis.url);
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 5_000 });
    const cache = attachStaleCache(http, { store: redisStore(client), ttl: '5s', staleTtl: '1h', storeTimeout: 1_000 });
    upstream.route('/item', send.json(BODY));
    for (let i = 0; i < URLS; i++) {
      await http.get('/item', { params: { i } });
      await cache.settled();
    }
    upstream.route('/item', send.status(503));
    clock.advance(6_000); // every primary entry expired for the cache, whatever Redis kept
    let stale = 0;
    for (let i = 0; i < URLS; i++) {
      const res = await http
        .get('/item', { params: { i } })
        .catch((e: { response?: { staleCache?: { state?: string } } }) => e.response);
      if (res?.staleCache?.state === 'stale') stale++;
    }
    cache.detach();
    return stale;
  } finally {
    clock.restore();
    await client?.close();
    await redis.stop();
  }
}

describe('the stale tier under memory pressure (private redis-servers with 2 MB of maxmemory)', () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream.close());

  it('volatile-ttl evicts primary entries first and keeps far more stale copies than allkeys-lru', async () => {
    const lru = await staleAfterPressure(upstream, 'allkeys-lru');
    const ttl = await staleAfterPressure(upstream, 'volatile-ttl');
    console.log(`stale answers after memory pressure, of ${URLS}: allkeys-lru ${lru}, volatile-ttl ${ttl}`);
    // Both tiers of 300 answers do not fit: allkeys-lru evicts them alike (about half are left).
    expect(lru).toBeLessThan(URLS * 0.6);
    // volatile-ttl takes the keys closest to expiry: the primary tier's (5 s against an hour).
    expect(ttl).toBeGreaterThan(lru + 50);
  }, 60_000);
});
