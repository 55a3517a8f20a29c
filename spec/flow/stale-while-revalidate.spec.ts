import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import type { CacheErrorEvent } from '../../lib/types';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { fakeClock } from '../helpers/time';

describe('stale-while-revalidate against a real HTTP server', () => {
  let upstream: Upstream;
  let version: number;
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(async () => {
    clock = fakeClock();
    upstream = await startUpstream();
    version = 1;
    upstream.route('/doc', (req, res) => send.json({ version })(req, res));
  });
  afterEach(async () => {
    clock.restore();
    await upstream.close();
  });

  it('answers from the stale entry at once while a slow upstream refreshes; the next request is a hit with the new data', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 50, staleWhileRevalidate: 5_000 });
    await http.get('/doc');
    await cache.settled();
    clock.advance(80); // past ttl, inside the window
    version = 2;
    let refreshed = false;
    upstream.route(
      '/doc',
      send.delayed(300, (req, res) => {
        refreshed = true;
        send.json({ version })(req, res);
      }),
    );
    const early = await http.get('/doc');
    expect(refreshed).toBe(false); // answered before the 300 ms upstream did
    expect(early.data).toEqual({ version: 1 });
    expect(early.staleCache).toMatchObject({ state: 'stale', cause: 'revalidating', revalidating: true });
    await cache.settled();
    const next = await http.get('/doc');
    expect(next.staleCache?.state).toBe('hit');
    expect(next.data).toEqual({ version: 2 });
    expect(upstream.calls('/doc')).toBe(2);
    cache.detach();
  });

  it('many callers inside the window start one background refresh', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 30, staleWhileRevalidate: 5_000 });
    await http.get('/doc');
    await cache.settled();
    clock.advance(50);
    upstream.route(
      '/doc',
      send.delayed(100, (req, res) => send.json({ version })(req, res)),
    );
    const results = await Promise.all(Array.from({ length: 50 }, () => http.get('/doc')));
    expect(results.every((r) => r.staleCache?.state === 'stale')).toBe(true);
    expect(results.filter((r) => r.staleCache?.revalidating).length).toBe(1);
    await cache.settled();
    expect(upstream.calls('/doc')).toBe(2);
    cache.detach();
  });

  it('a failed background refresh is an error event, never a rejection, and the entry keeps answering', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 30, staleWhileRevalidate: 5_000 });
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (e) => errors.push(e));
    await http.get('/doc');
    await cache.settled();
    clock.advance(50);
    upstream.route('/doc', send.status(503));
    const early = await http.get('/doc');
    await cache.settled(); // jest fails the test on an unhandled rejection
    expect(early.data).toEqual({ version: 1 });
    expect(errors.map((e) => e.op)).toEqual(['revalidate']);
    expect(String((errors[0]?.error as Error | undefined)?.message)).toMatch(/503/);
    const again = await http.get('/doc');
    expect(again.staleCache?.state).toBe('stale');
    expect(again.data).toEqual({ version: 1 });
    await cache.settled();
    cache.detach();
  });

  it('the background refresh does not share the caller’s abort signal', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 30, staleWhileRevalidate: 5_000 });
    await http.get('/doc');
    await cache.settled();
    clock.advance(50);
    version = 3;
    upstream.route(
      '/doc',
      send.delayed(50, (req, res) => send.json({ version })(req, res)),
    );
    const controller = new AbortController();
    await http.get('/doc', { signal: controller.signal });
    controller.abort(); // the caller is done with its request; the refresh goes on
    await cache.settled();
    expect((await http.get('/doc')).data).toEqual({ version: 3 });
    cache.detach();
  });

  it('per request: staleWhileRevalidate in staleCache turns it on for that request', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 30 });
    const opts = { staleCache: { staleWhileRevalidate: 5_000 } };
    await http.get('/doc', opts);
    await cache.settled();
    clock.advance(50);
    const res = await http.get('/doc', opts);
    expect(res.staleCache?.cause).toBe('revalidating');
    await cache.settled();
    cache.detach();
  });

  it('without a window (the default), an expired primary is a plain miss', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { ttl: 30 });
    await http.get('/doc');
    await cache.settled();
    clock.advance(50);
    expect((await http.get('/doc')).staleCache?.state).toBe('miss');
    cache.detach();
  });
});
