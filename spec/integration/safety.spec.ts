import axios, { type AxiosInstance } from 'axios';
import type { RedisClientType } from 'redis';
import { attachStaleCache } from '../../lib/attach';
import { redisStore } from '../../lib/stores/redis';
import type { CacheEvent, StaleCacheHandle, StaleCacheOptions } from '../../lib/types';
import { cleanup, connect, keysOf, prefixes } from '../helpers/redis';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { sleep } from '../helpers/time';

/** Shared-cache safety (issue 4) on a real Redis shared by the instances, and a real upstream. */
describe('shared-cache safety on Redis', () => {
  let client: RedisClientType;
  let upstream: Upstream;
  let p: ReturnType<typeof prefixes>;
  const handles: StaleCacheHandle[] = [];

  const instance = (options: StaleCacheOptions = {}): { http: AxiosInstance; cache: StaleCacheHandle } => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), ...p, ...options });
    handles.push(cache);
    return { http, cache };
  };
  /** Every byte stored under our prefixes, keys and values. */
  const everythingStored = async (): Promise<string> => {
    const keys = await keysOf(client, p);
    const values = await Promise.all(keys.map((k) => client.get(k)));
    return [...keys, ...values].join('\n');
  };

  beforeEach(async () => {
    client = await connect();
    upstream = await startUpstream();
    p = prefixes();
    // Answers with the caller's own identity: the data a leak would show.
    upstream.route('/me', (req, res) => send.json({ user: req.headers.authorization ?? 'anonymous' })(req, res));
  });
  afterEach(async () => {
    handles.splice(0).forEach((h) => h.detach());
    await cleanup(client, p);
    await client.close();
    await upstream.close();
  });

  it.each([[undefined], [['authorization']]])(
    'two users with different Authorization never see each other’s data (vary %p)',
    async (vary) => {
      const a = instance(vary ? { vary } : {});
      const b = instance(vary ? { vary } : {}); // another process of the fleet on the same Redis
      const alice = { headers: { Authorization: 'Bearer alice-secret-token' } };
      const bob = { headers: { Authorization: 'Bearer bob-secret-token' } };
      for (let round = 0; round < 3; round++) {
        const [ra, rb, rb2, ra2] = await Promise.all([
          a.http.get('/me', alice),
          a.http.get('/me', bob),
          b.http.get('/me', bob),
          b.http.get('/me', alice),
        ]);
        expect([ra, ra2].map((r) => r.data.user)).toEqual(['Bearer alice-secret-token', 'Bearer alice-secret-token']);
        expect([rb, rb2].map((r) => r.data.user)).toEqual(['Bearer bob-secret-token', 'Bearer bob-secret-token']);
        await Promise.all([a.cache.settled(), b.cache.settled()]);
      }
      const anon = await a.http.get('/me');
      expect(anon.data.user).toBe('anonymous');
      const keys = await keysOf(client, p);
      expect(keys.join('\n')).not.toMatch(/secret|Bearer/); // a token is hashed into the key, never spelled out
      if (vary) {
        // alice, bob and anonymous, two tiers each, and the URL's index of them
        expect(keys.filter((k) => !k.endsWith(':i'))).toHaveLength(6);
        expect((await b.http.get('/me', alice)).staleCache?.state).toBe('hit');
      } else {
        expect((await b.http.get('/me', alice)).staleCache).toEqual({ state: 'bypass', reason: 'credentials' });
        expect(await keysOf(client, p)).toHaveLength(2); // only the anonymous request was cached
      }
    },
  );

  it.each(['no-store', 'private', 'private, max-age=60', 'max-age=0, No-Store'])(
    'a response with Cache-Control: %s is not written',
    async (cc) => {
      upstream.route('/cc', send.json({ ok: true }, 200, { 'cache-control': cc }));
      const { http, cache } = instance();
      await http.get('/cc');
      await cache.settled();
      expect(await keysOf(client, p)).toHaveLength(0);
      expect((await http.get('/cc')).staleCache?.state).toBe('miss');
    },
  );

  it('a request with Cache-Control: no-cache skips the primary read but refreshes both tiers', async () => {
    let n = 0;
    upstream.route('/n', (req, res) => send.json({ n: ++n })(req, res));
    const { http, cache } = instance();
    await http.get('/n');
    await cache.settled();
    const fresh = await http.get('/n', { headers: { 'Cache-Control': 'no-cache' } });
    expect(fresh.staleCache?.state).toBe('miss');
    expect(fresh.data).toEqual({ n: 2 });
    await cache.settled();
    const hit = await http.get('/n');
    expect(hit.staleCache?.state).toBe('hit');
    expect(hit.data).toEqual({ n: 2 });
  });

  it('a request with Cache-Control: no-store neither reads nor writes', async () => {
    const { http, cache } = instance();
    await http.get('/me');
    await cache.settled();
    const stored = await everythingStored();
    const calls = upstream.calls('/me');
    const res = await http.get('/me', { headers: { 'Cache-Control': 'no-store' } });
    await cache.settled();
    expect(res.staleCache).toEqual({ state: 'bypass', reason: 'no-store' });
    expect(upstream.calls('/me')).toBe(calls + 1); // not answered from the cache
    expect(await everythingStored()).toBe(stored); // and nothing written
  });

  it('an answer with Set-Cookie is neither stored nor shared: each caller gets its own session', async () => {
    let n = 0;
    upstream.route('/c', (req, res) =>
      send.json({ csrf: `token-${++n}` }, 200, { 'set-cookie': `session=s3cr3t-cookie-${n}; HttpOnly` })(req, res),
    );
    const { http, cache } = instance();
    const answers = await Promise.all([http.get('/c'), http.get('/c'), http.get('/c')]);
    expect(new Set(answers.map((r) => (r.data as { csrf: string }).csrf)).size).toBe(3);
    for (const r of answers) expect(r.headers['set-cookie']?.[0]).toMatch(/^session=s3cr3t-cookie-\d/);
    await cache.settled();
    const next = await http.get('/c');
    expect(next.staleCache?.state).toBe('miss');
    expect((next.data as { csrf: string }).csrf).toBe('token-4');
    expect(await everythingStored()).not.toMatch(/s3cr3t-cookie|set-cookie|token-/i);
  });

  it('storeSetCookie: true stores such answers without the cookie, and a hit does not carry it', async () => {
    upstream.route('/c', send.json({ ok: true }, 200, { 'set-cookie': 'session=s3cr3t-cookie; HttpOnly' }));
    const { http, cache } = instance({ storeSetCookie: true });
    const miss = await http.get('/c');
    expect(miss.headers['set-cookie']).toEqual(['session=s3cr3t-cookie; HttpOnly']);
    await cache.settled();
    const hit = await http.get('/c');
    expect(hit.staleCache?.state).toBe('hit');
    expect(hit.headers['set-cookie']).toBeUndefined();
    expect(await everythingStored()).not.toMatch(/s3cr3t-cookie|set-cookie/i);
  });

  it('a stream response is neither read from nor written to the cache', async () => {
    const { http, cache } = instance();
    const res = await http.get('/me', { responseType: 'stream' });
    res.data.resume();
    expect(res.staleCache).toEqual({ state: 'bypass', reason: 'stream' });
    await cache.settled();
    expect(await keysOf(client, p)).toHaveLength(0);
  });

  it('events carry the key, URL, age and the cause of a stale answer; nothing is logged', async () => {
    const log = jest.spyOn(console, 'log');
    const warn = jest.spyOn(console, 'warn');
    const error = jest.spyOn(console, 'error');
    const { http, cache } = instance({ ttl: 20 });
    const seen: CacheEvent[] = [];
    for (const name of ['hit', 'miss', 'stale', 'bypass'] as const) cache.on(name, (e) => seen.push(e));
    await http.get('/me', { params: { q: 1 } });
    await cache.settled();
    await sleep(40);
    await upstream.stop();
    await http.get('/me', { params: { q: 1 } });
    await http.post('/me').catch(() => undefined);
    expect(seen.map((e) => e.meta.state)).toEqual(['miss', 'stale', 'bypass']);
    const stale = seen[1]!;
    expect(stale.url).toBe(`${upstream.baseURL}/me?q=1`);
    expect(stale.method).toBe('get');
    expect(stale.key).toMatch(new RegExp(`^${p.primaryKeyPrefix}:`));
    expect(stale.meta.cause).toBe('network');
    expect(stale.meta.age).toBeGreaterThanOrEqual(20);
    expect(log).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });
});
