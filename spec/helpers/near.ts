import axios, { type AxiosInstance } from 'axios';
import type { RedisClientType } from 'redis';
import type { CacheStore, StaleCacheHandle, StaleCacheOptions } from '../../lib/index';
import { attachStaleCache } from '../../lib/index';
import { prefixes } from './redis';
import { send, startUpstream, type Upstream } from './upstream';
import { sleep } from './time';

/** What the near cache's tests ask of the servers behind the stores. */
export interface NearServer {
  /** GETs the server(s) ran so far. */
  gets(): Promise<number>;
  del(key: string): Promise<void>;
  /** Kills instance i's command connection (a single node), which its client then makes again. */
  kill?(i: 0 | 1): Promise<void>;
  /** Resolves once instance i's client is connected again. */
  ready?(i: 0 | 1): Promise<void>;
}

/** Reads a server ran (GETs, and scripts: the fleet's read is one), from its command stats. */
export async function getsOf(admin: RedisClientType): Promise<number> {
  const stats = await admin.info('commandstats');
  const calls = (name: string): number => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  return calls('get') + calls('evalsha') + calls('eval');
}

/**
 * The near cache on a store: two instances, each on a client of its own (two processes as far as
 * Redis can tell), against a real HTTP server. `stores()` gives one store per instance, with the near
 * cache on.
 */
export function nearTasks(stores: () => [CacheStore, CacheStore], server: () => NearServer, canKill = true): void {
  let upstream: Upstream;
  const caches: StaleCacheHandle[] = [];
  let own: Partial<StaleCacheOptions>;

  const pair = (options: StaleCacheOptions = {}): Array<{ http: AxiosInstance; cache: StaleCacheHandle }> =>
    stores().map((store) => {
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { store, ...own, ttl: 60_000, storeTimeout: 1_000, ...options });
      caches.push(cache);
      return { http, cache };
    });
  const gets = (): Promise<number> => server().gets();
  /**
   * Reads until a hit takes no round trip: the entry is in the near cache (a store whose tracking is
   * still being set up, as ioredis's subscriber connecting, reads Redis meanwhile).
   */
  const nearHit = async (http: AxiosInstance, url: string): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      const was = await gets();
      const state = await stateOf(http, url);
      if (state === 'hit' && (await gets()) === was) return;
      await sleep(10);
    }
    throw new Error(`${url} never came from the near cache`);
  };
  const stateOf = async (http: AxiosInstance, url: string): Promise<string | undefined> =>
    (await http.get(url)).staleCache?.state;
  // Redis's invalidation is on its way before the call that caused it resolves; 100 ms of event loop
  // later it has been read (the bound), whatever the load.
  const withinBound = (): Promise<void> => sleep(100);

  beforeEach(async () => {
    own = prefixes();
    upstream = await startUpstream();
    upstream.route('/items', send.json({ items: [1, 2, 3] }));
    upstream.route('/tagged', send.json({ t: 1 }, 200, { 'cache-tag': 'catalog' }));
  });
  afterEach(async () => {
    await Promise.all(caches.map((c) => c.settled()));
    await caches[0]?.clear();
    caches.splice(0).forEach((c) => c.detach());
    await upstream.close();
  });

  it('hits after the first read take no round trip, and each caller still gets its own copy', async () => {
    const [a, b] = pair();
    await a?.http.get('/items');
    await a?.cache.settled();
    await nearHit(b!.http, '/items');
    const before = await gets();
    const answers = await Promise.all(Array.from({ length: 50 }, () => b!.http.get('/items')));
    expect(await gets()).toBe(before);
    expect(answers.every((r) => r.staleCache?.state === 'hit')).toBe(true);
    expect(new Set(answers.map((r) => r.data)).size).toBe(50);
    (answers[0]?.data as { items: number[] } | undefined)?.items.push(4);
    expect(answers[1]?.data).toEqual({ items: [1, 2, 3] });
  });

  it("with coalesce: 'fleet' too: hits from the near cache, no script and no GET", async () => {
    const [a, b] = pair({ coalesce: 'fleet' });
    await a?.http.get('/items');
    await a?.cache.settled();
    await nearHit(b!.http, '/items');
    const before = await gets();
    for (let i = 0; i < 10; i++) expect(await stateOf(b!.http, '/items')).toBe('hit');
    expect(await gets()).toBe(before);
  });

  it.each([
    ['invalidate(url)', (cache: StaleCacheHandle, _http: AxiosInstance) => cache.invalidate('/items')],
    ['clear()', (cache: StaleCacheHandle, _http: AxiosInstance) => cache.clear()],
    ['an unsafe method', async (_cache: StaleCacheHandle, http: AxiosInstance) => void (await http.post('/items'))],
  ])('%s in one process reaches the other within 100 ms', async (_name, act) => {
    upstream.route('/items', (req, res) =>
      req.method === 'POST' ? send.status(204)(req, res) : send.json({ v: 1 })(req, res),
    );
    const [a, b] = pair();
    await a?.http.get('/items');
    await a?.cache.settled();
    await nearHit(b!.http, '/items');
    await act(a!.cache, a!.http);
    await withinBound();
    expect(await stateOf(b!.http, '/items')).toBe('miss');
  });

  it('invalidateTags() in one process reaches the other within 100 ms', async () => {
    const [a, b] = pair();
    await a?.http.get('/tagged');
    await a?.cache.settled();
    await nearHit(b!.http, '/tagged');
    await a?.cache.invalidateTags(['catalog']);
    await withinBound();
    expect(await stateOf(b!.http, '/tagged')).toBe('miss');
  });

  it('an entry past its freshness is never a hit, though Redis (and the near cache) still keep it', async () => {
    const [a, b] = pair({ ttl: 600, staleWhileRevalidate: 60_000 });
    await a?.http.get('/items');
    await a?.cache.settled();
    await nearHit(b!.http, '/items');
    await sleep(700); // real time: the entry's own freshness ends; its Redis key lives on for the revalidation window
    const res = await b!.http.get('/items');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'revalidating' });
  });

  if (canKill)
    it('a lost connection flushes the near cache before it answers again', async () => {
      const [a, b] = pair();
      await a?.http.get('/items');
      await a?.cache.settled();
      await nearHit(b!.http, '/items');
      const key = (await b!.http.get('/items')).staleCache?.key as string;
      // B's connection goes, and while it is down its key changes: that invalidation never reaches B.
      await server().kill?.(1);
      await server().del(key);
      // Connected again (a near cache kept through the loss would answer from here on), then the bound.
      await server().ready?.(1);
      await withinBound();
      expect(await stateOf(b!.http, '/items')).not.toBe('hit');
    });
}
