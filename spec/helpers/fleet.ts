import axios, { type AxiosError, type AxiosInstance } from 'axios';
import type { CacheStore, StaleCacheHandle, StaleCacheOptions } from '../../lib/index';
import { attachStaleCache } from '../../lib/index';
import { lockKeyOf } from '../../lib/flow/fleet';
import { prefixes } from './redis';
import { send, startUpstream, type Upstream } from './upstream';
import { sleep } from './time';

/**
 * coalesce: 'fleet' on a store: three instances, each on a client of its own (three processes as far
 * as Redis can tell), against a real HTTP server. `stores()` gives one store per instance.
 */
export function fleetTasks(stores: () => CacheStore[]): void {
  let upstream: Upstream;
  const caches: StaleCacheHandle[] = [];
  let own: Partial<StaleCacheOptions>;
  let members: CacheStore[] = [];

  const fleet = (options: StaleCacheOptions = {}): AxiosInstance[] => {
    members = stores();
    return members.map((store) => {
      const http = axios.create({ baseURL: upstream.baseURL });
      // storeTimeout 1 s: a loaded machine's slow store turns the fleet off (fail open), which is not under test here.
      const options_ = { store, ...own, coalesce: 'fleet' as const, ttl: 10_000, storeTimeout: 1_000, ...options };
      caches.push(attachStaleCache(http, options_));
      return http;
    });
  };
  /** The primary key of a URL, as a miss reports it (the entry removed again). */
  const keyOf = async (http: AxiosInstance, url: string): Promise<string> => {
    const key = (await http.get(url, { validateStatus: () => true })).staleCache?.key as string;
    await caches[0]?.invalidate(url);
    return key;
  };

  beforeEach(async () => {
    own = prefixes();
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await Promise.all(caches.map((c) => c.settled()));
    caches.splice(0).forEach((c) => c.detach());
    await upstream.close();
  });

  it('3 instances × 50 concurrent identical misses: 1 upstream call, every caller its own copy', async () => {
    upstream.route('/items', send.delayed(100, send.json({ items: [1, 2, 3] })));
    const https = fleet();
    const answers = await Promise.all(https.flatMap((http) => Array.from({ length: 50 }, () => http.get('/items'))));
    expect(upstream.calls('/items')).toBe(1);
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(new Set(answers.map((r) => r.data)).size).toBe(150);
    (answers[0]?.data as { items: number[] } | undefined)?.items.push(4);
    expect(answers[149]?.data).toEqual({ items: [1, 2, 3] });
    // One leader in all; the others followed it (through the store), or found its entry already.
    const states = answers.map((r) => r.staleCache);
    expect(states.filter((m) => m?.state === 'miss' && !m.coalesced)).toHaveLength(1);
    expect(states.filter((m) => m?.coalesced || m?.state === 'hit')).toHaveLength(149);
  });

  it('503 without a stale entry, 3 × 20 concurrent: one upstream call, and every caller the 503', async () => {
    upstream.route('/down', send.delayed(100, send.status(503)));
    const https = fleet();
    const settled = await Promise.allSettled(
      https.flatMap((http) => Array.from({ length: 20 }, () => http.get('/down'))),
    );
    expect(upstream.calls('/down')).toBeLessThanOrEqual(3);
    expect(upstream.calls('/down')).toBe(1);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      const error = (s as PromiseRejectedResult).reason as AxiosError;
      expect(error.response?.status).toBe(503);
      expect(error.response?.data).toBe('upstream says 503');
    }
  });

  it('a connection reset without a stale entry is shared too: one upstream call, each caller an error of its own', async () => {
    upstream.route('/reset', send.delayed(100, send.reset()));
    const https = fleet();
    const settled = await Promise.allSettled(
      https.flatMap((http) => Array.from({ length: 5 }, () => http.get('/reset'))),
    );
    expect(upstream.calls('/reset')).toBe(1);
    for (const s of settled) {
      const error = (s as PromiseRejectedResult).reason as AxiosError;
      expect(axios.isAxiosError(error)).toBe(true);
      expect(error.code).toBe('ECONNRESET');
      expect(error.config?.url).toBe('/reset');
      expect(error.response).toBeUndefined();
    }
    expect(new Set(settled.map((s) => (s as PromiseRejectedResult).reason)).size).toBe(15);
  });

  it('a lock whose leader died: the waiters take over when it expires, and one of them asks', async () => {
    upstream.route('/orphan', send.json({ ok: true }));
    // This fleet's own locks last the default 3 s: a new leader slowed by a loaded machine keeps its lock.
    const https = fleet();
    const [a, b] = https as [AxiosInstance, AxiosInstance];
    const key = await keyOf(a, '/orphan');
    const calls = upstream.calls('/orphan');
    // A process that took the lock and died: its lock expires after its flightTimeout.
    await lockAs(members[0], key, 'dead.1', 300);
    const answers = await Promise.all([a, b].flatMap((http) => Array.from({ length: 10 }, () => http.get('/orphan'))));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(upstream.calls('/orphan') - calls).toBe(1);
  });

  it('a flight that came and went between two polls left its entry: the waiter takes it, and does not ask', async () => {
    upstream.route('/between', send.json({ v: 1 }));
    const [a] = fleet() as [AxiosInstance];
    const key = await keyOf(a, '/between');
    const calls = upstream.calls('/between');
    await lockAs(members[0], key, 'dead.1', 60_000);
    const waiting = a.get('/between');
    await sleep(30); // waiting on dead.1
    // Meanwhile another process's flight stores the answer and its lock goes (this waiter never saw it).
    const other = axios.create({ baseURL: upstream.baseURL });
    const plain = attachStaleCache(other, { store: members[1] as CacheStore, ...own, ttl: 10_000 });
    caches.push(plain);
    await other.get('/between');
    await plain.settled();
    await members[0]?.delete([lockKeyOf(key)]);
    const res = await waiting;
    expect(res.data).toEqual({ v: 1 });
    expect(res.staleCache).toMatchObject({ state: 'hit', coalesced: true });
    expect(upstream.calls('/between') - calls).toBe(1); // the other process's, not this waiter's
  });

  it("the leader's caller cancels: the waiters elsewhere elect a new leader and get its answer", async () => {
    upstream.route('/cancelled', send.delayed(300, send.json({ v: 1 })));
    const [a, b, c] = fleet() as [AxiosInstance, AxiosInstance, AxiosInstance];
    const controller = new AbortController();
    const leader = a.get('/cancelled', { signal: controller.signal }).catch((e: unknown) => e);
    await until(() => upstream.calls('/cancelled') === 1); // its lock is in the store
    const waiters = Promise.all([b, c].flatMap((http) => Array.from({ length: 5 }, () => http.get('/cancelled'))));
    await sleep(50);
    controller.abort();
    expect(axios.isCancel(await leader)).toBe(true);
    const answers = await waiters;
    expect(answers.map((r) => r.data)).toEqual(Array(10).fill({ v: 1 }));
    expect(upstream.calls('/cancelled')).toBe(2); // the cancelled one, and one for everyone else
  });

  it('a lock that expires under steady traffic: this process asks at once, not when its traffic stops', async () => {
    upstream.route('/steady', send.status(503)); // nothing stored: every request a miss
    const [a] = fleet({ flightTimeout: 300 }) as [AxiosInstance];
    const key = await keyOf(a, '/steady');
    await lockAs(members[0], key, 'dead.1', 300);
    const before = upstream.calls('/steady');
    const answered: Array<Promise<unknown>> = [];
    let askedWhileBusy = false;
    // A request every 20 ms for 1.2 s: newcomers keep taking the expired lock and join this process's flight.
    for (let i = 0; i < 60; i++) {
      answered.push(a.get('/steady').catch((e: unknown) => e));
      await sleep(20);
      if (upstream.calls('/steady') > before) askedWhileBusy = true;
    }
    await Promise.all(answered);
    expect(askedWhileBusy).toBe(true);
  });

  it("a waiter's own timeout ends its wait, as it would have ended its own request", async () => {
    upstream.route('/slow', send.delayed(600, send.json({ slow: true })));
    const [a, b] = fleet() as [AxiosInstance, AxiosInstance];
    const order: string[] = [];
    const leader = a.get('/slow', { timeout: 3_000 }).then((r) => order.push(`leader ${r.status}`));
    // The leader's lock is in the store before the waiter reads.
    await until(() => upstream.calls('/slow') === 1);
    const waiter = b.get('/slow', { timeout: 150 }).catch((e: AxiosError) => order.push(`waiter ${e.code}`));
    await Promise.all([leader, waiter]);
    expect(order).toEqual(['waiter ECONNABORTED', 'leader 200']);
    expect(upstream.calls('/slow')).toBe(1);
  });

  it('a leader whose answer is arriving keeps its lock past flightTimeout: no second request', async () => {
    upstream.route('/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let sent = 0;
      const timer = setInterval(() => {
        if (++sent < 12) return void res.write(' ');
        clearInterval(timer);
        res.end('{"trickled":true}');
      }, 100);
    });
    // 1.2 s of answer against a 600 ms lock, kept while bytes arrive (extended every 200 ms at most).
    const https = fleet({ flightTimeout: 600 });
    const answers = await Promise.all(https.flatMap((http) => Array.from({ length: 5 }, () => http.get('/trickle'))));
    expect(answers.map((r) => r.data)).toEqual(Array(15).fill({ trickled: true }));
    expect(upstream.calls('/trickle')).toBe(1);
  });

  it('stale-while-revalidate: one refresh for the whole fleet, every caller answered at once', async () => {
    upstream.route('/swr', send.delayed(100, send.json({ v: 1 })));
    const https = fleet({ ttl: 200, staleWhileRevalidate: 60_000 });
    await https[0]?.get('/swr');
    await Promise.all(caches.map((c) => c.settled()));
    await sleep(300); // real time: the entry's freshness is read on the clock, its Redis expiry is Redis's own
    const answers = await Promise.all(https.flatMap((http) => Array.from({ length: 10 }, () => http.get('/swr'))));
    expect(answers.every((r) => r.staleCache?.state === 'stale' && r.staleCache.cause === 'revalidating')).toBe(true);
    await Promise.all(caches.map((c) => c.settled()));
    expect(upstream.calls('/swr')).toBe(2);
  });

  it('a request that took the lock and was answered without the upstream (max-stale) frees it at once', async () => {
    upstream.route('/kept', send.json({ kept: true }));
    const [a] = fleet({ ttl: 100, staleTtl: 60_000 }) as [AxiosInstance];
    const key = (await a.get('/kept')).staleCache?.key as string;
    await Promise.all(caches.map((c) => c.settled()));
    await sleep(200); // the primary entry is gone from Redis: the next read misses and takes the lock
    const res = await a.get('/kept', { headers: { 'Cache-Control': 'max-stale' } });
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'max-stale' });
    await Promise.all(caches.map((c) => c.settled()));
    const probe = { key: lockKeyOf(key), token: 'probe.1', ttl: 1_000, read: false, wait: false, outcomes: [] };
    expect(await members[1]?.getOrLock?.(key, probe)).toMatchObject({ holder: 'probe.1' });
    await members[1]?.unlock?.({ key: probe.key, token: 'probe.1' });
  });
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2_500 && !done(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!done()) throw new Error('until: the condition never held');
}

/** A lock as a process that took it and died left it; the store must have taken it for `token`. */
async function lockAs(store: CacheStore | undefined, key: string, token: string, ttl: number): Promise<void> {
  const taken = await store?.getOrLock?.(key, {
    key: lockKeyOf(key),
    token,
    ttl,
    read: false,
    wait: false,
    outcomes: [],
  });
  expect(taken?.holder).toBe(token);
}
