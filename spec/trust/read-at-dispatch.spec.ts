import axios from 'axios';
import { attachStaleCache, memoryStore } from '../../lib/index';
import { instances } from '../helpers/instances';
import { send, startUpstream, type Upstream } from '../helpers/upstream';

/**
 * What a request is keyed and bound by is read at dispatch, after every request interceptor, and
 * captured there: nothing done later (a background request, a write) reads the caller's config again.
 */
describe('read at dispatch, captured at dispatch', () => {
  let upstream: Upstream;
  const { instance, track, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: memoryStore() }),
  );

  beforeEach(async () => {
    upstream = await startUpstream();
    let n = 0;
    upstream.route('/n', (req, res) => send.json({ n: ++n })(req, res));
  });
  afterEach(async () => {
    detachAll();
    await upstream.close();
  });

  describe('a per-request staleCache set by an interceptor axios runs after ours', () => {
    // axios runs request interceptors in reverse order of registration: one added before
    // attachStaleCache runs after ours.
    function withLateOption(option: unknown) {
      const http = axios.create({ baseURL: upstream.baseURL });
      http.interceptors.request.use((config) => {
        config.staleCache = option as never;
        return config;
      });
      const cache = attachStaleCache(http, { store: memoryStore() });
      track(cache);
      return { http, cache };
    }

    it('staleCache: false: the route is neither read nor written', async () => {
      const { http, cache } = withLateOption(false);
      const first = await http.get('/n');
      await cache.settled();
      const second = await http.get('/n');
      expect(first.staleCache).toEqual({ state: 'bypass', reason: 'opt-out' });
      expect(second.data).toEqual({ n: 2 });
      expect(upstream.calls('/n')).toBe(2);
    });

    it('its ttl is the one applied', async () => {
      const { http, cache } = withLateOption({ ttl: 0 });
      await http.get('/n');
      await cache.settled();
      expect((await http.get('/n')).staleCache?.state).toBe('miss');
      expect(upstream.calls('/n')).toBe(2);
    });

    it('a bad one rejects with a TypeError before any network call', async () => {
      const { http } = withLateOption({ ttl: -1 });
      await expect(http.get('/n')).rejects.toThrow(TypeError);
      expect(upstream.calls('/n')).toBe(0);
    });
  });

  it('an instance without a late interceptor still honours the per-request option', async () => {
    const { http } = instance();
    expect((await http.get('/n', { staleCache: false })).staleCache).toEqual({ state: 'bypass', reason: 'opt-out' });
  });
});
