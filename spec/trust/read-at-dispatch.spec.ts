import axios from 'axios';
import { attachStaleCache, memoryStore } from '../../lib/index';
import { instances } from '../helpers/instances';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { sleep } from '../helpers/time';

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

  describe('work done after the caller was answered', () => {
    // Answers with the tenant it was asked for, varying on it; slow while `slow` is set.
    let slow = false;
    beforeEach(() => {
      slow = false;
      upstream.route('/t', (req, res) => {
        const answer = send.json({ tenant: req.headers['x-tenant'] ?? null }, 200, { vary: 'X-Tenant' });
        if (slow) setTimeout(() => answer(req, res), 150);
        else answer(req, res);
      });
    });

    /** An app interceptor that, once a response is in, tidies the tenant header off its config. */
    function forgetTenant(http: ReturnType<typeof instance>['http']): void {
      http.interceptors.response.use((response) => {
        response.config.headers.delete('X-Tenant');
        if (response.config.params) (response.config.params as Record<string, string>).tenant = 'b';
        return response;
      });
    }

    it('softTimeout: the background answer is stored for the tenant that asked, not the config as it is now', async () => {
      const { http, cache } = instance({ ttl: 0, softTimeout: 20 });
      forgetTenant(http);
      const tenantA = { headers: { 'X-Tenant': 'a' } };
      await http.get('/t', tenantA);
      await cache.settled();
      slow = true;
      const early = await http.get('/t', { ...tenantA, staleCache: { ttl: 60_000 } });
      expect([early.staleCache?.state, early.staleCache?.cause]).toEqual(['stale', 'slow']);
      await cache.settled(); // the background request lands and writes
      slow = false;
      const anonymous = await http.get('/t', { staleCache: { ttl: 60_000 } });
      expect(anonymous.data).toEqual({ tenant: null });
      expect(anonymous.staleCache?.state).toBe('miss');
      await cache.settled();
      expect((await http.get('/t', { ...tenantA, staleCache: { ttl: 60_000 } })).data).toEqual({ tenant: 'a' });
    });

    it('stale-while-revalidate: the refresh is stored for the tenant that asked', async () => {
      const { http, cache } = instance({ ttl: 1, staleWhileRevalidate: 60_000 });
      forgetTenant(http);
      const tenantA = { headers: { 'X-Tenant': 'a' } };
      await http.get('/t', tenantA);
      await cache.settled();
      await sleep(5);
      slow = true;
      const early = await http.get('/t', tenantA);
      expect([early.staleCache?.state, early.staleCache?.cause]).toEqual(['stale', 'revalidating']);
      await cache.settled();
      slow = false;
      const anonymous = await http.get('/t');
      expect(anonymous.data).toEqual({ tenant: null });
    });
  });

  it('an instance without a late interceptor still honours the per-request option', async () => {
    const { http } = instance();
    expect((await http.get('/n', { staleCache: false })).staleCache).toEqual({ state: 'bypass', reason: 'opt-out' });
  });
});
