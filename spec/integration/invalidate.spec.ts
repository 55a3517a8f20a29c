import type { RedisClientType } from 'redis';
import { memoryStore, redisStore } from '../../lib/index';
import type { CacheSkipEvent, CacheStore, StaleCacheOptions } from '../../lib/index';
import { cleanup, connect, prefixes } from '../helpers/redis';
import { instances } from '../helpers/instances';
import { send, startUpstream, type Upstream } from '../helpers/upstream';

/** invalidate() reaches every entry of a URL it should: every body, route and shape (real HTTP, real Redis). */
describe('invalidate() reaches every entry of the URL', () => {
  let upstream: Upstream;
  let client: RedisClientType;
  let p: ReturnType<typeof prefixes>;
  let store: () => CacheStore;
  const { instance, detachAll } = instances(
    () => upstream.baseURL,
    (): StaleCacheOptions => ({ store: store(), ...p }),
  );

  beforeAll(async () => {
    client = await connect();
  });
  afterAll(() => client.close());
  beforeEach(async () => {
    upstream = await startUpstream();
    p = prefixes();
    let n = 0;
    upstream.route('/search', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => send.json({ q: Buffer.concat(chunks).toString(), n: ++n })(req, res));
    });
  });
  afterEach(async () => {
    detachAll();
    await cleanup(client, p);
    await upstream.close();
  });

  describe.each([
    ['the memory store', () => memoryStore()],
    ['Redis', () => redisStore(client)],
  ])('on %s', (_name, make) => {
    beforeEach(() => {
      const shared = make();
      store = () => shared;
    });

    it('with post among the methods: every body of the URL, or the one body given', async () => {
      const { http, cache } = instance({ methods: ['get', 'post'] });
      const post = (q: string) => http.post('/search', { q });
      await post('a');
      await post('b');
      await cache.settled();
      expect((await post('a')).staleCache?.state).toBe('hit');
      await cache.invalidate({ url: '/search', method: 'post', data: { q: 'a' } });
      expect((await post('a')).staleCache?.state).toBe('miss');
      expect((await post('b')).staleCache?.state).toBe('hit');
      await cache.settled();
      await cache.invalidate('/search');
      expect((await post('a')).staleCache?.state).toBe('miss');
      expect((await post('b')).staleCache?.state).toBe('miss');
    });
  });

  it('on a store without deletePrefixed, entries it could not forget are never written', async () => {
    const inner = memoryStore();
    store = () => ({ get: inner.get, set: inner.set, delete: inner.delete });
    upstream.route('/gz', send.text('compressible '.repeat(50)));
    const { http, cache } = instance();
    const skips: CacheSkipEvent[] = [];
    cache.on('skip', (e) => skips.push(e));
    await http.get('/gz', { decompress: false });
    await cache.settled();
    expect(skips.map((s) => s.reason)).toEqual(['cannot-invalidate']);
    await cache.invalidate('/gz');
    expect((await http.get('/gz', { decompress: false })).staleCache?.state).toBe('miss');
    expect(inner.size).toBe(0);
  });
});
