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

    it('every variant goes: of an answer with Vary, and every value of the instance’s vary headers', async () => {
      upstream.route('/r', (req, res) =>
        req.method === 'GET'
          ? send.json({ n: ++n, lang: req.headers['accept-language'] }, 200, { vary: 'Accept-Language' })(req, res)
          : send.json({})(req, res),
      );
      upstream.route('/t', (req, res) =>
        req.method === 'GET'
          ? send.json({ n: ++n, tenant: req.headers['x-tenant'] })(req, res)
          : send.json({})(req, res),
      );
      const { http, cache } = instance({ vary: ['x-tenant'] });
      const lang = (l: string) => ({ headers: { 'Accept-Language': l } });
      const tenant = (t: string) => ({ headers: { 'X-Tenant': t } });
      for (const config of [lang('fr'), lang('de')]) await http.get('/r', config);
      for (const config of [tenant('a'), tenant('b')]) await http.get('/t', config);
      await cache.settled();
      expect((await http.get('/r', lang('fr'))).staleCache?.state).toBe('hit');
      await http.post('/r', {});
      await http.post('/t', {}, tenant('a'));
      // de first rewrites the base; fr would then be found under its own variant key, were it left
      expect((await http.get('/r', lang('de'))).staleCache?.state).toBe('miss');
      await cache.settled();
      expect((await http.get('/r', lang('fr'))).staleCache?.state).toBe('miss');
      expect((await http.get('/t', tenant('a'))).staleCache?.state).toBe('miss');
      expect((await http.get('/t', tenant('b'))).staleCache?.state).toBe('miss');
    });

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

  describe('cacheControl: freshness as the server gives it', () => {
    const headers = (value: Record<string, string>): Handler => counted(200, value);

    it('max-age less Age is the freshness; the instance’s ttl does not shorten it', async () => {
      upstream.route('/r', headers({ 'cache-control': 'max-age=60', age: '20' }));
      const { http, cache } = instance({ cacheControl: true, ttl: 1_000 });
      await http.get('/r');
      await cache.settled();
      clock.advance(39_000);
      expect(state(await http.get('/r'))).toEqual(['hit', { n: 1 }]);
      clock.advance(1_000);
      expect(state(await http.get('/r'))).toEqual(['miss', { n: 2 }]);
    });

    it('s-maxage wins over max-age; Expires counts from Date', async () => {
      upstream.route('/r', headers({ 'cache-control': 'max-age=1, s-maxage=30' }));
      const { http, cache } = instance({ cacheControl: true });
      await http.get('/r');
      await cache.settled();
      clock.advance(29_000);
      expect(state(await http.get('/r'))).toEqual(['hit', { n: 1 }]);
      // Counted from Date, not from this clock: a server whose clock is off gives the same freshness.
      const date = new Date(Date.now() - 100_000);
      upstream.route(
        '/e',
        counted(200, { date: date.toUTCString(), expires: new Date(date.getTime() + 10_000).toUTCString() }),
      );
      await http.get('/e');
      await cache.settled();
      clock.advance(9_000);
      expect((await http.get('/e')).staleCache?.state).toBe('hit');
      clock.advance(2_000);
      expect((await http.get('/e')).staleCache?.state).toBe('miss');
    });

    it('without explicit freshness: a tenth of the time since Last-Modified (at most ttl), else never a hit', async () => {
      upstream.route('/r', counted());
      const { http, cache } = instance({ cacheControl: true, ttl: 10_000 });
      await http.get('/r');
      await cache.settled();
      expect(state(await http.get('/r'))).toEqual(['miss', { n: 2 }]);
      const lastModified = new Date(Date.now() - 50_000).toUTCString();
      upstream.route('/lm', counted(200, { 'last-modified': lastModified }));
      await http.get('/lm');
      await cache.settled();
      clock.advance(4_000);
      expect((await http.get('/lm')).staleCache?.state).toBe('hit'); // 5 s of heuristic freshness
      clock.advance(1_500);
      expect((await http.get('/lm')).staleCache?.state).toBe('miss');
    });

    it('private and no-store are never stored; a request without cacheControl keeps its own ttl', async () => {
      upstream.route('/p', headers({ 'cache-control': 'private, max-age=60' }));
      upstream.route('/r', headers({ 'cache-control': 'max-age=600' }));
      const { http, cache } = instance({ cacheControl: true, ttl: 10_000 });
      await http.get('/p');
      await http.get('/r');
      await cache.settled();
      expect((await http.get('/p')).staleCache?.state).toBe('miss');
      clock.advance(20_000);
      expect((await http.get('/r')).staleCache?.state).toBe('hit');
      expect((await http.get('/r', { staleCache: { cacheControl: false } })).staleCache?.state).toBe('miss');
    });

    it('must-revalidate: no stale answer past freshness; stale-if-error bounds it', async () => {
      upstream.route('/mr', headers({ 'cache-control': 'max-age=1, must-revalidate' }));
      upstream.route('/sie', headers({ 'cache-control': 'max-age=1, stale-if-error=10' }));
      const { http, cache } = instance({ cacheControl: true });
      await http.get('/mr');
      await http.get('/sie');
      await cache.settled();
      upstream.route('/mr', send.status(503));
      upstream.route('/sie', send.status(503));
      clock.advance(2_000);
      await expect(http.get('/mr')).rejects.toMatchObject({ response: { status: 503 } });
      expect((await http.get('/sie')).staleCache?.state).toBe('stale');
      clock.advance(9_000);
      await expect(http.get('/sie')).rejects.toMatchObject({ response: { status: 503 } });
    });

    it('stale-while-revalidate: answered at once, refreshed in the background', async () => {
      upstream.route('/r', headers({ 'cache-control': 'max-age=1, stale-while-revalidate=30' }));
      const { http, cache } = instance({ cacheControl: true });
      await http.get('/r');
      await cache.settled();
      clock.advance(5_000);
      const early = await http.get('/r');
      expect([early.staleCache?.state, early.staleCache?.cause, early.data]).toEqual([
        'stale',
        'revalidating',
        { n: 1 },
      ]);
      await cache.settled();
      expect(state(await http.get('/r'))).toEqual(['hit', { n: 2 }]);
    });

    it('no-cache: stored, but never answered without asking the upstream', async () => {
      upstream.route('/r', headers({ 'cache-control': 'no-cache, max-age=600' }));
      const { http, cache } = instance({ cacheControl: true });
      await http.get('/r');
      await cache.settled();
      expect(state(await http.get('/r'))).toEqual(['miss', { n: 2 }]);
    });

    it('an explicitly fresh 404 is kept (primary tier only); a 503 never', async () => {
      upstream.route('/gone', counted(404, { 'cache-control': 'max-age=60' }));
      upstream.route('/down', counted(503, { 'cache-control': 'max-age=60' }));
      const { http, cache } = instance({ cacheControl: true });
      const ok = { validateStatus: () => true };
      await http.get('/gone', ok);
      await http.get('/down', ok);
      await cache.settled();
      const again = await http.get('/gone', ok);
      expect([again.status, again.staleCache?.state, again.data]).toEqual([404, 'hit', { n: 1 }]);
      await expect(http.get('/gone')).rejects.toMatchObject({ response: { status: 404 } });
      expect((await http.get('/down', ok)).staleCache?.state).toBe('failed');
      clock.advance(61_000);
      upstream.route('/gone', send.status(503));
      // the stale tier never held the 404: nothing to answer the outage with
      expect((await http.get('/gone', ok)).staleCache?.state).toBe('failed');
    });
  });

  describe('conditional: revalidation instead of a download', () => {
    let lastSeen: Record<string, unknown> = {};
    beforeEach(() => {
      lastSeen = {};
      upstream.route('/doc', (req, res) => {
        lastSeen = { inm: req.headers['if-none-match'], ims: req.headers['if-modified-since'] };
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"', 'x-version': 'checked', 'content-type': 'text/html' });
          res.end();
          return;
        }
        send.json({ n: ++n }, 200, {
          etag: '"v1"',
          'x-version': 'first',
          'last-modified': 'Sun, 29 Nov 2026 00:00:00 GMT',
        })(req, res);
      });
    });

    it('an expired entry is revalidated: a 304 answers the stored body as a 200 and refreshes both tiers', async () => {
      const { http, cache } = instance({ conditional: true, ttl: 1_000 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(2_000);
      const res = await http.get('/doc');
      expect(lastSeen).toEqual({ inm: '"v1"', ims: 'Sun, 29 Nov 2026 00:00:00 GMT' });
      expect([res.status, res.data, res.headers['x-version'], res.headers['content-type']]).toEqual([
        200,
        { n: 1 },
        'checked', // the 304's headers merged
        'text/html',
      ]);
      expect(res.staleCache).toMatchObject({ state: 'hit', revalidated: true, status: 304 });
      await cache.settled();
      const hit = await http.get('/doc');
      expect([hit.staleCache?.state, hit.headers['x-version']]).toEqual(['hit', 'checked']);
      expect(upstream.calls('/doc')).toBe(2);
    });

    it('a 304 during stale-while-revalidate refreshes the entry too', async () => {
      const { http, cache } = instance({ conditional: true, ttl: 1_000, staleWhileRevalidate: 10_000 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(2_000);
      expect((await http.get('/doc')).staleCache?.cause).toBe('revalidating');
      await cache.settled();
      const hit = await http.get('/doc');
      expect([hit.staleCache?.state, hit.headers['x-version'], hit.data]).toEqual(['hit', 'checked', { n: 1 }]);
    });

    it('without conditional, no validators are sent', async () => {
      const { http, cache } = instance({ ttl: 1_000 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(2_000);
      expect(state(await http.get('/doc'))).toEqual(['miss', { n: 2 }]);
      expect(lastSeen).toEqual({ inm: undefined, ims: undefined });
    });

    it('a caller who sent no validators never sees the 304', async () => {
      const { http, cache } = instance({ conditional: true, ttl: 1_000 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(2_000);
      const all = await Promise.all([http.get('/doc'), http.get('/doc'), http.get('/doc', { responseType: 'text' })]);
      expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(all[2]?.data).toBe('{"n":1}');
    });
  });

  it('refreshAhead: a hit late in its freshness refreshes it in the background; a hot key never misses', async () => {
    const { http, cache } = instance({ ttl: 10_000, refreshAhead: 0.5 });
    await http.get('/r');
    await cache.settled();
    clock.advance(4_000);
    const early = await http.get('/r');
    expect([early.staleCache?.state, early.staleCache?.revalidating]).toEqual(['hit', undefined]);
    clock.advance(2_000);
    const late = await http.get('/r');
    expect([late.staleCache?.state, late.staleCache?.revalidating, late.data]).toEqual(['hit', true, { n: 1 }]);
    await cache.settled();
    clock.advance(6_000); // past the first entry's freshness: the refreshed one answers
    expect(state(await http.get('/r'))).toEqual(['hit', { n: 2 }]);
    expect(upstream.calls('/r')).toBe(2);
  });

  describe('found in review: a 304 or a kept error never reaches a caller it is not for', () => {
    const ok = { validateStatus: () => true };

    it('refreshAhead’s request does not carry the caller’s own validators, and no one gets its 304', async () => {
      upstream.route('/doc', (req, res) => {
        if (req.headers['if-none-match']) {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
          return;
        }
        send.json({ n: ++n }, 200, { etag: '"v1"' })(req, res);
      });
      const { http, cache } = instance({ ttl: 10_000, refreshAhead: 0.5 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(6_000);
      const mine = await http.get('/doc', { headers: { 'If-None-Match': '"v1"' }, ...ok });
      expect([mine.status, mine.staleCache?.revalidating]).toEqual([304, true]);
      // coalesced with the refresh, which asked for the resource: a 200
      const other = await http.get('/doc', cc('no-cache'));
      expect([other.status, other.data]).toEqual([200, { n: 2 }]);
      await cache.settled();
      expect(upstream.lastHeaders('/doc')?.['if-none-match']).toBeUndefined();
      const later = await http.get('/doc');
      expect(later.status).toBe(200);
    });

    it('an If-Modified-Since that is no date goes upstream as it is (bypass), never coalesced', async () => {
      const { http } = instance();
      const res = await http.get('/r', { headers: { 'If-Modified-Since': '1700000000' } });
      expect(res.staleCache?.reason).toBe('conditional');
    });

    it('a kept redirect (maxRedirects: 0) is not answered to a request that follows redirects', async () => {
      upstream.route('/old', send.json({}, 301, { location: '/r', 'cache-control': 'max-age=3600' }));
      const { http, cache } = instance({ cacheControl: true });
      const hop = await http.get('/old', { maxRedirects: 0, ...ok });
      expect(hop.status).toBe(301);
      await cache.settled();
      expect((await http.get('/old', { maxRedirects: 0, ...ok })).staleCache?.state).toBe('hit');
      const followed = await http.get('/old');
      expect([followed.status, followed.data]).toEqual([200, { n: 1 }]);
    });

    it('a 404 kept by cacheControl answers neither a request without it nor a caller’s validators with 304', async () => {
      upstream.route('/gone', counted(404, { 'cache-control': 'max-age=60' }));
      const { http, cache } = instance({ cacheControl: true });
      await http.get('/gone', ok);
      await cache.settled();
      expect((await http.get('/gone', { ...ok, staleCache: { cacheControl: false } })).staleCache?.state).toBe(
        'failed',
      );
      const star = await http.get('/gone', { ...ok, headers: { 'If-None-Match': '*' } });
      expect([star.status, star.staleCache?.state]).toEqual([404, 'hit']);
    });

    it('a 304 that sets a cookie gives the caller its cookie, and is neither stored nor shared', async () => {
      upstream.route('/doc', (req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"', 'set-cookie': 'session=alice' });
          res.end();
          return;
        }
        send.json({ n: ++n }, 200, { etag: '"v1"' })(req, res);
      });
      const { http, cache } = instance({ conditional: true, ttl: 1_000 });
      await http.get('/doc');
      await cache.settled();
      clock.advance(2_000);
      const res = await http.get('/doc');
      expect([res.status, res.data, res.headers['set-cookie']]).toEqual([200, { n: 1 }, ['session=alice']]);
      await cache.settled();
      // not written: the entry is still the expired one, revalidated again
      expect((await http.get('/doc')).staleCache?.revalidated).toBe(true);
    });

    it('Surrogate-Control: no-store changes nothing without cacheControl', async () => {
      upstream.route('/r', counted(200, { 'surrogate-control': 'no-store' }));
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      expect((await http.get('/r')).staleCache?.state).toBe('hit');
      const kept = instance({ cacheControl: true });
      upstream.route('/s', counted(200, { 'surrogate-control': 'no-store', 'cache-control': 'max-age=60' }));
      await kept.http.get('/s');
      await kept.cache.settled();
      expect((await kept.http.get('/s')).staleCache?.state).toBe('miss');
    });

    it('only-if-cached with the caller’s own validators and nothing stored: 504, no upstream request', async () => {
      const { http } = instance();
      const res = await http.get('/r', {
        headers: { 'Cache-Control': 'only-if-cached', 'If-None-Match': '"x"' },
        ...ok,
      });
      expect(res.status).toBe(504);
      expect(upstream.calls('/r')).toBe(0);
    });

    it('stale-if-error does not let a must-revalidate answer out on a slow (healthy) upstream', async () => {
      upstream.route('/r', counted(200, { 'cache-control': 'max-age=1, must-revalidate, stale-if-error=60' }));
      const { http, cache } = instance({ cacheControl: true, softTimeout: 20 });
      await http.get('/r');
      await cache.settled();
      clock.advance(2_000);
      upstream.route('/r', send.delayed(150, counted(200)));
      const res = await http.get('/r');
      expect([res.staleCache?.state, res.data]).toEqual(['miss', { n: 2 }]);
    });

    it('refreshAhead starts only from a request without directives, and asks as anyone would', async () => {
      upstream.route('/r', (req, res) => counted(200, { 'x-seen': String(req.headers['cache-control']) })(req, res));
      const { http, cache } = instance({ ttl: 10_000, refreshAhead: 0.5 });
      await http.get('/r');
      await cache.settled();
      clock.advance(6_000);
      const stale = await http.get('/r', cc('max-stale=86400'));
      expect([stale.staleCache?.state, stale.staleCache?.revalidating]).toEqual(['hit', undefined]);
      expect(upstream.calls('/r')).toBe(1);
    });

    it('a kept 404 is refreshed by a 304, whatever the caller’s validateStatus', async () => {
      upstream.route('/gone', (req, res) => {
        if (req.headers['if-none-match'] === '"g"') {
          res.writeHead(304, { etag: '"g"', 'cache-control': 'max-age=60' });
          res.end();
          return;
        }
        send.json({ n: ++n }, 404, { etag: '"g"', 'cache-control': 'max-age=60' })(req, res);
      });
      const { http, cache } = instance({ cacheControl: true, conditional: true });
      await http.get('/gone').catch(() => undefined);
      await cache.settled();
      clock.advance(61_000);
      await expect(http.get('/gone')).rejects.toMatchObject({ response: { status: 404 } });
      await cache.settled();
      const again = await http.get('/gone', ok);
      expect([again.status, again.staleCache?.state, again.data]).toEqual([404, 'hit', { n: 1 }]);
      expect(upstream.calls('/gone')).toBe(2);
    });

    it('a GET whose method override names an unsafe method invalidates when it succeeds', async () => {
      upstream.route('/r', (req, res) =>
        req.headers['x-http-method-override'] ? send.json({})(req, res) : counted()(req, res),
      );
      const { http, cache } = instance();
      await http.get('/r');
      await cache.settled();
      await http.get('/r', { headers: { 'X-HTTP-Method-Override': 'DELETE' } });
      expect(state(await http.get('/r'))).toEqual(['miss', { n: 2 }]);
    });

    it('a 304 for the caller’s validators has the body the adapter would give: a Buffer for arraybuffer', async () => {
      upstream.route('/doc', send.json({ v: 1 }, 200, { etag: '"v1"' }));
      const { http, cache } = instance();
      await http.get('/doc');
      await cache.settled();
      const res = await http.get('/doc', { headers: { 'If-None-Match': '"v1"' }, responseType: 'arraybuffer', ...ok });
      expect([res.status, Buffer.isBuffer(res.data), (res.data as Buffer).byteLength]).toEqual([304, true, 0]);
    });
  });
}
