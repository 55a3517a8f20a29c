import axios, { type AxiosError } from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { fakeClock, settledFlag, sleep, until } from '../helpers/time';

/** Coalescing (DESIGN 3.6, issue 4): concurrent identical misses share one upstream request. */
describe('coalescing against a real HTTP server', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await startUpstream();
    upstream.route('/slow', send.delayed(50, send.json({ items: [1, 2, 3] })));
  });
  afterEach(() => upstream.close());

  it.each([
    [true, 1],
    ['fleet', 1], // the memory store is in this process: 'fleet' is true there
    [false, 200],
  ] as const)(
    '200 concurrent identical misses with coalesce %p call the upstream %i time(s)',
    async (coalesce, calls) => {
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { coalesce });
      const results = await Promise.all(Array.from({ length: 200 }, () => http.get('/slow')));
      expect(upstream.calls('/slow')).toBe(calls);
      expect(results.every((r) => r.status === 200 && r.data.items.length === 3)).toBe(true);
      expect(results.filter((r) => r.staleCache?.coalesced).length).toBe(coalesce !== false ? 199 : 0);
      expect(cache.stats()).toMatchObject({ misses: 200, coalesced: coalesce !== false ? 199 : 0 });
      cache.detach();
    },
  );

  it('a flight replaced past flightTimeout does not remove its successor when it finally lands', async () => {
    const clock = fakeClock(); // flights measure silence on performance.now(): the test moves it
    try {
      const held: Array<() => void> = [];
      let n = 0;
      upstream.route('/late', (req, res) => {
        const v = ++n;
        held.push(() => send.json({ n: v })(req, res));
      });
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { flightTimeout: 300, ttl: 0 });
      const first = http.get('/late');
      await until(() => held.length === 1);
      clock.advance(400); // the first flight has been silent longer than flightTimeout
      const second = http.get('/late'); // not joined: a new flight
      await until(() => held.length === 2);
      held[0]?.(); // the first lands: its end must not remove the second's registration
      expect((await first).data).toEqual({ n: 1 });
      const third = http.get('/late'); // joins the second flight if it is still registered
      await sleep(20);
      held[1]?.();
      expect((await second).data).toEqual({ n: 2 });
      const joined = await third;
      expect([joined.data, joined.staleCache?.coalesced]).toEqual([{ n: 2 }, true]);
      expect(upstream.calls('/late')).toBe(2);
      cache.detach();
    } finally {
      clock.restore();
    }
  });

  it('every waiter gets its own copy of the answer', async () => {
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const results = await Promise.all(Array.from({ length: 20 }, () => http.get('/slow')));
    results[0]!.data.items.push(99);
    expect(new Set(results.map((r) => r.data)).size).toBe(20);
    expect(results.slice(1).every((r) => r.data.items.length === 3)).toBe(true);
    expect(new Set(results.map((r) => r.config)).size).toBe(20); // each response carries its caller's config
    cache.detach();
  });

  it('when the shared request fails, every caller gets the stale answer, and the upstream was asked once', async () => {
    const clock = fakeClock();
    try {
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { ttl: 20 });
      await http.get('/slow');
      await cache.settled();
      clock.advance(40);
      upstream.route('/slow', send.delayed(50, send.status(503)));
      const results = await Promise.all(Array.from({ length: 100 }, () => http.get('/slow')));
      expect(results.every((r) => r.staleCache?.state === 'stale' && r.data.items.length === 3)).toBe(true);
      expect(upstream.calls('/slow')).toBe(2);
      cache.detach();
    } finally {
      clock.restore();
    }
  });

  it('when it fails with no stale entry, every caller gets the original error, addressed to its own request', async () => {
    upstream.route('/slow', send.delayed(50, send.status(502)));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const configs = Array.from({ length: 50 }, (_, i) => ({ headers: { 'x-caller': String(i) } }));
    const errors = (await Promise.all(
      configs.map((c) => http.get('/slow', c).catch((e: unknown) => e)),
    )) as AxiosError[];
    expect(upstream.calls('/slow')).toBe(1);
    errors.forEach((e, i) => {
      expect(axios.isAxiosError(e)).toBe(true);
      expect(e.response?.status).toBe(502);
      expect(e.response?.data).toBe('upstream says 502');
      expect(e.config?.headers['x-caller']).toBe(String(i)); // as if it had asked alone
    });
    expect(new Set(errors).size).toBe(50);
    cache.detach();
  });

  it('a waiter with a shorter timeout than the leader’s request times out on its own, like axios would', async () => {
    upstream.route('/slow', send.delayed(300, send.json({ ok: true })));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const leader = http.get('/slow');
    const leaderDone = settledFlag(leader);
    await sleep(5);
    const error = (await http.get('/slow', { timeout: 50 }).catch((e: unknown) => e)) as AxiosError;
    expect(leaderDone()).toBe(false); // it did not wait for the leader's 300 ms answer
    expect(error.code).toBe('ECONNABORTED');
    expect(error.message).toBe('timeout of 50ms exceeded');
    expect((await leader).data).toEqual({ ok: true });
    cache.detach();
  });

  it('an aborted waiter rejects at once with a CanceledError; the leader is unaffected', async () => {
    upstream.route('/slow', send.delayed(200, send.json({ ok: true })));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const leader = http.get('/slow');
    const leaderDone = settledFlag(leader);
    const controller = new AbortController();
    await sleep(5);
    const waiter = http.get('/slow', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const error = await waiter.catch((e: unknown) => e);
    expect(axios.isCancel(error)).toBe(true);
    expect(leaderDone()).toBe(false); // it did not wait for the leader's 200 ms answer
    expect((await leader).data).toEqual({ ok: true });
    cache.detach();
  });

  it('a leader aborted by its caller does not fail its waiters: they elect a new leader', async () => {
    upstream.route('/slow', send.delayed(100, send.json({ ok: true })));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const controller = new AbortController();
    const leader = http.get('/slow', { signal: controller.signal }).catch((e: unknown) => e);
    await sleep(5);
    const waiters = Promise.all(Array.from({ length: 10 }, () => http.get('/slow')));
    setTimeout(() => controller.abort(), 20);
    expect(axios.isCancel(await leader)).toBe(true);
    const results = await waiters;
    expect(results.every((r) => r.data.ok === true)).toBe(true);
    expect(upstream.calls('/slow')).toBe(2); // the cancelled one, and one for all ten waiters
    cache.detach();
  });

  it('a private answer is not shared: each waiter asks for its own', async () => {
    let n = 0;
    upstream.route(
      '/me',
      send.delayed(30, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'private' });
        res.end(JSON.stringify({ n: ++n }));
      }),
    );
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const results = await Promise.all(Array.from({ length: 5 }, () => http.get('/me')));
    expect(new Set(results.map((r) => r.data.n)).size).toBe(5);
    expect(upstream.calls('/me')).toBe(5);
    cache.detach();
  });
});
