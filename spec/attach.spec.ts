import axios, {
  AxiosHeaders,
  type AxiosInstance,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios';
import type MockAdapter from 'axios-mock-adapter';
import { attachStaleCache } from '../lib/attach';
import { memoryStore } from '../lib/stores/memory';
import type { CacheEvent, StaleCacheHandle } from '../lib/types';
import { mockBackend } from './helpers/backends';
import { recordingStore, type RecordingStore } from './helpers/recording-store';
import { sleep, upstreamScenarios } from './helpers/scenarios';
import { mockedInstance } from './helpers/backends';

describe('attachStaleCache against axios-mock-adapter', () => {
  upstreamScenarios(mockBackend);
});

/** An instance whose mock answers every GET with its own URL and request headers, counting calls. */
function echoInstance(config: AxiosRequestConfig = {}): {
  http: AxiosInstance;
  mock: MockAdapter;
  calls: () => number;
  seen: InternalAxiosRequestConfig[];
} {
  const { http, mock } = mockedInstance(config);
  const seen: InternalAxiosRequestConfig[] = [];
  mock.onAny().reply((c: AxiosRequestConfig) => {
    const cfg = c as InternalAxiosRequestConfig;
    seen.push(cfg);
    const headers = AxiosHeaders.from(cfg.headers);
    return [
      200,
      {
        url: cfg.url,
        params: cfg.params ?? null,
        accept: headers.get('accept') ?? null,
        auth: headers.get('authorization') ?? null,
        n: seen.length,
      },
    ];
  });
  return { http, mock, calls: () => seen.length, seen };
}

describe('per-request options', () => {
  let store: RecordingStore;
  let cache: StaleCacheHandle;
  let env: ReturnType<typeof echoInstance>;

  beforeEach(() => {
    env = echoInstance();
    store = recordingStore();
    cache = attachStaleCache(env.http, { store, ttl: 5_000, staleTtl: 60_000 });
  });
  afterEach(() => cache.detach());

  it('honours a per-request ttl and staleTtl', async () => {
    await env.http.get('/a', { staleCache: { ttl: 1_000, staleTtl: 300_000 } });
    await cache.settled();
    expect(store.sets[0]?.map((e) => e.ttl)).toEqual([1_000, 300_000]);
  });

  it('a per-request ttl of 0 skips the primary tier: stale only, every call goes upstream', async () => {
    await env.http.get('/a', { staleCache: { ttl: 0 } });
    await cache.settled();
    await env.http.get('/a', { staleCache: { ttl: 0 } });
    expect(env.calls()).toBe(2);
    expect(store.sets[0]?.map((e) => e.key.split(':')[0])).toEqual(['stale_http']);
  });

  it('staleCache: false reads nothing and writes nothing', async () => {
    await env.http.get('/a');
    await cache.settled();
    const gets = store.gets.length;
    const sets = store.sets.length;
    const res = await env.http.get('/a', { staleCache: false });
    await cache.settled();
    expect(res.staleCache).toEqual({ state: 'bypass', reason: 'opt-out' });
    expect(env.calls()).toBe(2);
    expect(store.gets.length).toBe(gets);
    expect(store.sets.length).toBe(sets);
  });

  it('a per-request key replaces the URL: two URLs with one key share an entry', async () => {
    const a = await env.http.get('/a', { staleCache: { key: 'users-list' } });
    await cache.settled();
    const b = await env.http.get('/b?x=1', { staleCache: { key: 'users-list' } });
    expect(b.staleCache?.state).toBe('hit');
    expect(b.staleCache?.key).toBe(a.staleCache?.key);
    expect(b.data.url).toBe('/a');
  });
});

describe('keys', () => {
  let cache: StaleCacheHandle;
  let env: ReturnType<typeof echoInstance>;
  const keyOf = async (config: AxiosRequestConfig): Promise<string | undefined> => {
    const res = await env.http.request(config);
    await cache.settled();
    return res.staleCache?.key;
  };

  afterEach(() => cache.detach());

  it('vary: two Accept values make two entries; a header not in vary does not split the key', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http, { vary: ['Accept'] });
    const json = await keyOf({ url: '/v', headers: { Accept: 'application/json' } });
    const xml = await keyOf({ url: '/v', headers: { Accept: 'application/xml' } });
    expect(json).not.toBe(xml);
    expect(json).toMatch(/^primary_http:\{[\w-]{43}\}:[\w-]{43}$/);
    expect(env.calls()).toBe(2);

    const again = await env.http.get('/v', { headers: { accept: 'application/xml', 'x-trace-id': 'abc' } });
    expect(again.staleCache?.state).toBe('hit');
    expect(again.data.accept).toBe('application/xml');
    const json2 = await env.http.get('/v', { headers: { Accept: 'application/json', 'x-trace-id': 'def' } });
    expect(json2.staleCache?.state).toBe('hit');
    expect(json2.data.accept).toBe('application/json');
    expect(env.calls()).toBe(2);
  });

  it('params order does not matter, and params equal the same query written in the URL', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http);
    const a = await keyOf({ url: '/search', params: { q: 'redis', page: 2, tags: ['a', 'b'] } });
    const b = await keyOf({ url: '/search', params: { tags: ['a', 'b'], page: 2, q: 'redis' } });
    const c = await keyOf({ url: '/search?page=2', params: { q: 'redis', tags: ['a', 'b'] } });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(env.calls()).toBe(1);
    const other = await keyOf({ url: '/search', params: { q: 'redis', page: 3, tags: ['a', 'b'] } });
    expect(other).not.toBe(a);
    const reordered = await keyOf({ url: '/search', params: { q: 'redis', page: 2, tags: ['b', 'a'] } });
    expect(reordered).not.toBe(a); // values of one name keep their order: they are a different request
  });

  it('baseURL plus a relative URL has the key of the same absolute URL', async () => {
    env = echoInstance({ baseURL: 'http://api.test/v1/' });
    cache = attachStaleCache(env.http);
    const relative = await keyOf({ url: '/users' });
    const absolute = await keyOf({ url: 'http://api.test/v1/users', baseURL: undefined });
    const hostCase = await keyOf({ url: 'HTTP://API.test:80/v1/users' });
    expect(absolute).toBe(relative);
    // A custom adapter (this mock) is handed the strings, not a parsed URL: only axios's own
    // adapters are known to send these spellings as the same bytes (see the http integration spec).
    expect(hostCase).not.toBe(relative);
    expect(env.calls()).toBe(2);
  });

  it('baseURL and allowAbsoluteUrls are part of the address: the same url string on two hosts is two entries', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http);
    const a = await keyOf({ url: '/x', baseURL: 'http://a.test' });
    const b = await keyOf({ url: '/x', baseURL: 'http://b.test' });
    const absolute = await keyOf({ url: 'http://c.test/x', baseURL: 'http://a.test' });
    const joined = await keyOf({ url: 'http://c.test/x', baseURL: 'http://a.test', allowAbsoluteUrls: false });
    expect(new Set([a, b, absolute, joined]).size).toBe(4);
    expect(env.calls()).toBe(4);
  });

  it('the method is part of the key: HEAD and GET of one URL are two entries', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http);
    const get = await keyOf({ url: '/m', method: 'get' });
    const head = await keyOf({ url: '/m', method: 'head' });
    expect(head).not.toBe(get);
  });
});

describe('credentials', () => {
  let cache: StaleCacheHandle;
  let env: ReturnType<typeof echoInstance>;
  afterEach(() => cache.detach());

  it.each([
    ['Authorization', { Authorization: 'Bearer alice' }],
    ['Cookie', { Cookie: 'session=alice' }],
  ])('a request with %s not listed in vary bypasses the cache', async (_name, headers) => {
    env = echoInstance();
    const store = recordingStore();
    cache = attachStaleCache(env.http, { store });
    const first = await env.http.get('/me', { headers });
    const second = await env.http.get('/me', { headers });
    await cache.settled();
    expect(first.staleCache).toEqual({ state: 'bypass', reason: 'credentials' });
    expect(second.staleCache?.state).toBe('bypass');
    expect(env.calls()).toBe(2);
    expect(store.gets).toHaveLength(0);
    expect(store.sets).toHaveLength(0);
  });

  it('basic auth given as config.auth bypasses too', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http);
    const res = await env.http.get('/me', { auth: { username: 'alice', password: 'pw' } });
    expect(res.staleCache?.reason).toBe('credentials');
  });

  it('with Authorization in vary, each user gets an entry of their own', async () => {
    env = echoInstance();
    cache = attachStaleCache(env.http, { vary: ['authorization'] });
    await env.http.get('/me', { headers: { Authorization: 'Bearer alice' } });
    await env.http.get('/me', { headers: { Authorization: 'Bearer bob' } });
    await cache.settled();
    const alice = await env.http.get('/me', { headers: { Authorization: 'Bearer alice' } });
    const bob = await env.http.get('/me', { headers: { Authorization: 'Bearer bob' } });
    expect([alice.staleCache?.state, bob.staleCache?.state]).toEqual(['hit', 'hit']);
    expect(alice.data.auth).toBe('Bearer alice');
    expect(bob.data.auth).toBe('Bearer bob');
    expect(alice.staleCache?.key).not.toBe(bob.staleCache?.key);
  });
});

describe('bodies', () => {
  let cache: StaleCacheHandle;
  afterEach(() => cache.detach());

  it('JSON, text and arraybuffer bodies round-trip exactly', async () => {
    const { http, mock } = mockedInstance();
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0a, 0x0d, 0x80]);
    mock.onGet('/json').reply(200, { a: [1, { b: null }], s: 'é\n"' }, { 'content-type': 'application/json' });
    mock.onGet('/text').reply(200, 'line 1\nline 2 ünïcödé', { 'content-type': 'text/plain' });
    mock.onGet('/bin').reply(200, bytes, { 'content-type': 'application/octet-stream' });
    cache = attachStaleCache(http);
    const first = await Promise.all([
      http.get('/json'),
      http.get('/text'),
      http.get('/bin', { responseType: 'arraybuffer' }),
    ]);
    await cache.settled();
    const [json, text, bin] = await Promise.all([
      http.get('/json'),
      http.get('/text'),
      http.get('/bin', { responseType: 'arraybuffer' }),
    ]);
    expect([json, text, bin].map((r) => r.staleCache?.state)).toEqual(['hit', 'hit', 'hit']);
    expect(json.data).toEqual(first[0].data);
    expect(text.data).toBe('line 1\nline 2 ünïcödé');
    expect(Buffer.isBuffer(bin.data)).toBe(true);
    expect(Buffer.compare(bin.data, bytes)).toBe(0);
    bin.data[0] = 99; // a caller's bytes are its own
    const again = await http.get('/bin', { responseType: 'arraybuffer' });
    expect(again.data[0]).toBe(0);
  });
});

describe('zeroCopy', () => {
  let cache: StaleCacheHandle;
  afterEach(() => cache.detach());

  function jsonInstance(): AxiosInstance {
    const { http, mock } = mockedInstance();
    mock.onGet('/doc').reply(200, { list: [{ n: 1 }], name: 'doc' }, { 'content-type': 'application/json' });
    mock.onGet('/bin').reply(200, Buffer.from([1, 2, 3]), { 'content-type': 'application/octet-stream' });
    return http;
  }

  it('off (the default): every hit is a copy of its own, free to change', async () => {
    const http = jsonInstance();
    cache = attachStaleCache(http);
    await http.get('/doc');
    await cache.settled();
    const [a, b] = [await http.get('/doc'), await http.get('/doc')];
    expect([a.staleCache?.state, b.staleCache?.state]).toEqual(['hit', 'hit']);
    expect(a.data).not.toBe(b.data);
    expect(Object.isFrozen(a.data)).toBe(false);
    a.data.list[0].n = 99;
    expect((await http.get('/doc')).data.list[0].n).toBe(1);
  });

  it('on: hits share one deep-frozen value, and changing it throws instead of leaking to the next caller', async () => {
    const http = jsonInstance();
    cache = attachStaleCache(http, { zeroCopy: true });
    const miss = await http.get('/doc');
    await cache.settled();
    const [a, b] = [await http.get('/doc'), await http.get('/doc')];
    expect([miss.staleCache?.state, a.staleCache?.state, b.staleCache?.state]).toEqual(['miss', 'hit', 'hit']);
    expect(a.data).toBe(b.data);
    expect(a.data).toEqual({ list: [{ n: 1 }], name: 'doc' });
    expect(Object.isFrozen(a.data) && Object.isFrozen(a.data.list) && Object.isFrozen(a.data.list[0])).toBe(true);
    expect(() => {
      a.data.list[0].n = 99;
    }).toThrow(TypeError);
    expect(miss.data).not.toBe(a.data); // the answer from upstream stays the caller's own
    expect(Object.isFrozen(miss.data)).toBe(false);
  });

  it('on: binary bodies are still copied per caller (bytes cannot be frozen)', async () => {
    const http = jsonInstance();
    cache = attachStaleCache(http, { zeroCopy: true });
    await http.get('/bin', { responseType: 'arraybuffer' });
    await cache.settled();
    const a = await http.get('/bin', { responseType: 'arraybuffer' });
    a.data[0] = 42;
    const b = await http.get('/bin', { responseType: 'arraybuffer' });
    expect(b.staleCache?.state).toBe('hit');
    expect([...b.data]).toEqual([1, 2, 3]);
  });
});

describe('lifecycle and validation', () => {
  it('a request already past our interceptor when detach() is called goes upstream untouched', async () => {
    const { http, calls } = echoInstance();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    // Added before attaching, so axios runs it after ours: the request waits here, adapter installed.
    http.interceptors.request.use(async (config) => {
      if (config.headers['x-gate']) await gate;
      return config;
    });
    const store = recordingStore();
    const cache = attachStaleCache(http, { store });
    await http.get('/d');
    await cache.settled();
    const pending = http.get('/d', { headers: { 'x-gate': '1' } });
    await sleep(5);
    cache.detach();
    const reads = store.gets.length;
    release();
    const res = await pending;
    expect(res.staleCache).toBeUndefined();
    expect(calls()).toBe(2); // not a hit
    expect(store.gets.length).toBe(reads);
  });

  it('detach() restores the plain instance: no reads, no writes, no metadata', async () => {
    const env = echoInstance();
    const store = recordingStore();
    const cache = attachStaleCache(env.http, { store });
    await env.http.get('/d');
    await cache.settled();
    cache.detach();
    const res = await env.http.get('/d');
    expect(res.staleCache).toBeUndefined();
    expect(env.calls()).toBe(2);
    expect(store.gets).toHaveLength(1);
    expect(env.http.interceptors.request.handlers?.filter(Boolean)).toHaveLength(0);
    expect(env.http.interceptors.response.handlers?.filter(Boolean)).toHaveLength(0);
    expect(() => attachStaleCache(env.http).detach()).not.toThrow(); // attachable again
  });

  it('attaching twice to one instance throws', () => {
    const http = axios.create();
    const cache = attachStaleCache(http);
    expect(() => attachStaleCache(http)).toThrow(/already has a stale cache/);
    cache.detach();
  });

  const bad: Array<[string, unknown]> = [
    ['ttl', -1],
    ['ttl', Number.NaN],
    ['ttl', Infinity],
    ['ttl', '5000'],
    ['ttl', 1.5],
    ['staleTtl', -5],
    ['staleTtl', 10], // below the default ttl of 5000
    ['storeTimeout', 0],
    ['maxEntryBytes', -1],
    ['staleWhileRevalidate', -1],
    ['primaryKeyPrefix', ''],
    ['primaryKeyPrefix', 'has{brace}'],
    ['staleKeyPrefix', 'primary_http'], // the same as primaryKeyPrefix
    ['vary', 'accept'],
    ['vary', ['bad header']],
    ['methods', ['get', 'fetch']],
    ['methods', []],
    ['isCacheable', true],
    ['staleIf', 'always'],
    ['coalesce', 'yes'],
    ['coalesce', 'Fleet'],
    ['zeroCopy', 1],
    ['store', {}],
    ['tll', 5000], // unknown key (a typo)
  ];

  it.each(bad)('options.%s = %p throws a TypeError naming the option', (name, value) => {
    const http = axios.create();
    expect(() => attachStaleCache(http, { [name]: value } as never)).toThrow(TypeError);
    expect(() => attachStaleCache(http, { [name]: value } as never)).toThrow(new RegExp(`options\\.${name}\\b`));
    expect(() => attachStaleCache(http).detach()).not.toThrow(); // nothing was attached by the failures
  });

  it('staleTtl below ttl names both', () => {
    expect(() => attachStaleCache(axios.create(), { ttl: 10_000, staleTtl: 5_000 })).toThrow(
      /options\.ttl \(10000\) must be <= options\.staleTtl \(5000\)/,
    );
  });

  it('a non-instance is refused', () => {
    expect(() => attachStaleCache({} as AxiosInstance)).toThrow(TypeError);
  });

  it.each([
    [{ ttl: -1 }, /staleCache\.ttl/],
    [{ staleTtl: 'long' }, /staleCache\.staleTtl/],
    [{ ttl: 10, staleTtl: 5 }, /staleCache\.staleTtl/],
    [{ vary: 'accept' }, /staleCache\.vary/],
    [{ key: 42 }, /staleCache\.key/],
    [{ tll: 5 }, /staleCache\.tll/],
    ['yes', /staleCache/],
  ])('a bad per-request staleCache %p rejects with a TypeError before any network call', async (value, message) => {
    const env = echoInstance();
    const cache = attachStaleCache(env.http);
    const error = await env.http.get('/x', { staleCache: value as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error as Error).message)).toMatch(message);
    expect(env.calls()).toBe(0);
    cache.detach();
  });
});

describe('concurrency and interceptors', () => {
  it('200 concurrent GETs over 20 URLs, hits and misses mixed, each get their own URL’s data', async () => {
    const { http, mock } = mockedInstance({}, { delayResponse: 5 });
    mock
      .onGet(/\/item\/\d+/)
      .reply((c) => [200, { id: Number((c.url ?? '').split('/').pop()), body: 'x'.repeat(100) }]);
    const cache = attachStaleCache(http, { store: memoryStore() });
    for (let i = 0; i < 20; i += 2) await http.get(`/item/${i}`); // half the URLs are already cached
    await cache.settled();
    const ids = Array.from({ length: 200 }, (_, i) => (i * 7) % 20);
    const results = await Promise.all(ids.map((id) => http.get(`/item/${id}`)));
    results.forEach((res, i) => expect(res.data.id).toBe(ids[i]));
    const states = new Set(results.map((r) => r.staleCache?.state));
    expect(states).toEqual(new Set(['hit', 'miss']));
    cache.detach();
  });

  it('request interceptors added before and after attaching still run and feed the key; response interceptors see the metadata', async () => {
    const env = echoInstance();
    const order: string[] = [];
    env.http.interceptors.request.use((c) => {
      order.push('before');
      c.headers.set('Authorization', 'Bearer token-1');
      return c;
    });
    env.http.interceptors.response.use((res) => {
      order.push(`res-before:${res.staleCache?.state}`);
      return res;
    });
    const cache = attachStaleCache(env.http, { vary: ['authorization'] });
    env.http.interceptors.request.use((c) => {
      order.push('after');
      c.headers.set('X-Api-Version', '2');
      return c;
    });
    const events: CacheEvent[] = [];
    cache.on('miss', (e) => events.push(e)).on('hit', (e) => events.push(e));
    env.http.interceptors.response.use((res) => {
      order.push(`res-after:${res.staleCache?.state}`);
      return res;
    });
    await env.http.get('/me');
    await cache.settled();
    const res = await env.http.get('/me');
    expect(res.staleCache?.state).toBe('hit');
    expect(order).toEqual([
      'after',
      'before',
      'res-before:miss',
      'res-after:miss',
      'after',
      'before',
      'res-before:hit',
      'res-after:hit',
    ]);
    expect(env.seen).toHaveLength(1);
    expect(AxiosHeaders.from(env.seen[0]?.headers).get('authorization')).toBe('Bearer token-1');
    expect(events.map((e) => [e.meta.state, e.url])).toEqual([
      ['miss', 'http://api.test/me'],
      ['hit', 'http://api.test/me'],
    ]);
    cache.detach();
  });

  it('an Authorization header set by an interceptor that axios runs after ours still bypasses the cache', async () => {
    const env = echoInstance();
    env.http.interceptors.request.use((c) => {
      c.headers.set('Authorization', 'Bearer secret');
      return c;
    });
    const cache = attachStaleCache(env.http);
    const res = await env.http.get('/me');
    expect(res.staleCache?.reason).toBe('credentials');
    cache.detach();
  });

  it('stats count every request once by how it was answered', async () => {
    const env = echoInstance();
    const cache = attachStaleCache(env.http);
    await env.http.get('/s');
    await cache.settled();
    await env.http.get('/s');
    await env.http.post('/s');
    expect(cache.stats()).toEqual({
      hits: 1,
      misses: 1,
      stale: 0,
      bypass: 1,
      failed: 0,
      breaker: 'off',
      storeErrors: 0,
      coalesced: 0,
      storeSkipped: 0,
      writesSkipped: 0,
    });
    cache.detach();
  });

  it('a listener that throws does not fail the request', async () => {
    const env = echoInstance();
    const cache = attachStaleCache(env.http);
    cache.on('miss', () => {
      throw new Error('listener bug');
    });
    await expect(env.http.get('/l')).resolves.toHaveProperty('status', 200);
    cache.detach();
  });

  it('a retried config (sent again through the instance) is cached like a new request', async () => {
    const env = echoInstance();
    const cache = attachStaleCache(env.http);
    const first = await env.http.get('/r');
    await cache.settled();
    const again = await env.http.request(first.config);
    expect(again.staleCache?.state).toBe('hit');
    cache.detach();
  });

  describe('on a fake clock (Date, performance and the memory store all follow it)', () => {
    beforeEach(() => {
      jest.useFakeTimers();
      jest.advanceTimersByTime(1); // lru-cache reads a start time of 0 as "no ttl"
    });
    afterEach(() => jest.useRealTimers());

    it('an entry is a hit until its ttl, a miss from then on', async () => {
      const env = echoInstance();
      const cache = attachStaleCache(env.http, { ttl: 30_000 });
      await env.http.get('/t');
      await cache.settled();
      jest.advanceTimersByTime(29_999);
      expect((await env.http.get('/t')).staleCache).toMatchObject({ state: 'hit', age: 29_999 });
      jest.advanceTimersByTime(2);
      expect((await env.http.get('/t')).staleCache?.state).toBe('miss');
      expect(env.calls()).toBe(2);
      cache.detach();
    });

    it('stale-while-revalidate: inside the window the entry is answered and refreshed; past it, a miss', async () => {
      const env = echoInstance();
      const cache = attachStaleCache(env.http, { ttl: 1_000, staleWhileRevalidate: 10_000, staleTtl: 60_000 });
      await env.http.get('/w');
      await cache.settled();
      jest.advanceTimersByTime(5_000);
      const early = await env.http.get('/w');
      expect(early.staleCache).toMatchObject({ state: 'stale', cause: 'revalidating', revalidating: true });
      await cache.settled();
      expect((await env.http.get('/w')).staleCache?.state).toBe('hit'); // refreshed
      jest.advanceTimersByTime(11_001);
      expect((await env.http.get('/w')).staleCache?.state).toBe('miss');
      cache.detach();
    });
  });
});

describe('invalidate', () => {
  it('removes both tiers of a URL for every cached method; the next request is a miss', async () => {
    const env = echoInstance();
    const store = recordingStore();
    const cache = attachStaleCache(env.http, { store });
    await env.http.get('/inv', { params: { a: 1 } });
    await env.http.head('/inv', { params: { a: 1 } });
    await cache.settled();
    await cache.invalidate({ url: '/inv', params: { a: 1 } });
    expect(store.deletes).toHaveLength(1);
    expect(store.deletes[0]).toHaveLength(4); // GET and HEAD, primary and stale
    for (const key of store.deletes[0] ?? []) expect(await store.inner.get(key)).toBeNull();
    expect((await env.http.get('/inv', { params: { a: 1 } })).staleCache?.state).toBe('miss');
    cache.detach();
  });

  it('with vary, removes every variant of the URL, or just one when given its headers', async () => {
    const env = echoInstance();
    const store = recordingStore();
    const cache = attachStaleCache(env.http, { store, vary: ['accept'] });
    const get = (accept: string) => env.http.get('/v', { headers: { Accept: accept } });
    await Promise.all([get('a/1'), get('a/2'), get('a/3')]);
    await cache.settled();
    await cache.invalidate({ url: '/v', headers: { accept: 'a/1' } });
    expect((await get('a/1')).staleCache?.state).toBe('miss');
    expect((await get('a/2')).staleCache?.state).toBe('hit');
    await cache.settled();
    await cache.invalidate('/v');
    const after = await Promise.all([get('a/1'), get('a/2'), get('a/3')]);
    expect(after.map((r) => r.staleCache?.state)).toEqual(['miss', 'miss', 'miss']);
    cache.detach();
  });

  it('a store that cannot list variants makes invalidate(url) reject with a clear error', async () => {
    const inner = memoryStore();
    const cache = attachStaleCache(axios.create(), {
      vary: ['accept'],
      store: { get: (k) => inner.get(k), set: (e) => inner.set(e), delete: (k) => inner.delete(k) },
    });
    await expect(cache.invalidate('/x')).rejects.toThrow(/cannot list the vary variants/);
    await expect(cache.invalidate({ url: '/x', headers: { accept: 'a' } })).resolves.toBeUndefined();
    cache.detach();
  });

  it('refuses a target without a url', async () => {
    const cache = attachStaleCache(axios.create());
    await expect(cache.invalidate({} as never)).rejects.toThrow(TypeError);
    cache.detach();
  });
});
