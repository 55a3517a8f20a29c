import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { StoreTimeoutError } from '../../lib/errors';
import type {
  CacheBreakerEvent,
  CacheErrorEvent,
  CacheStore,
  StaleCacheHandle,
  StaleCacheOptions,
} from '../../lib/types';
import { prefixes } from './redis';
import { fakeClock, sleep } from './time';
import { gated, send, startUpstream, type Upstream } from './upstream';

/** Where the fleet under test keeps its entries. */
export interface OutageBackend {
  /** A store with a client of its own, as another process of the fleet would have one. */
  member(): Promise<{ store: CacheStore; close(): Promise<void> }>;
  /**
   * Pauses every server behind the store for `ms` (CLIENT PAUSE ALL) and resolves once the pause is
   * on; absent for an in-process store, which cannot be paused and has no breaker.
   */
  pause?: (ms: number) => Promise<void>;
}

export interface OutageTopology {
  /** The store can be paused (the breaker scenario runs). */
  pausable: boolean;
  /** Parts of the store with a breaker each (the masters of a Cluster); 1 by default. */
  nodes?: number;
}

/**
 * Outage mode (DESIGN.md section 7) against a real HTTP server, on one store topology: the issue's
 * targets as counts and states (how many upstream calls, which answers, how many requests waited on
 * a store), never as elapsed-time assertions; `npm run bench` measures the latencies.
 */
export function outageScenarios(makeBackend: () => Promise<OutageBackend>, topology: OutageTopology): void {
  let upstream: Upstream;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await upstream.close();
  });

  /** An attached instance on its own store client, sharing the test's key prefixes with the others. */
  async function member(
    backend: OutageBackend,
    keys: ReturnType<typeof prefixes>,
    options: StaleCacheOptions,
    config: CreateAxiosDefaults = {},
  ): Promise<{ http: AxiosInstance; cache: StaleCacheHandle }> {
    const { store, close } = await backend.member();
    const http = axios.create({ baseURL: upstream.baseURL, ...config });
    const cache = attachStaleCache(http, { store, ttl: 1_000, staleTtl: 600_000, ...keys, ...options });
    closers.push(async () => {
      await cache.settled();
      cache.detach();
      await close();
    });
    return { http, cache };
  }

  /** The stale tier holds `{ v: 1 }` for `path`, the primary tier nothing (a ttl 0 request writes the stale tier only). */
  async function prime(http: AxiosInstance, cache: StaleCacheHandle, path: string): Promise<void> {
    upstream.route(path, send.json({ v: 1 }));
    expect((await http.get(path, { staleCache: { ttl: 0 } })).staleCache?.state).toBe('miss');
    await cache.settled();
  }

  it('upstream hangs (softTimeout 50, failureBackoff 10000, timeout 300): 30 sequential requests answered stale, one upstream call', async () => {
    const backend = await makeBackend();
    const { http, cache } = await member(
      backend,
      prefixes(),
      { softTimeout: 50, failureBackoff: 10_000 },
      { timeout: 300 },
    );
    await prime(http, cache, '/hang');
    upstream.route('/hang', send.hang());
    const causes: Array<string | undefined> = [];
    for (let i = 0; i < 30; i++) {
      const res = await http.get('/hang');
      expect([res.staleCache?.state, res.data]).toEqual(['stale', { v: 1 }]);
      causes.push(res.staleCache?.cause);
    }
    expect(upstream.calls('/hang')).toBe(2); // the priming request and one more
    expect(causes[0]).toBe('slow');
    expect(causes.filter((c) => c !== 'slow' && c !== 'backoff')).toEqual([]);
    await cache.settled(); // the background request timed out at 300 ms: a backoff now holds
    expect((await http.get('/hang')).staleCache?.cause).toBe('backoff');
    expect(upstream.calls('/hang')).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 0, stale: 31, failed: 0 });
  });

  it('upstream answers 503 (failureBackoff 10000): 200 sequential requests answered stale with one upstream call; after the window one probe; recovery is fresh', async () => {
    const backend = await makeBackend();
    const clock = fakeClock();
    try {
      const { http, cache } = await member(backend, prefixes(), { failureBackoff: 10_000 });
      await prime(http, cache, '/storm');
      upstream.route('/storm', send.status(503));
      for (let i = 0; i < 200; i++) {
        const res = await http.get('/storm');
        expect([res.staleCache?.state, res.data]).toEqual(['stale', { v: 1 }]);
        expect(res.staleCache?.cause).toBe(i === 0 ? 'status' : 'backoff');
      }
      expect(upstream.calls('/storm')).toBe(2);

      clock.advance(10_000);
      expect((await http.get('/storm')).staleCache).toMatchObject({ state: 'stale', cause: 'status', status: 503 });
      await cache.settled();
      expect((await http.get('/storm')).staleCache?.cause).toBe('backoff');
      expect(upstream.calls('/storm')).toBe(3);

      upstream.route('/storm', send.json({ v: 2 }));
      clock.advance(10_000);
      const recovered = await http.get('/storm');
      expect([recovered.staleCache?.state, recovered.data]).toEqual(['miss', { v: 2 }]);
      await cache.settled();
      const next = await http.get('/storm');
      expect([next.staleCache?.state, next.data]).toEqual(['hit', { v: 2 }]);
      expect(upstream.calls('/storm')).toBe(4);
    } finally {
      clock.restore();
    }
  });

  it('three instances with store clients of their own, 503, 30 requests each at once: at most 3 upstream calls in one window', async () => {
    const backend = await makeBackend();
    const keys = prefixes();
    const fleet = await Promise.all([0, 1, 2].map(() => member(backend, keys, { failureBackoff: 10_000 })));
    const [first] = fleet;
    if (!first) throw new Error('no fleet');
    await prime(first.http, first.cache, '/fleet');
    upstream.route('/fleet', send.status(503));
    const before = upstream.calls('/fleet');
    await Promise.all(
      fleet.map(async ({ http }) => {
        for (let i = 0; i < 30; i++) {
          const res = await http.get('/fleet');
          expect([res.staleCache?.state, res.data]).toEqual(['stale', { v: 1 }]);
        }
      }),
    );
    expect(upstream.calls('/fleet') - before).toBeLessThanOrEqual(3);
    const causes = fleet.map(({ cache }) => cache.stats().stale);
    expect(causes).toEqual([30, 30, 30]);
  });

  it('softTimeout: the upstream request answered late refreshes both tiers in the background', async () => {
    const backend = await makeBackend();
    const { http, cache } = await member(backend, prefixes(), { softTimeout: 50 });
    const gate = gated(upstream, '/late');
    expect((await http.get('/late', { staleCache: { ttl: 0 } })).data).toEqual({ v: 1 });
    await cache.settled();
    gate.hold();
    const early = await http.get('/late');
    expect([early.staleCache?.state, early.staleCache?.cause, early.data]).toEqual(['stale', 'slow', { v: 1 }]);
    gate.release();
    await cache.settled();
    const next = await http.get('/late');
    expect([next.staleCache?.state, next.data]).toEqual(['hit', { v: 2 }]);
    gate.fail();
    // The stale tier was refreshed too: a failure is answered with v2.
    const failed = await http.get('/late', { staleCache: { ttl: 0 } });
    expect([failed.staleCache?.state, failed.data]).toEqual(['stale', { v: 2 }]);
  });

  if (!topology.pausable) return; // in process: nothing to pause, and no breaker
  it('a paused store: at most `failures` requests wait on it, then the breaker skips it; it closes by itself once the store answers', async () => {
    const backend = await makeBackend();
    const pause = backend.pause;
    if (!pause) throw new Error('a pausable topology needs pause()');
    const storeTimeout = 100;
    const { http, cache } = await member(backend, prefixes(), {
      storeTimeout,
      storeBreaker: { failures: 5, cooldown: 1_000 }, // over while the store is still paused: no probe until then
    });
    const errors: CacheErrorEvent[] = [];
    const states: Array<CacheBreakerEvent['state']> = [];
    cache.on('error', (e) => errors.push(e));
    cache.on('breaker', (e) => states.push(e.state));
    upstream.route('/p', send.json({ ok: true }));
    const nodes = topology.nodes ?? 1;
    // Longer than every node's breaker takes to open: `failures` (and one more) timed-out calls each.
    const pausedFor = 1_000 + nodes * 6 * storeTimeout;
    await pause(pausedFor);
    const pauseEnds = Date.now() + pausedFor; // no earlier than this: every server was paused before pause() resolved
    for (let i = 0; i < 25; i++) {
      expect((await http.get('/p', { params: { i } })).staleCache?.state).toBe('miss');
    }
    // A breaker per part of the store (a Cluster master each): every one the requests reached opened.
    // On a loaded machine the 25 requests can outlast a breaker's cooldown: it lets one call probe the
    // still paused store (half-open), which times out, and opens again; never closed while paused.
    const opened = states.filter((s) => s === 'open').length;
    const probed = states.filter((s) => s === 'half-open').length;
    expect(opened).toBeGreaterThan(0);
    expect(opened - probed).toBeLessThanOrEqual(nodes);
    expect(states.includes('closed')).toBe(false);
    expect(states.at(-1)).toBe('open');
    await cache.settled();
    // Each of the 25 requests makes a read and a write: every call made timed out (`failures` per node,
    // one under way when it opened, and on a loaded machine the timeouts of this process's own stalls,
    // which the breaker does not count); every other was skipped at once: most of them.
    const { storeErrors, storeSkipped } = cache.stats();
    expect(storeErrors).toBeGreaterThan(0);
    expect(storeErrors + storeSkipped).toBe(2 * 25);
    expect(storeSkipped).toBeGreaterThan(storeErrors);
    expect(errors.every((e) => e.error instanceof StoreTimeoutError)).toBe(true);
    // A read and a write event; repeats are folded into later events (a second at a time), skips never told.
    expect(errors.filter((e) => e.repeated === undefined).length).toBeLessThanOrEqual(2);
    expect(cache.stats()).toMatchObject({ breaker: 'open' });

    await sleep(Math.max(0, pauseEnds - Date.now()) + 100); // the store answers again
    await http.get('/p', { params: { i: 'probe' } }); // after the cooldown: this request's read probes
    await cache.settled();
    expect(states.slice(-2)).toEqual(['half-open', 'closed']); // the probed key's node
    expect((await http.get('/p', { params: { i: 'probe' } })).staleCache?.state).toBe('hit');
  });
}
