import type { AxiosResponse } from 'axios';
import type { CacheStore, StaleCacheOptions } from '../../lib/index';
import { instances } from './instances';
import { send, startUpstream, type Handler, type Upstream } from './upstream';
import { fakeClock } from './time';

/**
 * HTTP semantics (RFC 9111) a store must not change: request directives, Age, which statuses are
 * stored, unsafe methods that invalidate. Run against a real HTTP server on every store (memory,
 * Redis, Cluster). `store()` is called per test; `prefixes()` keeps test files apart on one Redis.
 */
export function httpSemantics(store: () => CacheStore, prefixes: () => Partial<StaleCacheOptions> = () => ({})): void {
  let upstream: Upstream;
  let clock: ReturnType<typeof fakeClock>;
  let shared: CacheStore; // one per test: instances of a test share it, as processes share Redis
  const { instance, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: shared, ...prefixes(), ttl: 10_000, staleTtl: 600_000 }),
  );
  let n = 0;
  const counted =
    (status = 200, headers: Record<string, string> = {}): Handler =>
    (req, res) =>
      send.json({ n: ++n }, status, headers)(req, res);

  beforeEach(async () => {
    n = 0;
    shared = store();
    upstream = await startUpstream();
    upstream.route('/r', counted());
    clock = fakeClock();
  });
  afterEach(async () => {
    clock.restore();
    detachAll();
    await upstream.close();
  });

  const state = (res: AxiosResponse): [string | undefined, unknown] => [res.staleCache?.state, res.data];
  const cc = (value: string) => ({ headers: { 'Cache-Control': value } });

  describe('request directives (RFC 9111 §5.2.1), whatever the options', () => {
    it('max-age bounds the age of a hit; max-age=0 goes upstream', async () => {
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      clock.advance(5_000);
      expect(state(await http.get('/r', cc('max-age=5')))).toEqual(['hit', { n: 1 }]);
      clock.advance(1_001);
      expect(state(await http.get('/r', cc('max-age=5')))).toEqual(['miss', { n: 2 }]);
      expect(state(await http.get('/r', cc('max-age=0')))).toEqual(['miss', { n: 3 }]);
      expect(upstream.calls('/r')).toBe(3);
    });

    it('min-fresh wants that much freshness left', async () => {
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      clock.advance(4_000);
      expect(state(await http.get('/r', cc('min-fresh=6')))).toEqual(['hit', { n: 1 }]);
      expect(state(await http.get('/r', cc('min-fresh=7')))).toEqual(['miss', { n: 2 }]);
    });

    it('max-stale takes an expired entry (stale, cause max-stale) within its bound', async () => {
      const { http, cache } = instance({ ttl: 1_000, staleTtl: 600_000 });
      await http.get('/r');
      await cache.settled();
      clock.advance(3_000);
      const res = await http.get('/r', cc('max-stale=5'));
      expect([res.staleCache?.state, res.staleCache?.cause, res.data]).toEqual(['stale', 'max-stale', { n: 1 }]);
      clock.advance(3_001);
      expect(state(await http.get('/r', cc('max-stale=5')))).toEqual(['miss', { n: 2 }]);
    });

    it('no-cache and Pragma: no-cache go upstream and refresh the entry', async () => {
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      expect(state(await http.get('/r', cc('no-cache')))).toEqual(['miss', { n: 2 }]);
      await cache.settled();
      expect(state(await http.get('/r', { headers: { Pragma: 'no-cache' } }))).toEqual(['miss', { n: 3 }]);
      await cache.settled();
      expect(state(await http.get('/r'))).toEqual(['hit', { n: 3 }]);
    });

    it('only-if-cached: the stored answer, else 504 without asking the upstream', async () => {
      const { http, cache } = instance();
      const none = await http.get('/r', { ...cc('only-if-cached'), validateStatus: () => true });
      expect([none.status, none.staleCache?.state, none.staleCache?.cause]).toEqual([504, 'failed', 'only-if-cached']);
      await expect(http.get('/r', cc('only-if-cached'))).rejects.toMatchObject({ response: { status: 504 } });
      expect(upstream.calls('/r')).toBe(0);
      await http.get('/r');
      await cache.settled();
      expect(state(await http.get('/r', cc('only-if-cached')))).toEqual(['hit', { n: 1 }]);
      clock.advance(10_000);
      const expired = await http.get('/r', { ...cc('only-if-cached'), validateStatus: () => true });
      expect(expired.status).toBe(504);
      expect(upstream.calls('/r')).toBe(1);
    });
  });

  describe('Age (RFC 9111 §5.1) on every answer from either tier', () => {
    it('a hit and a stale answer say how long they were stored, added to the upstream’s Age', async () => {
      upstream.route('/r', counted(200, { age: '7' }));
      const { http, cache } = instance({ ttl: 10_000 });
      const miss = await http.get('/r');
      expect(miss.headers.age).toBe('7'); // the upstream's own
      await cache.settled();
      clock.advance(3_500);
      expect((await http.get('/r')).headers.age).toBe('10');
      clock.advance(10_000);
      upstream.route('/r', send.status(503));
      const stale = await http.get('/r');
      expect([stale.staleCache?.state, stale.headers.age]).toEqual(['stale', '20']);
    });

    it('an answer without an upstream Age gets one from 0', async () => {
      const { http, cache } = instance();
      expect((await http.get('/r')).headers.age).toBeUndefined();
      await cache.settled();
      expect((await http.get('/r')).headers.age).toBe('0');
    });
  });

  describe('statuses cacheable by default (RFC 9110 §15.1)', () => {
    it.each([201, 202])('a %i is not stored', async (status) => {
      upstream.route('/r', counted(status));
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      expect(state(await http.get('/r'))).toEqual(['miss', { n: 2 }]);
    });

    it.each([203, 204])('a %i is', async (status) => {
      upstream.route('/r', (req, res) => {
        if (status !== 204) return counted(status)(req, res);
        res.writeHead(204);
        res.end();
      });
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      expect((await http.get('/r')).staleCache?.state).toBe('hit');
    });
  });

  describe('unsafe methods invalidate (RFC 9111 §4.4)', () => {
    beforeEach(() => {
      upstream.route('/r/2', counted());
      upstream.route('/other', counted());
    });
    async function cached(
      http: ReturnType<typeof instance>['http'],
      cache: ReturnType<typeof instance>['cache'],
      path: string,
    ) {
      await http.get(path);
      await cache.settled();
      expect((await http.get(path)).staleCache?.state).toBe('hit');
    }

    it.each(['post', 'put', 'patch', 'delete'] as const)(
      'a %s that succeeds removes both tiers of its URL, for every process sharing the store',
      async (method) => {
        upstream.route('/r', (req, res) => (req.method === 'GET' ? counted()(req, res) : send.json({})(req, res)));
        const a = instance();
        const b = instance();
        await cached(a.http, a.cache, '/r');
        await b.http.request({ method, url: '/r', data: { x: 1 } });
        upstream.route('/r', send.status(503));
        // neither tier answers: the GET fails as it would without a cache
        const res = await a.http.get('/r').catch((error: { response: AxiosResponse }) => error.response);
        expect([res.status, res.staleCache?.state]).toEqual([503, 'failed']);
      },
    );

    it('an unsafe request that fails removes nothing', async () => {
      const { http, cache } = instance();
      await cached(http, cache, '/r');
      upstream.route('/r', (req, res) => (req.method === 'GET' ? counted()(req, res) : send.status(500)(req, res)));
      await expect(http.post('/r')).rejects.toMatchObject({ response: { status: 500 } });
      expect(state(await http.get('/r'))).toEqual(['hit', { n: 1 }]);
    });

    it('Location and Content-Location on the same origin go too; another origin’s and a failure’s do not', async () => {
      const { http, cache } = instance();
      for (const path of ['/r', '/r/2', '/other']) await cached(http, cache, path);
      upstream.route(
        '/create',
        send.json({}, 201, { location: '/r?', 'content-location': `${upstream.baseURL}/r/2#x` }),
      );
      upstream.route('/elsewhere', send.json({}, 200, { location: 'http://127.0.0.2:1/other' }));
      upstream.route('/refused', send.json({}, 409, { location: '/other' }));
      await http.post('/elsewhere');
      await http.post('/refused').catch(() => undefined);
      expect((await http.get('/other')).staleCache?.state).toBe('hit');
      await http.post('/create');
      expect((await http.get('/r/2')).staleCache?.state).toBe('miss');
      expect((await http.get('/r')).staleCache?.state).toBe('miss');
      expect((await http.get('/other')).staleCache?.state).toBe('hit');
    });

    it('a method the instance caches is taken as safe', async () => {
      upstream.route('/r', (req, res) => send.json({ m: req.method })(req, res));
      const { http, cache } = instance({ methods: ['get', 'post'] });
      await http.get('/r');
      await cache.settled();
      await http.post('/r', { q: 1 });
      expect((await http.get('/r')).staleCache?.state).toBe('hit');
    });
  });
}
