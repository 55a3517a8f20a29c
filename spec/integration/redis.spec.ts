import { monitorEventLoopDelay } from 'node:perf_hooks';
import axios, { type AxiosInstance } from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache } from '../../lib/attach';
import { redisStore } from '../../lib/stores/redis';
import type { CacheErrorEvent, StaleCacheHandle } from '../../lib/types';
import { RedisNotReadyError, StoreTimeoutError } from '../../lib/errors';
import { runFixture } from '../helpers/fixtures';
import { cleanup, commandDelta, connect, keysOf, prefixes, REDIS_URL } from '../helpers/redis';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { privateRedis, startRedisServer, type RedisProcess } from '../setup/redis-server';
import { sleep } from '../helpers/time';

describe('Redis store: keys, TTLs, sharing, garbage, invalidate (shared Redis)', () => {
  let client: RedisClientType;
  let upstream: Upstream;
  let p: ReturnType<typeof prefixes>;
  let http: AxiosInstance;
  let cache: StaleCacheHandle;

  beforeEach(async () => {
    client = await connect();
    upstream = await startUpstream();
    upstream.route('/users', send.json({ users: ['ada'] }));
    p = prefixes();
    http = axios.create({ baseURL: upstream.baseURL, timeout: 1_000 });
    cache = attachStaleCache(http, { store: redisStore(client), ttl: 5_000, staleTtl: 600_000, ...p });
  });
  afterEach(async () => {
    cache.detach();
    await cleanup(client, p);
    await client.close();
    await upstream.close();
  });

  it('after a miss both keys exist under the (custom) prefixes, with PTTL close to ttl and staleTtl', async () => {
    const res = await http.get('/users');
    await cache.settled();
    const keys = await keysOf(client, p);
    expect(keys).toHaveLength(2);
    const primary = res.staleCache?.key ?? '';
    expect(primary).toMatch(new RegExp(`^${p.primaryKeyPrefix}:\\{[\\w-]{43}\\}$`));
    const stale = primary.replace(p.primaryKeyPrefix, p.staleKeyPrefix);
    expect(keys).toEqual([primary, stale].sort());
    const [pPrimary, pStale] = await Promise.all([client.pTTL(primary), client.pTTL(stale)]);
    expect(pPrimary).toBeGreaterThan(4_800);
    expect(pPrimary).toBeLessThanOrEqual(5_000);
    expect(pStale).toBeGreaterThan(599_800);
    expect(pStale).toBeLessThanOrEqual(600_000);
  });

  it('staleTtl: Infinity writes the stale key without an expiry, the primary with its ttl', async () => {
    const res = await http.get('/users', { staleCache: { staleTtl: Infinity } });
    await cache.settled();
    const primary = res.staleCache?.key ?? '';
    expect(await client.pTTL(primary.replace(p.primaryKeyPrefix, p.staleKeyPrefix))).toBe(-1);
    expect(await client.pTTL(primary)).toBeGreaterThan(4_000);
  });

  it('per-request ttl and staleTtl reach Redis', async () => {
    const res = await http.get('/users', { staleCache: { ttl: 1_000, staleTtl: 30_000 } });
    await cache.settled();
    const primary = res.staleCache?.key ?? '';
    expect(await client.pTTL(primary)).toBeLessThanOrEqual(1_000);
    expect(await client.pTTL(primary)).toBeGreaterThan(800);
    expect(await client.pTTL(primary.replace(p.primaryKeyPrefix, p.staleKeyPrefix))).toBeGreaterThan(29_800);
  });

  it('two instances with separate connections share entries: one’s miss is the other’s hit', async () => {
    const other = await connect();
    const http2 = axios.create({ baseURL: upstream.baseURL });
    const cache2 = attachStaleCache(http2, { store: redisStore(other), ...p });
    const first = await http.get('/users');
    await cache.settled();
    const second = await http2.get('/users');
    expect([first.staleCache?.state, second.staleCache?.state]).toEqual(['miss', 'hit']);
    expect(second.data).toEqual({ users: ['ada'] });
    expect(upstream.calls('/users')).toBe(1);
    cache2.detach();
    await other.close();
  });

  it('a backoff marker made from an entry read earlier never replaces a newer one another instance stored', async () => {
    let mode: 'v1' | 'hold' | 'v2' | 'down' = 'v1';
    let failHeld = (): void => undefined;
    upstream.route('/v', (req, res) => {
      if (mode === 'hold') {
        mode = 'v2';
        failHeld = () => send.status(503)(req, res);
      } else if (mode === 'down') send.status(503)(req, res);
      else send.json({ v: mode === 'v1' ? 1 : 2 })(req, res);
    });
    const options = { ttl: 0, staleTtl: 600_000, failureBackoff: 10_000, ...p };
    const otherClient = await connect();
    const aHttp = axios.create({ baseURL: upstream.baseURL });
    const a = attachStaleCache(aHttp, { ...options, store: redisStore(client), softTimeout: 20 });
    const bHttp = axios.create({ baseURL: upstream.baseURL });
    const b = attachStaleCache(bHttp, { ...options, store: redisStore(otherClient) });
    try {
      await aHttp.get('/v'); // v1 in the stale tier
      await a.settled();
      mode = 'hold';
      const early = await aHttp.get('/v'); // A reads v1, and is answered it at its soft timeout
      expect([early.staleCache?.cause, early.data]).toEqual(['slow', { v: 1 }]);
      const fresh = await bHttp.get('/v'); // meanwhile B stores v2
      await b.settled();
      expect(fresh.data).toEqual({ v: 2 });
      failHeld(); // A's request fails now: a backoff marker built from v1 would go over v2
      await a.settled();
      mode = 'down';
      const after = await bHttp.get('/v');
      expect([after.staleCache?.state, after.data]).toEqual(['stale', { v: 2 }]);
    } finally {
      a.detach();
      b.detach();
      await otherClient.close();
    }
  });

  it('a stale answer written by another process (a child) is served here when the upstream fails', async () => {
    upstream.route('/shared', send.json({ from: 'child-era' }));
    const stdout = await runFixture('redis-writer.ts', [
      REDIS_URL,
      upstream.baseURL,
      p.primaryKeyPrefix,
      p.staleKeyPrefix,
    ]);
    const child = JSON.parse(stdout) as { state: string; key: string; pid: number };
    expect(child.state).toBe('miss');
    expect(child.pid).not.toBe(process.pid);
    await sleep(80); // the child's primary ttl (50 ms) is over
    upstream.route('/shared', send.status(503));
    const res = await http.get('/shared');
    expect(res.staleCache?.state).toBe('stale');
    expect(res.staleCache?.key).toBe(child.key);
    expect(res.data).toEqual({ from: 'child-era' });
  }, 30_000);

  const garbage: Array<[string, (good: Buffer) => Buffer | string]> = [
    ['garbage', () => 'this is not an entry'],
    ['truncated', (good) => good.subarray(0, good.length - 5)],
    ['of a future version', (good) => Buffer.from(good.toString('latin1').replace(/^\[\d+,/, '[7,'), 'latin1')],
  ];
  it.each(garbage)(
    'a value overwritten by hand (%s) is a miss: no throw, an error event, and the next success overwrites it',
    async (_name, spoil) => {
      const first = await http.get('/users');
      await cache.settled();
      const key = first.staleCache?.key ?? '';
      const good = (await client.withTypeMapping({ 36: Buffer }).get(key)) as unknown as Buffer;
      await client.set(key, spoil(good), { expiration: { type: 'PX', value: 60_000 } });
      const errors: CacheErrorEvent[] = [];
      cache.on('error', (e) => errors.push(e));
      const res = await http.get('/users');
      expect(res.staleCache?.state).toBe('miss');
      expect(res.data).toEqual({ users: ['ada'] });
      expect(errors.map((e) => [e.op, e.key])).toEqual([['decode', key]]);
      await cache.settled();
      expect((await http.get('/users')).staleCache?.state).toBe('hit');
      expect(upstream.calls('/users')).toBe(2);
    },
  );

  it('invalidate removes both tiers', async () => {
    const res = await http.get('/users');
    await cache.settled();
    expect(await keysOf(client, p)).toHaveLength(2);
    await cache.invalidate('/users');
    expect(await keysOf(client, p)).toHaveLength(0);
    expect(await client.exists(res.staleCache?.key ?? '')).toBe(0);
  });

  it('invalidate removes every vary variant of a URL', async () => {
    const varied = axios.create({ baseURL: upstream.baseURL });
    const vcache = attachStaleCache(varied, { store: redisStore(client), vary: ['accept-language'], ...p });
    await Promise.all(['en', 'fr', 'de'].map((l) => varied.get('/users', { headers: { 'Accept-Language': l } })));
    await vcache.settled();
    expect(await keysOf(client, p)).toHaveLength(7); // three vary values, two tiers each, and the URL's index of them
    await vcache.invalidate('/users');
    expect(await keysOf(client, p)).toHaveLength(0);
    vcache.detach();
  });

  it('binary bodies are byte-exact through Redis', async () => {
    const bytes = Buffer.alloc(70_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) % 256;
    upstream.route('/blob', send.bytes(bytes));
    await http.get('/blob', { responseType: 'arraybuffer' });
    await cache.settled();
    const hit = await http.get('/blob', { responseType: 'arraybuffer' });
    expect(hit.staleCache?.state).toBe('hit');
    expect(Buffer.compare(hit.data, bytes)).toBe(0);
  });

  it('an entry above maxEntryBytes is not stored', async () => {
    upstream.route('/big', send.text('x'.repeat(5_000)));
    const small = axios.create({ baseURL: upstream.baseURL });
    const scache = attachStaleCache(small, { store: redisStore(client), maxEntryBytes: 4_096, ...p });
    await small.get('/big');
    await scache.settled();
    expect(await keysOf(client, p)).toHaveLength(0);
    scache.detach();
  });
});

describe('Redis store: a busy process (a private redis-server, favoured by the scheduler)', () => {
  // Its own server, ahead of the load that keeps the cores busy: the test is about this process
  // being busy, not about a starved or shared server answering late.
  const redisUrl = privateRedis({ favoured: true });
  let client: RedisClientType;
  let upstream: Upstream;
  let http: AxiosInstance;
  let cache: StaleCacheHandle;
  const p = prefixes();

  beforeEach(async () => {
    client = await connect(redisUrl());
    upstream = await startUpstream();
    upstream.route('/users', send.json({ users: ['ada'] }));
    http = axios.create({ baseURL: upstream.baseURL, timeout: 1_000 });
    cache = attachStaleCache(http, { store: redisStore(client), ttl: 5_000, staleTtl: 600_000, ...p });
  });
  afterEach(async () => {
    cache.detach();
    await client.close();
    await upstream.close();
  });

  it('an answer that arrived while this process was busy is read, not a timeout (nor a failure for the breaker)', async () => {
    await http.get('/users');
    await cache.settled();
    const inner = redisStore(client);
    const busy = axios.create({ baseURL: upstream.baseURL });
    const busyCache = attachStaleCache(busy, {
      // The GET goes out (node-redis writes it in a setImmediate, which runs before ours), then this
      // process is busy for 300 ms: Redis answers meanwhile (at once when idle, well within it on a
      // loaded machine), and the answer waits in the socket until the event loop turns, when the 50 ms
      // bound is due as well.
      store: {
        ...inner,
        get: (key) => {
          const reply = inner.get(key);
          setImmediate(() => {
            const until = performance.now() + 300;
            while (performance.now() < until);
          });
          return reply;
        },
      },
      storeTimeout: 50,
      ttl: 5_000,
      staleTtl: 600_000,
      ...p,
    });
    const errors: CacheErrorEvent[] = [];
    busyCache.on('error', (e) => errors.push(e));
    try {
      const res = await busy.get('/users');
      expect(errors).toEqual([]);
      expect(res.staleCache?.state).toBe('hit');
    } finally {
      busyCache.detach();
    }
  });
});

describe('Redis store: commands per request, counted by the server (a private redis-server)', () => {
  let redis: RedisProcess;
  let client: RedisClientType;
  let admin: RedisClientType;
  let upstream: Upstream;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = await connect(redis.url);
    admin = await connect(redis.url);
    upstream = await startUpstream();
    upstream.route('/users', send.json({ users: ['ada'] }));
  });
  afterAll(async () => {
    await client.close();
    await admin.close();
    await redis.stop();
    await upstream.close();
  });

  const delta = (action: () => Promise<unknown>): Promise<Record<string, number>> => commandDelta(admin, action);

  it('a miss costs one GET and one MULTI of two SETs; a hit one GET; a stale answer one GET more', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), ttl: 100 });
    const miss = await delta(async () => {
      await http.get('/users');
      await cache.settled();
    });
    expect(miss).toEqual({ get: 1, multi: 1, set: 2, exec: 1 });
    const hit = await delta(() => http.get('/users'));
    expect(hit).toEqual({ get: 1 });
    await sleep(150);
    upstream.route('/users', send.status(503));
    const stale = await delta(() => http.get('/users'));
    expect(stale).toEqual({ get: 2 });
    upstream.route('/users', send.json({ users: ['ada'] }));
    cache.detach();
  });

  it('a tagged miss still writes in one round trip (one script: both tiers and the tag lists); a hit is one GET', async () => {
    upstream.route('/tagged', send.json({ users: ['ada'] }, 200, { 'cache-tag': 'users, team:7' }));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), ttl: 10_000 });
    const miss = await delta(async () => {
      await http.get('/tagged');
      await cache.settled();
    });
    // One GET, then one EVAL (or EVALSHA): the SETs and the tag lists' checks and ZADDs run inside the script.
    const inScript = ['zremrangebyscore', 'zscore', 'zcard', 'zadd', 'set', 'pttl', 'pexpire', 'persist'];
    expect(Object.keys(miss).filter((c) => !inScript.includes(c) && !c.startsWith('eval'))).toEqual(['get']);
    expect(miss.get).toBe(1);
    expect((miss.eval ?? 0) + (miss.evalsha ?? 0)).toBe(1);
    expect(await delta(() => http.get('/tagged'))).toEqual({ get: 1 });
    await cache.invalidateTags('users');
    expect((await http.get('/tagged')).staleCache?.state).toBe('miss');
    cache.detach();
  });

  it('Redis killed mid-run: every request still succeeds through the upstream within storeTimeout; restarted, hits come back', async () => {
    const local = await startRedisServer();
    const c = await connect(local.url, { socket: { reconnectStrategy: () => 50 } });
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 1_000 });
    const storeTimeout = 100;
    const cooldown = 200;
    const cache = attachStaleCache(http, {
      store: redisStore(c),
      storeTimeout,
      storeBreaker: { failures: 5, cooldown },
    });
    const errors: CacheErrorEvent[] = [];
    const breaker: string[] = [];
    cache.on('error', (e) => errors.push(e));
    cache.on('breaker', (e) => breaker.push(e.state));
    const timed = async (): Promise<{ ms: number; state?: string; ok: boolean }> => {
      const started = performance.now();
      const res = await http.get('/users');
      return { ms: performance.now() - started, state: res.staleCache?.state, ok: res.data.users[0] === 'ada' };
    };
    await timed();
    await cache.settled();
    expect((await timed()).state).toBe('hit');

    await local.stop(); // SIGKILL by PID
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const during = [];
    for (let i = 0; i < 20; i++) {
      during.push(await timed());
      await cache.settled();
    }
    expect(during.every((r) => r.ok && r.state === 'miss')).toBe(true);
    // The margin grows with how late this process's event loop ran (a loaded machine), measured.
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(storeTimeout + 50 + lag.max / 1e6);
    // Not queued behind a reconnecting client: a request during the outage does not wait at all.
    lag.disable();
    const sorted = during.map((r) => r.ms).sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(storeTimeout / 4);
    // The breaker opened after 5 failed calls: 20 requests did not make 40 errors, nor 5 error events.
    expect(cache.stats().storeErrors).toBeGreaterThanOrEqual(5);
    expect(cache.stats().storeErrors).toBeLessThanOrEqual(5 + 1); // and one call under way when it opened
    expect(errors.every((e) => e.error instanceof RedisNotReadyError || e.error instanceof StoreTimeoutError)).toBe(
      true,
    );
    // Open; on a slow machine a cooldown may pass during the run: its probe fails, and it opens again.
    expect(breaker.join(' ')).toMatch(/^open( half-open open)*$/);
    expect(cache.stats()).toMatchObject({ breaker: 'open' });
    expect(cache.stats().storeSkipped).toBeGreaterThan(20);

    const restarted = await startRedisServer(local.port);
    const deadline = Date.now() + 5_000;
    while (!c.isReady && Date.now() < deadline) await sleep(20);
    expect(c.isReady).toBe(true);
    await sleep(cooldown); // by itself: the next request after the cooldown probes the store
    await timed();
    await cache.settled();
    expect((await timed()).state).toBe('hit');
    expect(breaker.slice(-2)).toEqual(['half-open', 'closed']);
    expect(cache.stats()).toMatchObject({ breaker: 'closed' });
    cache.detach();
    await c.close();
    await restarted.stop();
  }, 30_000);
});

describe('Redis full, under noeviction (a private redis-server with a tiny maxmemory)', () => {
  let redis: RedisProcess;
  let client: RedisClientType;
  let upstream: Upstream;

  beforeAll(async () => {
    redis = await startRedisServer(undefined, ['--maxmemory', '1mb', '--maxmemory-policy', 'noeviction']);
    client = await connect(redis.url);
    upstream = await startUpstream();
    upstream.route('/item', send.json({ ok: true }));
  });
  afterAll(async () => {
    await client.close();
    await redis.stop();
    await upstream.close();
  });

  it('a write refused on every request is not an error event per request: repeats are counted, a second at a time', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), storeBreaker: false });
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (e) => errors.push(e));
    for (let i = 0; i < 200; i++) expect((await http.get('/item', { params: { i } })).status).toBe(200);
    await cache.settled();
    await sleep(1_100); // the repeats of the last second are told when it is over
    const { storeErrors } = cache.stats();
    expect(storeErrors).toBeGreaterThan(190); // the first write or two may still fit
    expect(errors.length).toBeLessThan(10);
    expect(String(errors[0]?.error)).toMatch(/OOM/);
    // Every refused write is accounted for: as an event of its own, or in the `repeated` of one that stands for it.
    expect(errors.reduce((n, e) => n + (e.repeated ?? 1), 0)).toBe(storeErrors);
    cache.detach();
  });
});
