import axios, { type AxiosInstance } from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { memoryStore } from '../../lib/stores/memory';
import type { CacheStore, StaleCacheHandle, StaleCacheOptions } from '../../lib/types';
import { gated, send, startUpstream, type Upstream } from '../helpers/upstream';
import { settledFlag, sleep } from '../helpers/time';

describe('softTimeout', () => {
  let upstream: Upstream;
  let handles: StaleCacheHandle[];
  beforeEach(async () => {
    upstream = await startUpstream();
    handles = [];
  });
  afterEach(async () => {
    for (const h of handles) {
      await h.settled();
      h.detach();
    }
    await upstream.close();
  });

  async function setup(options: StaleCacheOptions = {}, timeout = 0) {
    const gate = gated(upstream, '/s');
    const client: AxiosInstance = axios.create({ baseURL: upstream.baseURL, timeout });
    const cache = attachStaleCache(client, {
      store: memoryStore(),
      ttl: 1_000,
      staleTtl: 600_000,
      softTimeout: 30,
      flightTimeout: 2_000,
      ...options,
    });
    handles.push(cache);
    // Primed: the stale tier holds v1, the primary tier nothing (a ttl: 0 request writes the stale tier only).
    await client.get('/s', { staleCache: { ttl: 0 } });
    await cache.settled();
    return { gate, http: client, cache };
  }

  it('answers stale when the upstream is slow; the upstream request finishes in the background and refreshes both tiers', async () => {
    const { gate, http, cache } = await setup();
    gate.hold();
    const res = await http.get('/s');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'slow' });
    expect(res.data).toEqual({ v: 1 });
    gate.release();
    await cache.settled();
    const next = await http.get('/s');
    expect([next.staleCache?.state, next.data]).toEqual(['hit', { v: 2 }]);
    expect(upstream.calls('/s')).toBe(2);
  });

  it('changes nothing without a stale entry: the caller waits for the upstream', async () => {
    const { gate, http } = await setup();
    gate.hold();
    const pending = http.get('/s', { staleCache: { key: 'another-key' } });
    const done = settledFlag(pending);
    await sleep(100); // well past the soft timeout
    expect(done()).toBe(false);
    gate.release();
    const res = await pending;
    expect(res.staleCache?.state).toBe('miss');
  });

  it('an upstream that answers in time is a plain miss', async () => {
    const { http } = await setup({ softTimeout: 5_000 });
    const res = await http.get('/s');
    expect([res.staleCache?.state, res.data]).toEqual(['miss', { v: 2 }]);
  });

  it('the caller’s signal no longer reaches the upstream request once it was answered', async () => {
    const { gate, http, cache } = await setup();
    gate.hold();
    const controller = new AbortController();
    const res = await http.get('/s', { signal: controller.signal });
    expect(res.staleCache?.cause).toBe('slow');
    controller.abort();
    await sleep(20);
    gate.release();
    await cache.settled();
    expect(gate.aborted()).toBe(0);
    expect((await http.get('/s')).data).toEqual({ v: 2 });
  });

  it('a caller that cancels before its answer cancels the upstream request, as plain axios would', async () => {
    const { gate, http } = await setup({ softTimeout: 5_000 });
    gate.hold();
    const controller = new AbortController();
    const pending = http.get('/s', { signal: controller.signal });
    await sleep(20);
    controller.abort();
    const error = await pending.catch((e: unknown) => e);
    expect(axios.isCancel(error)).toBe(true);
    for (let i = 0; i < 100 && gate.aborted() === 0; i++) await sleep(10);
    expect(gate.aborted()).toBe(1);
    gate.release();
  });

  it('coalesces: concurrent callers share one upstream request, and a caller arriving while it runs in the background is answered at once', async () => {
    const { gate, http, cache } = await setup();
    gate.hold();
    const first = await Promise.all([1, 2, 3, 4, 5].map(() => http.get('/s')));
    expect(first.map((r) => r.staleCache?.cause)).toEqual(['slow', 'slow', 'slow', 'slow', 'slow']);
    const late = await http.get('/s');
    expect(late.staleCache).toMatchObject({ state: 'stale', cause: 'slow', coalesced: true });
    expect(upstream.calls('/s')).toBe(2); // the priming request and one more
    gate.release();
    await cache.settled();
    expect((await http.get('/s')).staleCache?.state).toBe('hit');
  });

  it('a flight answered early is followed however old it is: a slow upstream gets no second request', async () => {
    const { gate, http } = await setup({ flightTimeout: 100 }, 2_000);
    gate.hold();
    const first = await http.get('/s');
    expect(first.staleCache?.cause).toBe('slow');
    await sleep(150); // the flight is older than flightTimeout, and still waits on the upstream
    const late = await http.get('/s');
    expect(late.staleCache).toMatchObject({ state: 'stale', cause: 'slow', coalesced: true });
    expect(late.staleCache?.age).toBeGreaterThanOrEqual((first.staleCache?.age ?? 0) + 140); // its own age, not the leader's
    expect(upstream.calls('/s')).toBe(2);
    gate.release();
  });

  it('the caller’s progress hooks hear nothing of the request once the caller was answered', async () => {
    const { gate, http, cache } = await setup();
    let events = 0;
    const onDownloadProgress = (): void => {
      events++;
    };
    // Not answered early (no softTimeout for this one, whatever a loaded machine does): the hook hears the body.
    await http.get('/s', { onDownloadProgress, staleCache: { ttl: 0, softTimeout: 0 } });
    const heard = events;
    expect(heard).toBeGreaterThan(0);
    gate.hold();
    expect((await http.get('/s', { onDownloadProgress })).staleCache?.cause).toBe('slow');
    gate.release();
    await cache.settled();
    expect(events).toBe(heard);
  });

  it('a caller with softTimeout: 0 of its own waits for the upstream it joined', async () => {
    const { gate, http } = await setup();
    gate.hold();
    await http.get('/s');
    const patient = http.get('/s', { staleCache: { softTimeout: 0 } });
    const done = settledFlag(patient);
    await sleep(100);
    expect(done()).toBe(false);
    gate.release();
    expect((await patient).staleCache).toMatchObject({ state: 'miss', coalesced: true });
  });

  it('without an axios timeout, the background request is bounded by flightTimeout; its failure starts a backoff', async () => {
    const { gate, http, cache } = await setup({ flightTimeout: 150, failureBackoff: 10_000 });
    gate.hold();
    expect((await http.get('/s')).staleCache?.cause).toBe('slow');
    await cache.settled(); // resolves: the hung request was aborted after flightTimeout
    for (let i = 0; i < 100 && gate.aborted() === 0; i++) await sleep(10); // the server sees the socket close
    expect(gate.aborted()).toBe(1);
    const next = await http.get('/s');
    expect(next.staleCache?.cause).toBe('backoff');
    expect(upstream.calls('/s')).toBe(2);
    gate.release();
  });

  it('a custom adapter that ignores the abort still frees settled() at the bound, and counts as a timeout', async () => {
    let hang = false;
    const client = axios.create({
      adapter: (config) =>
        hang
          ? new Promise(() => undefined)
          : Promise.resolve({
              data: '{"v":1}',
              status: 200,
              statusText: 'OK',
              headers: { 'content-type': 'application/json' },
              config,
            }),
    });
    const cache = attachStaleCache(client, {
      store: memoryStore(),
      softTimeout: 20,
      flightTimeout: 100,
      failureBackoff: 10_000,
    });
    handles.push(cache);
    await client.get('http://api.test/c', { staleCache: { ttl: 0 } });
    hang = true;
    expect((await client.get('http://api.test/c')).staleCache?.cause).toBe('slow');
    await cache.settled();
    expect((await client.get('http://api.test/c')).staleCache?.cause).toBe('backoff');
  });

  it('an upstream answer that lands while a slow store still reads the stale tier wins over it', async () => {
    const inner = memoryStore();
    // Stale-tier reads take 300 ms; everything else is at once.
    const store: CacheStore = {
      get: async (key) => {
        if (key.startsWith('stale_http')) await sleep(300);
        return inner.get(key);
      },
      set: (entries) => inner.set(entries),
      delete: (keys) => inner.delete(keys),
    };
    const client = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(client, { store, softTimeout: 20, storeTimeout: 1_000 });
    handles.push(cache);
    upstream.route('/d', send.json({ v: 1 }));
    await client.get('/d', { staleCache: { ttl: 0 } });
    await cache.settled();
    upstream.route('/d', send.delayed(60, send.json({ v: 2 })));
    const res = await client.get('/d');
    expect([res.staleCache?.state, res.data]).toEqual(['miss', { v: 2 }]);
  });

  it('headers an adapter adds to the request it was given never reach the caller’s own config', async () => {
    let slow = false;
    const client = axios.create({
      adapter: async (config) => {
        config.headers.set('x-added-by-adapter', '1');
        if (slow) await sleep(60);
        return {
          data: '{"v":1}',
          status: 200,
          statusText: 'OK',
          headers: { 'content-type': 'application/json' },
          config,
        };
      },
    });
    const cache = attachStaleCache(client, { store: memoryStore(), softTimeout: 20 });
    handles.push(cache);
    const fast = await client.get('http://api.test/h', { staleCache: { ttl: 0 } });
    slow = true;
    const early = await client.get('http://api.test/h');
    expect(early.staleCache?.cause).toBe('slow');
    await cache.settled();
    expect([fast.config.headers.get('x-added-by-adapter'), early.config.headers.get('x-added-by-adapter')]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('a failure before the soft timeout is answered stale from the read already made', async () => {
    const { gate, http } = await setup({ softTimeout: 5_000 });
    gate.fail();
    const res = await http.get('/s');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'status', status: 503 });
  });
});
