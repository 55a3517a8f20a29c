import axios from 'axios';
import type { CachePeekEntry, CacheStore, StaleCacheOptions } from '../../lib/index';
import { attachStaleCache } from '../../lib/index';
import { instances } from './instances';
import { fakeClock } from './time';
import { send, startUpstream, type Upstream } from './upstream';
import { prefixes } from './redis';

/**
 * What an operator reaches for, on a store: peek() reads what is cached without the upstream, clear()
 * removes every entry of one cache and nothing of another's. Run against a real HTTP server on every
 * store (memory, Redis, Cluster, each client family), each cache under prefixes of its own.
 */
export function operatorTasks(store: () => CacheStore): void {
  let upstream: Upstream;
  let shared: CacheStore;
  let own: Partial<StaleCacheOptions>;
  const { instance, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: shared, ...own, ttl: 10_000, staleTtl: 600_000 }),
  );

  beforeEach(async () => {
    shared = store();
    own = prefixes();
    upstream = await startUpstream();
    upstream.route('/users/42', send.json({ id: 42 }, 200, { vary: 'accept-language' }));
  });
  afterEach(async () => {
    detachAll();
    await upstream.close();
  });

  it('peek: nothing, then what a request would get, without the upstream; the entry records its redacted URL', async () => {
    const clock = fakeClock();
    try {
      const { http, cache } = instance();
      expect(await cache.peek('/users/42?token=s3cret')).toBeUndefined();
      await http.get('/users/42?token=s3cret');
      await cache.settled();
      const calls = upstream.calls('/users/42');
      const fresh = (await cache.peek('/users/42?token=s3cret')) as CachePeekEntry;
      expect(fresh).toMatchObject({
        state: 'hit',
        status: 200,
        tiers: { primary: true, stale: true },
        vary: ['accept-language'],
        freshFor: 10_000,
        staleFor: 600_000,
      });
      expect(fresh?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/users\/42\?token=\*\*\*$/);
      expect(fresh?.key).toBe((await http.get('/users/42?token=s3cret')).staleCache?.key);
      expect(fresh?.bytes).toBeGreaterThan(20);
      clock.advance(12_000);
      expect(await cache.peek({ url: '/users/42', params: { token: 's3cret' } })).toMatchObject({
        state: 'miss',
        freshFor: 0,
        staleFor: 588_000,
        age: 12_000,
      });
      expect(await cache.peek('/users/43')).toBeUndefined();
      expect(upstream.calls('/users/42')).toBe(calls);
    } finally {
      clock.restore();
    }
  });

  it('peek: what the request itself would get: its bypass, its response-Vary variant, its directives', async () => {
    const { http, cache } = instance();
    await http.get('/users/42', { headers: { 'accept-language': 'fr' } });
    await cache.settled();
    expect(await cache.peek({ url: '/users/42', headers: { Authorization: 'Bearer x' } })).toEqual({
      state: 'bypass',
      reason: 'credentials',
    });
    expect(await cache.peek({ url: '/users/42', staleCache: false })).toEqual({ state: 'bypass', reason: 'opt-out' });
    expect(await cache.peek({ url: '/users/42', headers: { 'accept-language': 'fr' } })).toMatchObject({
      state: 'hit',
    });
    // The response varies on Accept-Language: another language's request would miss.
    expect(await cache.peek({ url: '/users/42', headers: { 'accept-language': 'de' } })).toBeUndefined();
    expect(
      await cache.peek({ url: '/users/42', headers: { 'accept-language': 'fr', 'cache-control': 'no-cache' } }),
    ).toMatchObject({ state: 'miss' });
  });

  it('peek: one vary variant at a time, named by the headers given', async () => {
    const { http, cache } = instance({ vary: ['x-tenant'] });
    await http.get('/users/42', { headers: { 'x-tenant': 'a' } });
    await cache.settled();
    expect(await cache.peek({ url: '/users/42', headers: { 'x-tenant': 'a' } })).toMatchObject({ state: 'hit' });
    expect(await cache.peek({ url: '/users/42', headers: { 'x-tenant': 'b' } })).toBeUndefined();
    expect(await cache.peek('/users/42')).toBeUndefined();
  });

  it('clear: every entry of this cache goes, and nothing of another cache on the same store', async () => {
    const a = instance();
    const otherPrefixes = prefixes();
    const b = instance(otherPrefixes);
    const urls = Array.from({ length: 30 }, (_, i) => `/users/42?page=${i}`);
    for (const url of urls) {
      await a.http.get(url);
      await b.http.get(url);
    }
    await Promise.all([a.cache.settled(), b.cache.settled()]);
    await a.cache.clear();
    for (const url of urls) {
      expect(await a.cache.peek(url)).toBeUndefined();
      expect(await b.cache.peek(url)).toMatchObject({ state: 'hit' });
    }
    expect((await a.http.get(urls[0] as string)).staleCache?.state).toBe('miss');
    await b.cache.clear();
  });

  it('clear: never reaches a cache whose prefix merely begins with this one’s', async () => {
    const base = prefixes();
    const a = instance(base);
    const b = instance({
      primaryKeyPrefix: `${base.primaryKeyPrefix}:v2`,
      staleKeyPrefix: `${base.staleKeyPrefix}:v2`,
    });
    await a.http.get('/users/42');
    await b.http.get('/users/42');
    await Promise.all([a.cache.settled(), b.cache.settled()]);
    await a.cache.clear();
    expect(await a.cache.peek('/users/42')).toBeUndefined();
    expect(await b.cache.peek('/users/42')).toMatchObject({ state: 'hit' });
    await b.cache.clear();
  });

  it('tags: a request made after invalidateTags() never joins a flight that began before it', async () => {
    const { http, cache } = instance();
    let version = 1;
    const held: Array<() => void> = [];
    upstream.route('/joined', (req, res) => {
      const v = version;
      held.push(() => send.json({ v }, 200, { 'cache-tag': 'j' })(req, res));
    });
    const first = http.get('/joined');
    for (let i = 0; i < 200 && held.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await cache.invalidateTags('j');
    version = 2;
    const second = http.get('/joined');
    for (let i = 0; i < 200 && held.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    for (const release of held) release();
    expect((await first).data).toEqual({ v: 1 });
    expect((await second).data).toEqual({ v: 2 });
    expect(upstream.calls('/joined')).toBe(2);
  });

  it('clear: an answer in flight when clear() began is not written after it', async () => {
    const { http, cache } = instance();
    let release: () => void = () => undefined;
    upstream.route('/slow', (req, res) => {
      release = () => send.json({ late: true })(req, res);
    });
    const pending = http.get('/slow');
    for (let i = 0; i < 200 && upstream.calls('/slow') === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await cache.clear();
    release();
    expect((await pending).staleCache?.state).toBe('miss');
    await cache.settled();
    expect(await cache.peek('/slow')).toBeUndefined();
  });

  it('clear: rejects a bad timeout, and a store that cannot list its keys', async () => {
    const { cache } = instance();
    await expect(cache.clear({ timeout: 0 })).rejects.toThrow(
      /clear\(\) options\.timeout must be an integer from 1 to 2147483647/,
    );
    const http = axios.create({ baseURL: upstream.baseURL });
    const s = store();
    const bare: CacheStore = { get: (k) => s.get(k), set: (e) => s.set(e), delete: (k) => s.delete(k) };
    const other = attachStaleCache(http, { store: bare });
    await expect(other.clear()).rejects.toThrow(/cannot list its keys/);
    other.detach();
  });

  it('tags: from Cache-Tag, Surrogate-Key, the tags option and the request; invalidateTags() removes them for every instance', async () => {
    upstream.route('/a', send.json({ a: 1 }, 200, { 'cache-tag': 'user:42, team:7' }));
    upstream.route('/b', send.json({ b: 1 }, 200, { 'surrogate-key': 'user:42 list' }));
    upstream.route('/c', send.json({ c: 1 }));
    upstream.route('/d', send.json({ d: 1 }));
    const writer = instance({ tags: (res) => (res.config.url === '/c' ? ['user:42'] : []) });
    const other = instance(own); // another process on the same store and prefixes
    for (const url of ['/a', '/b', '/c']) await writer.http.get(url);
    await writer.http.get('/d', { staleCache: { tags: ['user:43'] } });
    await writer.cache.settled();
    expect(((await writer.cache.peek('/a')) as CachePeekEntry).tags).toEqual(['team:7', 'user:42']);
    expect(((await writer.cache.peek('/b')) as CachePeekEntry).tags).toEqual(['list', 'user:42']);
    await other.cache.invalidateTags('user:42');
    for (const url of ['/a', '/b', '/c']) expect(await writer.cache.peek(url)).toBeUndefined();
    expect(await writer.cache.peek('/d')).toMatchObject({ state: 'hit', tags: ['user:43'] });
    expect((await writer.http.get('/a')).staleCache?.state).toBe('miss');
    await writer.cache.invalidateTags(['user:43', 'nothing-has-this']);
    expect(await writer.cache.peek('/d')).toBeUndefined();
  });

  it('tags: an answer in flight when its tag was invalidated is not written', async () => {
    const { http, cache } = instance();
    let release: () => void = () => undefined;
    upstream.route('/slow-tagged', (req, res) => {
      release = () => send.json({ late: true }, 200, { 'cache-tag': 'report' })(req, res);
    });
    const skips: string[] = [];
    cache.on('skip', (e) => skips.push(e.reason));
    const pending = http.get('/slow-tagged');
    for (let i = 0; i < 200 && upstream.calls('/slow-tagged') === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await cache.invalidateTags('report');
    release();
    await pending;
    await cache.settled();
    expect(skips).toEqual(['invalidated']);
    expect(await cache.peek('/slow-tagged')).toBeUndefined();
  });

  it('tags: bad input is a TypeError; tagHeaders: false ignores the headers', async () => {
    const { http, cache } = instance({ tagHeaders: false });
    await expect(cache.invalidateTags(42 as never)).rejects.toThrow(/invalidateTags\(\) takes a tag/);
    await expect(cache.invalidateTags(['ok', ''])).rejects.toThrow(TypeError);
    await expect(http.get('/x', { staleCache: { tags: ['a\nb'] } })).rejects.toThrow(/staleCache\.tags must be/);
    upstream.route('/h', send.json({}, 200, { 'cache-tag': 'h' }));
    await http.get('/h');
    await cache.settled();
    expect(((await cache.peek('/h')) as CachePeekEntry).tags).toBeUndefined();
    const bare: CacheStore = { get: (k) => shared.get(k), set: (e) => shared.set(e), delete: (k) => shared.delete(k) };
    expect(() => attachStaleCache(axios.create(), { store: bare, tags: () => [] })).toThrow(
      /options\.tags needs a store with tags/,
    );
  });
}
