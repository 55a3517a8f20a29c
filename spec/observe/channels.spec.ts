import * as diagnostics from 'node:diagnostics_channel';
import axios, { type AxiosInstance } from 'axios';
import {
  attachStaleCache,
  CHANNELS,
  memoryStore,
  redisStore,
  type CacheStore,
  type RequestMessage,
  type StaleCacheHandle,
  type StoreMessage,
  type UpstreamMessage,
} from '../../lib/index';
import { defaultRoute } from '../../lib/observe/route';
import { cleanup, connect, prefixes } from '../helpers/redis';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { downStore } from '../helpers/recording-store';
import { fakeClock } from '../helpers/time';
import type { RedisClientType } from 'redis';

/** Messages of one tracing channel for one cache, by the sub-channel they came on. */
function record<M extends { cache: StaleCacheHandle }>(name: string, cache: () => StaleCacheHandle) {
  const seen = { start: [] as M[], asyncEnd: [] as M[], error: [] as M[] };
  const mine = (m: unknown): m is M => (m as M).cache === cache();
  const handlers = {
    start: (m: unknown) => mine(m) && seen.start.push({ ...m }),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (m: unknown) => mine(m) && seen.asyncEnd.push({ ...m }),
    error: (m: unknown) => mine(m) && seen.error.push({ ...m }),
  };
  const channel = diagnostics.tracingChannel(name);
  channel.subscribe(handlers as never);
  return { seen, stop: () => channel.unsubscribe(handlers as never) };
}

function listen<M>(name: string): { seen: M[]; stop(): void } {
  const seen: M[] = [];
  const fn = (m: unknown) => seen.push(m as M);
  diagnostics.subscribe(name, fn);
  return { seen, stop: () => diagnostics.unsubscribe(name, fn) };
}

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe('the default route label', () => {
  it.each([
    ['https://api.example.com/users/42/orders?page=2', 'api.example.com/users/:id/orders'],
    ['http://127.0.0.1:8080/v2/items/abc', '127.0.0.1:8080/v2/items/abc'],
    ['https://api.example.com/users/alice@example.com/profile', 'api.example.com/users/:id/profile'],
    ['https://api.example.com/password-reset/QhKfXwTzRmPbLcVnYdGsJe', 'api.example.com/password-reset/:id'],
    ['https://api.example.com/v1/customers/cus_NffrFeUfNV', 'api.example.com/v1/customers/:id'],
    ['https://api.example.com/order-items/by_date', 'api.example.com/order-items/by_date'],
    ['https://u:p@h.test/a#frag', 'h.test/a'],
    ['https://h.test/', 'h.test/'],
    ['https://h.test/reset/abcdefghijklmnopqrstuvwxyzabcdefgh', 'h.test/reset/:id'],
    ['https://h.test/1/2/3/4/5/6/7/8/9/10', 'h.test/:id/:id/:id/:id/:id/:id/:id/:id/…'],
    ['/relative/7?x=1', '/relative/:id'],
  ])('%s -> %s', (url, route) => {
    expect(defaultRoute(url)).toBe(route);
  });
});

describe.each<[string, () => Promise<{ store: CacheStore; done(): Promise<void> }>]>([
  ['memory store', async () => ({ store: memoryStore(), done: async () => undefined })],
  [
    'Redis',
    async () => {
      const client: RedisClientType = await connect();
      const p = prefixes();
      return {
        store: redisStore(client),
        done: async () => {
          await cleanup(client, p);
          await client.quit();
        },
        ...p,
      };
    },
  ],
])('diagnostics channels on the %s', (_name, makeStore) => {
  let http: AxiosInstance;
  let cache: StaleCacheHandle;
  let done: () => Promise<void>;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    const made = await makeStore();
    done = made.done;
    const { store, ...rest } = made as { store: CacheStore } & Record<string, unknown>;
    const keyPrefixes =
      typeof rest.primaryKeyPrefix === 'string'
        ? { primaryKeyPrefix: rest.primaryKeyPrefix, staleKeyPrefix: rest.staleKeyPrefix as string }
        : {};
    http = axios.create({ baseURL: upstream.baseURL, timeout: 2_000 });
    clock = fakeClock();
    cache = attachStaleCache(http, { store, ttl: 1_000, staleTtl: 60_000, ...keyPrefixes });
  });
  afterEach(async () => {
    clock.restore();
    await cache.settled();
    cache.detach();
    await done();
  });

  it('publishes each request with its state, status, duration and route, and a stale answer its age', async () => {
    const requests = record<RequestMessage>(CHANNELS.request, () => cache);
    stops.push(requests.stop);
    upstream.route('/users/42', send.json({ id: 42 }));
    await http.get('/users/42', { params: { token: 'secret' } });
    await http.get('/users/42', { params: { token: 'secret' } });
    await cache.settled();
    upstream.route('/users/42', send.status(503));
    clock.advance(1_100); // past the ttl
    const stale = await http.get('/users/42', { params: { token: 'secret' } });
    expect(stale.staleCache?.state).toBe('stale');

    expect(requests.seen.start.map((m) => [m.method, m.route])).toEqual([
      ['get', `127.0.0.1:${upstream.port}/users/:id`],
      ['get', `127.0.0.1:${upstream.port}/users/:id`],
      ['get', `127.0.0.1:${upstream.port}/users/:id`],
    ]);
    expect(requests.seen.start[0]?.state).toBeUndefined(); // not known yet at start
    expect(requests.seen.start[0]?.url).toBe(`${upstream.baseURL}/users/42`); // without its params
    for (const m of [...requests.seen.start, ...requests.seen.asyncEnd])
      expect(`${m.url} ${m.route}`).not.toContain('secret');
    const ends = requests.seen.asyncEnd;
    expect(ends.map((m) => m.state)).toEqual(['miss', 'hit', 'stale']);
    expect(ends[0]).toMatchObject({ status: 200 });
    expect(ends[2]).toMatchObject({ cause: 'status', status: 503 });
    expect(ends[2]?.age).toBeGreaterThanOrEqual(1_100);
    for (const m of ends) expect(m.duration).toBeGreaterThanOrEqual(0);
  });

  it('publishes a request that rejects on error and asyncEnd, with its state', async () => {
    const requests = record<RequestMessage>(CHANNELS.request, () => cache);
    stops.push(requests.stop);
    upstream.route('/down', send.status(500));
    await expect(http.get('/down')).rejects.toThrow();
    expect(requests.seen.error).toHaveLength(1);
    expect(requests.seen.asyncEnd[0]).toMatchObject({ state: 'failed', cause: 'status', status: 500 });
    expect(requests.seen.asyncEnd[0]?.error).toBeDefined();
  });

  it('publishes every store call with its op, outcome, keys and bytes', async () => {
    const calls = record<StoreMessage>(CHANNELS.store, () => cache);
    stops.push(calls.stop);
    upstream.route('/s', send.json({ big: 'x'.repeat(1000) }));
    await http.get('/s');
    await cache.settled();
    await http.get('/s');
    const ends = calls.seen.asyncEnd;
    const gets = ends.filter((m) => m.op === 'get');
    const sets = ends.filter((m) => m.op === 'set');
    expect(gets.map((m) => [m.outcome, m.found])).toEqual([
      ['ok', false],
      ['ok', true],
    ]);
    expect(gets[1]?.bytes).toBeGreaterThan(1000);
    expect(sets).toHaveLength(1);
    expect(sets[0]).toMatchObject({ outcome: 'ok', keys: 2 });
    expect(sets[0]?.bytes).toBeGreaterThan(2000); // both tiers
    for (const m of ends) expect(m.duration).toBeGreaterThanOrEqual(0);
  });

  it('publishes every upstream request: a caller’s and a background refresh', async () => {
    const calls = record<UpstreamMessage>(CHANNELS.upstream, () => cache);
    stops.push(calls.stop);
    upstream.route('/u', send.json({ ok: true }));
    await http.get('/u', { staleCache: { staleWhileRevalidate: 10_000 } });
    await cache.settled();
    clock.advance(1_100);
    await http.get('/u', { staleCache: { staleWhileRevalidate: 10_000 } });
    await cache.settled();
    upstream.route('/u', send.status(502));
    clock.advance(1_100);
    await http.get('/u');
    expect(calls.seen.asyncEnd.map((m) => [m.purpose, m.outcome, m.status])).toEqual([
      ['request', 'success', 200],
      ['refresh', 'success', 200],
      ['request', 'failure', 502],
    ]);
    expect(calls.seen.asyncEnd[2]?.cause).toBe('status');
    expect(calls.seen.asyncEnd[0]?.route).toBe(`127.0.0.1:${upstream.port}/u`);
  });

  it('publishes writes skipped, with their reason', async () => {
    const skips = listen<{ cache: StaleCacheHandle; reason: string; bytes?: number }>(CHANNELS.skip);
    stops.push(skips.stop);
    const small = axios.create({ baseURL: upstream.baseURL });
    const other = attachStaleCache(small, { maxEntryBytes: 100 });
    upstream.route('/big', send.json({ big: 'x'.repeat(500) }));
    await small.get('/big');
    expect(skips.seen.filter((m) => m.cache === other).map((m) => m.reason)).toEqual(['too-large']);
    other.detach();
  });
});

describe('diagnostics channels, more', () => {
  it('publishes breaker transitions, naming the cache', async () => {
    const breaker = listen<{ cache: StaleCacheHandle; state: string }>(CHANNELS.breaker);
    stops.push(breaker.stop);
    const down = downStore();
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: down, storeBreaker: { failures: 2, cooldown: 60_000 } });
    upstream.route('/b', send.json({}));
    for (let i = 0; i < 3; i++) await http.get('/b');
    await cache.settled();
    expect(breaker.seen.filter((m) => m.cache === cache).map((m) => m.state)).toContain('open');
    cache.detach();
  });

  /** An instance whose route function counts its calls, names every route `label`, and throws for /boom. */
  function routed(label: string): { http: AxiosInstance; cache: StaleCacheHandle; calls(): number; errors: string[] } {
    const http = axios.create({ baseURL: upstream.baseURL });
    let calls = 0;
    const cache = attachStaleCache(http, {
      route: ({ url }) => {
        calls++;
        if (url.includes('boom')) throw new Error('boom');
        return label;
      },
    });
    const errors: string[] = [];
    cache.on('error', (e) => errors.push(e.op));
    return { http, cache, calls: () => calls, errors };
  }

  it('uses the route option and a request’s own route; a route function that throws gives the default', async () => {
    const { http, cache, errors, calls } = routed('users');
    upstream.route('/r/1', send.json({}));
    upstream.route('/boom', send.json({}));
    // Nobody listens: the route is never computed.
    await http.get('/r/1');
    expect(calls()).toBe(0);
    const requests = record<RequestMessage>(CHANNELS.request, () => cache);
    stops.push(requests.stop);
    await http.get('/r/1');
    await http.get('/r/1', { staleCache: { route: 'own' } });
    await http.get('/boom');
    expect(requests.seen.start.map((m) => m.route)).toEqual(['users', 'own', `127.0.0.1:${upstream.port}/boom`]);
    expect(errors).toEqual(['route']);
    cache.detach();
  });

  it('computes a route once per request, the same for every channel and event; a failing route() reports once', async () => {
    const { http, cache, errors, calls } = routed('r');
    const routes: string[] = [];
    cache.on('miss', (e) => routes.push(e.route));
    cache.on('bypass', (e) => routes.push(e.route));
    const requests = record<RequestMessage>(CHANNELS.request, () => cache);
    const upstreams = record<UpstreamMessage>(CHANNELS.upstream, () => cache);
    stops.push(requests.stop, upstreams.stop);
    upstream.route('/once', send.json({}));
    upstream.route('/boom', send.json({}));
    await http.get('/once');
    await http.post('/once', {});
    expect(calls()).toBe(2);
    expect(routes).toEqual(['r', 'r']);
    // A bypassed request reaches the upstream channel too.
    expect(upstreams.seen.asyncEnd.map((m) => [m.method, m.route, m.status])).toEqual([
      ['get', 'r', 200],
      ['post', 'r', 200],
    ]);
    for (let i = 0; i < 5; i++) await http.get('/boom', { params: { i } });
    expect(errors).toEqual(['route']);
    cache.detach();
  });

  it('gives a request refused before the cache decided a duration, without a state', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const requests = record<RequestMessage>(CHANNELS.request, () => cache);
    stops.push(requests.stop);
    await expect(http.get('/x', { staleCache: { ttl: -1 } })).rejects.toThrow(TypeError);
    expect(requests.seen.asyncEnd).toHaveLength(1);
    expect(requests.seen.asyncEnd[0]?.state).toBeUndefined();
    expect(requests.seen.asyncEnd[0]?.duration).toBeGreaterThanOrEqual(0);
    cache.detach();
  });

  it('rejects a bad route option at attach time and per request', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    expect(() => attachStaleCache(http, { route: 'users' as never })).toThrow(/options\.route must be a function/);
    const cache = attachStaleCache(http);
    await expect(http.get('/x', { staleCache: { route: '' } })).rejects.toThrow(
      /staleCache\.route must be a non-empty string/,
    );
    cache.detach();
  });

  it('builds nothing for a channel nobody subscribes to: no route, no URL', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    let calls = 0;
    const getUri = jest.spyOn(axios, 'getUri');
    const cache = attachStaleCache(http, {
      route: () => {
        calls++;
        return 'r';
      },
    });
    upstream.route('/n', send.json({}));
    await http.get('/n');
    await http.get('/n');
    expect(calls).toBe(0);
    expect(getUri).not.toHaveBeenCalled();
    getUri.mockRestore();
    cache.detach();
  });
});
