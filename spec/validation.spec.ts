import { parseDuration, resetDurationWarnings } from '../lib/duration';
import axios from 'axios';
import type MockAdapter from 'axios-mock-adapter';
import { attachStaleCache, defaultIsCacheable, defaultStaleIf, memoryStore } from '../lib/index';
import type { CacheSkipEvent, StaleCacheHandle } from '../lib/index';
import { mockedInstance } from './helpers/backends';
import { fakeClock } from './helpers/time';

/** What a user gets wrong is named at once; what the cache decides not to do is reported (issue 9). */
describe('options, events and skipped writes', () => {
  const handles: StaleCacheHandle[] = [];
  const mocked = (
    options: Parameters<typeof attachStaleCache>[1] = {},
  ): { http: ReturnType<typeof axios.create>; mock: MockAdapter; cache: StaleCacheHandle } => {
    const { http, mock } = mockedInstance();
    const cache = attachStaleCache(http, options);
    handles.push(cache);
    return { http, mock, cache };
  };
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => {
    clock.restore();
    handles.splice(0).forEach((h) => h.detach());
  });

  it('refuses a Map as a store: it has get, set and delete, but would silently never cache', () => {
    expect(() => attachStaleCache(axios.create(), { store: new Map() as never })).toThrow(
      /options\.store must be a CacheStore/,
    );
  });

  it.each([
    [{ storeBreaker: true }, /options\.storeBreaker must be false or \{ failures, cooldown \}, got true/],
    [{ storeBreaker: { failures: 0 } }, /options\.storeBreaker\.failures must be an integer >= 1/],
    [{ storeBreaker: { cooldown: -1 } }, /options\.storeBreaker\.cooldown must be an integer >= 1/],
    [{ storeBreaker: { failure: 3 } }, /unknown option options\.storeBreaker\.failure/],
    [{ softTimeout: 1.5 }, /options\.softTimeout must be an integer >= 0/],
    [{ failureBackoff: '10 seconds' }, /options\.failureBackoff must be a duration such as '500ms'.*got "10 seconds"/],
    [{ softTimeout: '60' }, /options\.softTimeout must be a duration .*got "60"/],
    [{ ttl: '-1s' }, /options\.ttl must be a duration .*got "-1s"/],
    [{ ttl: '0.0001s' }, /options\.ttl must be a duration/],
    [{ storeTimeout: '30d' }, /options\.storeTimeout must be at most 2147483647 ms/],
    [{ softTimeout: 2 ** 31 }, /options\.softTimeout must be at most 2147483647 ms/],
  ])('names a bad outage option: %j', (options, message) => {
    expect(() => attachStaleCache(axios.create(), options as never)).toThrow(TypeError);
    expect(() => attachStaleCache(axios.create(), options as never)).toThrow(message);
  });

  it('names a bad per-request outage option before any network call', async () => {
    const { http, mock } = mocked();
    mock.onGet('/x').reply(200, {});
    await expect(http.get('/x', { staleCache: { softTimeout: -5 } })).rejects.toThrow(
      /staleCache\.softTimeout must be an integer >= 0/,
    );
    await expect(http.get('/x', { staleCache: { failureBackoff: Number.NaN } })).rejects.toThrow(
      /staleCache\.failureBackoff must be an integer >= 0/,
    );
    expect(mock.history.get).toHaveLength(0);
  });

  it('refuses an unknown event name instead of never calling the listener', () => {
    const { cache } = mocked();
    expect(() => cache.on('stal' as never, () => undefined)).toThrow(/unknown event "stal"/);
    expect(() => cache.off('hits' as never, () => undefined)).toThrow(TypeError);
  });

  it('names the instance’s staleTtl when a per-request ttl goes over it', async () => {
    const { http } = mocked({ ttl: 100, staleTtl: 1_000 });
    await expect(http.get('/x', { staleCache: { ttl: 5_000 } })).rejects.toThrow(
      "staleCache.ttl (5000) must be <= the instance's staleTtl (1000)",
    );
    await expect(http.get('/x', { staleCache: { ttl: 5_000, staleTtl: 10 } })).rejects.toThrow(
      'staleCache.ttl (5000) must be <= staleCache.staleTtl (10)',
    );
    expect(() => attachStaleCache(axios.create(), { ttl: 10, staleTtl: 5 })).toThrow(
      'options.ttl (10) must be <= options.staleTtl (5)',
    );
    expect(() => attachStaleCache(axios.create(), { ttl: 10, staleTtl: 15, staleWhileRevalidate: 6 })).toThrow(
      'options.ttl + options.staleWhileRevalidate (16) must be <= options.staleTtl (15)',
    );
  });

  it('takes staleTtl: Infinity, a stale tier that never expires', async () => {
    const store = memoryStore();
    const { http, mock, cache } = mocked({ store, ttl: 1, staleTtl: Infinity });
    mock.onGet('/forever').replyOnce(200, { v: 1 }).onGet('/forever').reply(503);
    await http.get('/forever');
    await cache.settled();
    clock.advance(5);
    const stale = await http.get('/forever');
    expect([stale.staleCache?.state, stale.data]).toEqual(['stale', { v: 1 }]);
    expect(() => attachStaleCache(axios.create(), { ttl: Infinity })).toThrow(/options\.ttl must be an integer/);
  });

  it('reports an answer too large to store: a skip event with its size, and a stat', async () => {
    const { http, mock, cache } = mocked({ maxEntryBytes: 100 });
    mock.onGet('/big').reply(200, 'x'.repeat(1_000));
    const skips: CacheSkipEvent[] = [];
    cache.on('skip', (e) => skips.push(e));
    await http.get('/big');
    await cache.settled();
    expect(skips).toEqual([{ key: expect.any(String), reason: 'too-large', bytes: expect.any(Number) }]);
    expect(skips[0]?.bytes).toBeGreaterThanOrEqual(1_000);
    expect(cache.stats().writesSkipped).toBe(1);
    expect((await http.get('/big')).staleCache?.state).toBe('miss');
  });

  it('exports the default staleIf, so that 429 can fall back to stale without rewriting the rule', async () => {
    const { http, mock, cache } = mocked({ ttl: 1, staleIf: (f) => defaultStaleIf(f) || f.status === 429 });
    mock.onGet('/rate').replyOnce(200, { v: 1 }).onGet('/rate').replyOnce(429).onGet('/rate').replyOnce(404);
    await http.get('/rate');
    await cache.settled();
    clock.advance(5);
    const limited = await http.get('/rate');
    expect([limited.staleCache?.state, limited.staleCache?.cause, limited.data]).toEqual(['stale', 'status', { v: 1 }]);
    const missing = await http.get('/rate').catch((e: unknown) => e);
    expect(axios.isAxiosError(missing) && missing.response?.status).toBe(404); // a 404 is an answer, not an outage
  });

  it('a custom isCacheable decides what is written', async () => {
    const { http, mock, cache } = mocked({
      isCacheable: (r) => defaultIsCacheable(r) && r.headers['x-volatile'] === undefined,
    });
    mock.onGet('/volatile').reply(200, { v: 1 }, { 'x-volatile': '1' });
    mock.onGet('/steady').reply(200, { v: 1 });
    for (const path of ['/volatile', '/steady']) await http.get(path);
    await cache.settled();
    expect((await http.get('/volatile')).staleCache?.state).toBe('miss');
    expect((await http.get('/steady')).staleCache?.state).toBe('hit');
  });
});

describe('durations', () => {
  it('takes a string with its unit wherever it takes milliseconds, per instance and per request', async () => {
    const { http, mock } = mockedInstance();
    mock.onGet('/d').reply(200, { ok: true });
    const cache = attachStaleCache(http, { ttl: '5m', staleTtl: '7d', storeTimeout: '1.5s', softTimeout: '250ms' });
    const res = await http.get('/d', { staleCache: { ttl: '30s', staleTtl: '1h' } });
    expect(res.staleCache?.state).toBe('miss');
    await expect(cache.clear({ timeout: '10s' })).resolves.toBeUndefined();
    cache.detach();
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('60')).toBeUndefined();
  });

  it('warns once, naming the option, for a lifetime under a second given as a bare number', () => {
    const warnings: Array<{ code?: string; message: string }> = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((
      message: string,
      options: { code?: string },
    ) => {
      warnings.push({ message, code: options?.code });
    }) as never);
    resetDurationWarnings();
    try {
      const { http } = mockedInstance();
      attachStaleCache(http, { ttl: '60ms' }).detach(); // a unit says what it means: no warning
      attachStaleCache(http, { staleTtl: 3_600_000 }).detach();
      expect(warnings).toEqual([]);
      attachStaleCache(http, { ttl: 60 }).detach();
      attachStaleCache(http, { ttl: 60 }).detach();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.code).toBe('AXIOS_STALE_CACHE_SHORT_DURATION');
      expect(warnings[0]?.message).toMatch(/options\.ttl is 60 milliseconds.*'60s'/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('an entry carries its own freshness', () => {
  it('is fresh for the shorter of its own ttl and the reader’s: a reader with a longer ttl sees it age', async () => {
    const clock = fakeClock();
    const { http, mock } = mockedInstance();
    mock.onGet('/f').reply(200, { v: 1 });
    const cache = attachStaleCache(http, { ttl: 60_000, staleTtl: 600_000, staleWhileRevalidate: 60_000 });
    await http.get('/f', { staleCache: { ttl: 20 } }); // written fresh for 20 ms
    await cache.settled();
    clock.advance(40);
    const later = await http.get('/f'); // this reader's ttl is 60 s: the entry's own 20 ms decide
    expect(later.staleCache).toMatchObject({ state: 'stale', cause: 'revalidating' });
    await cache.settled();
    cache.detach();
    clock.restore();
  });
});
