import { attachStaleCache } from '../../lib/attach';
import { decodeEntry } from '../../lib/entry/codec';
import { memoryStore } from '../../lib/stores/memory';
import type { StaleCacheOptions } from '../../lib/types';
import { mockedInstance } from '../helpers/backends';
import { fakeClock, sleep } from '../helpers/time';

/** failureBackoff on the memory store, with a clock the test moves (Date, performance and the store's ttl). */
describe('failureBackoff', () => {
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  function setup(options: StaleCacheOptions = {}) {
    const store = memoryStore();
    const { http, mock } = mockedInstance();
    const cache = attachStaleCache(http, { store, ttl: 1_000, staleTtl: 600_000, failureBackoff: 10_000, ...options });
    let status = 200;
    let version = 0;
    let calls = 0;
    let hold: Promise<void> | undefined;
    mock.onGet('/r').reply(async () => {
      calls++;
      if (hold) await hold;
      return status === 200 ? [200, { v: ++version }] : [status, 'down'];
    });
    return {
      store,
      http,
      cache,
      calls: () => calls,
      setStatus: (s: number) => {
        status = s;
      },
      holdUpstream: () => {
        let release = (): void => undefined;
        hold = new Promise<void>((r) => {
          release = r;
        });
        return () => {
          hold = undefined;
          release();
        };
      },
      primed: async () => {
        await http.get('/r');
        await cache.settled();
        clock.advance(1_001); // primary over, stale tier holds v1
      },
    };
  }

  it('after a failure answered stale, the upstream is left alone for the window; then one probe; recovery is fresh', async () => {
    const s = setup();
    await s.primed();
    s.setStatus(503);
    const causes: Array<string | undefined> = [];
    for (let i = 0; i < 200; i++) {
      const res = await s.http.get('/r');
      expect([res.staleCache?.state, res.data]).toEqual(['stale', { v: 1 }]);
      causes.push(res.staleCache?.cause);
    }
    expect(s.calls()).toBe(2); // the priming request and the one failure
    expect(causes[0]).toBe('status');
    expect(new Set(causes.slice(1))).toEqual(new Set(['backoff']));
    expect(s.cache.stats()).toMatchObject({ hits: 1 - 1, stale: 200, failed: 0 });

    clock.advance(10_000); // the window is over: the next request probes, and fails again
    const probe = await s.http.get('/r');
    expect(probe.staleCache).toMatchObject({ state: 'stale', cause: 'status', status: 503 });
    expect((await s.http.get('/r')).staleCache?.cause).toBe('backoff');
    expect(s.calls()).toBe(3);

    s.setStatus(200);
    clock.advance(10_000);
    const recovered = await s.http.get('/r');
    expect([recovered.staleCache?.state, recovered.data]).toEqual(['miss', { v: 2 }]);
    await s.cache.settled();
    const next = await s.http.get('/r');
    expect([next.staleCache?.state, next.data]).toEqual(['hit', { v: 2 }]);
    expect(s.calls()).toBe(4);
    s.cache.detach();
  });

  it('the answer during a backoff is stale, never a hit, and tells its age truthfully', async () => {
    const s = setup();
    await s.primed();
    s.setStatus(500);
    await s.http.get('/r');
    clock.advance(500);
    const res = await s.http.get('/r');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'backoff', age: 1_501 });
    expect(s.cache.stats().hits).toBe(0);
    s.cache.detach();
  });

  it('while this process probes after the window, its other callers get the stale answer at once', async () => {
    const s = setup();
    await s.primed();
    s.setStatus(503);
    await s.http.get('/r');
    clock.advance(10_001);
    const release = s.holdUpstream();
    const probe = s.http.get('/r');
    await new Promise((r) => setImmediate(r));
    const during = await s.http.get('/r'); // answered while the probe is still out
    expect(during.staleCache?.cause).toBe('backoff');
    expect(s.calls()).toBe(3);
    release();
    expect((await probe).staleCache?.cause).toBe('status');
    s.cache.detach();
  });

  it('never extends an entry past its staleTtl: the marker ends when the stale entry would', async () => {
    const s = setup({ staleTtl: 5_000 });
    await s.primed(); // stored at t0, now t0 + 1001
    clock.advance(3_000); // t0 + 4001: 999 ms of stale life left
    s.setStatus(503);
    const res = await s.http.get('/r');
    expect(res.staleCache?.cause).toBe('status');
    const key = res.staleCache?.key ?? '';
    const marker = decodeEntry((await s.store.get(key)) as Uint8Array);
    expect(marker.until).toBe(marker.storedAt + 5_000);
    clock.advance(1_000);
    await sleep(2); // lru-cache keeps the time it read for 1 ms of real time (its ttlResolution)
    // The stale entry is gone and so is the marker: the caller gets the upstream's own answer.
    const after = await s.http.get('/r').catch((e: { response?: { staleCache?: unknown } }) => e.response);
    expect(after?.staleCache).toMatchObject({ state: 'failed', status: 503 });
    s.cache.detach();
  });

  it('is shared through the store: another instance on it leaves the upstream alone too', async () => {
    const store = memoryStore();
    const a = setup({ store });
    const b = setup({ store });
    await a.primed();
    a.setStatus(503);
    b.setStatus(503);
    await a.http.get('/r');
    for (let i = 0; i < 30; i++) expect((await b.http.get('/r')).staleCache?.cause).toBe('backoff');
    expect(b.calls()).toBe(0);
    a.cache.detach();
    b.cache.detach();
  });

  it('a request with failureBackoff: 0 goes upstream anyway, and ttl: 0 requests still honour a backoff', async () => {
    const s = setup();
    await s.primed();
    s.setStatus(503);
    await s.http.get('/r');
    const own = await s.http.get('/r', { staleCache: { failureBackoff: 0 } });
    expect(own.staleCache?.cause).toBe('status');
    expect(s.calls()).toBe(3);
    const noPrimary = await s.http.get('/r', { staleCache: { ttl: 0 } });
    expect(noPrimary.staleCache?.cause).toBe('backoff');
    expect(s.calls()).toBe(3);
    s.cache.detach();
  });

  it('invalidate() ends a backoff', async () => {
    const s = setup();
    await s.primed();
    s.setStatus(503);
    await s.http.get('/r');
    await s.cache.invalidate('/r');
    s.setStatus(200);
    expect((await s.http.get('/r')).staleCache?.state).toBe('miss');
    s.cache.detach();
  });

  it('is off by default: every request after a failure asks the upstream again', async () => {
    const s = setup({ failureBackoff: 0 });
    await s.primed();
    s.setStatus(503);
    for (let i = 0; i < 5; i++) expect((await s.http.get('/r')).staleCache?.cause).toBe('status');
    expect(s.calls()).toBe(6);
    s.cache.detach();
  });

  it('on a store without setUnlessNewer, a marker is written only when the guards hold nothing newer', async () => {
    const inner = memoryStore();
    const store = { get: inner.get, set: inner.set, delete: inner.delete }; // no setUnlessNewer
    const options = { store, ttl: 0, staleTtl: 600_000, failureBackoff: 10_000 };
    const a = mockedInstance();
    const b = mockedInstance();
    const aCache = attachStaleCache(a.http, { ...options, softTimeout: 20 });
    const bCache = attachStaleCache(b.http, options);
    let release = (): void => undefined;
    let aCalls = 0;
    a.mock.onGet('/r').reply(async () => {
      if (++aCalls === 1) return [200, { v: 1 }];
      await new Promise<void>((r) => {
        release = r;
      });
      return [503, 'down'];
    });
    b.mock.onGet('/r').replyOnce(200, { v: 2 }).onGet('/r').reply(503, 'down');
    await a.http.get('/r');
    await aCache.settled();
    clock.advance(10);
    expect((await a.http.get('/r')).staleCache?.cause).toBe('slow'); // A read v1; its request is held
    clock.advance(10);
    await b.http.get('/r'); // B stores v2
    await bCache.settled();
    release(); // A's request fails: a marker from v1 would replace v2
    await aCache.settled();
    const after = await b.http.get('/r');
    expect([after.staleCache?.cause, after.data]).toEqual(['status', { v: 2 }]);
    aCache.detach();
    bCache.detach();
  });
});
