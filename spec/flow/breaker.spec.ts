import { attachStaleCache } from '../../lib/attach';
import { BreakerOpenError } from '../../lib/errors';
import { memoryStore } from '../../lib/stores/memory';
import type { CacheBreakerEvent, CacheErrorEvent, CacheStore, StoredValue } from '../../lib/types';
import { mockedInstance } from '../helpers/backends';
import { fakeClock, settledFlag } from '../helpers/time';

/** An asynchronous store (so not the in-process path) that is up, down or hung on demand, counting calls. */
function switchableStore(): CacheStore & { mode: 'up' | 'down' | 'hang'; calls: number; release(): void } {
  const data = new Map<string, StoredValue>();
  let waiting: Array<() => void> = [];
  const gate = async (): Promise<void> => {
    store.calls++;
    if (store.mode === 'down') throw new Error('ECONNREFUSED');
    if (store.mode === 'hang') await new Promise<void>((r) => waiting.push(r));
  };
  const store = {
    mode: 'up' as 'up' | 'down' | 'hang',
    calls: 0,
    release() {
      for (const r of waiting.splice(0)) r();
    },
    async get(key: string) {
      await gate();
      return data.get(key) ?? null;
    },
    async set(entries: ReadonlyArray<{ key: string; value: StoredValue }>) {
      await gate();
      for (const e of entries) data.set(e.key, e.value);
    },
    async delete(keys: ReadonlyArray<string>) {
      await gate();
      for (const k of keys) data.delete(k);
    },
  };
  waiting = [];
  return store;
}

function setup(options: Parameters<typeof attachStaleCache>[1] = {}) {
  const store = switchableStore();
  const { http, mock } = mockedInstance();
  mock.onGet('/x').reply(200, { fresh: true });
  const cache = attachStaleCache(http, { store, storeTimeout: 50, ...options });
  const errors: CacheErrorEvent[] = [];
  const states: CacheBreakerEvent['state'][] = [];
  cache.on('error', (e) => errors.push(e));
  cache.on('breaker', (e) => {
    expect(e.target).toBe('store');
    states.push(e.state);
  });
  return { store, http, cache, errors, states };
}

describe('the store breaker', () => {
  let clock: ReturnType<typeof fakeClock> | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  it('opens after `failures` consecutive store failures: then requests skip the store at once, with no error event each', async () => {
    const { store, http, cache, errors, states } = setup({ storeBreaker: { failures: 3, cooldown: 60_000 } });
    store.mode = 'down';
    await http.get('/x'); // get fails, set fails: 2
    await cache.settled();
    await http.get('/x'); // get fails: 3, open; its write is skipped
    await cache.settled();
    expect(states).toEqual(['open']);
    expect(cache.stats()).toMatchObject({ breaker: 'open', storeErrors: 3 });
    const callsWhenOpened = store.calls;
    for (let i = 0; i < 20; i++) {
      const res = await http.get('/x');
      expect(res.staleCache?.state).toBe('miss');
    }
    await cache.settled();
    expect(store.calls).toBe(callsWhenOpened);
    // get, then set (two kinds of error event); the third failure is folded into the get's kind.
    expect(errors.map((e) => e.op)).toEqual(['get', 'set']);
    expect(cache.stats().storeErrors).toBe(3);
    expect(cache.stats().storeSkipped).toBe(1 + 40); // the write of the 2nd request, then 20 × (read, write)
    cache.detach();
  });

  it('a store call that times out counts as a failure', async () => {
    // A bound long enough that a loaded machine does not make its timer run a quarter of it late (a
    // timeout that is this process's doing is not counted: see the next test).
    const { store, http, cache, states } = setup({
      storeBreaker: { failures: 2, cooldown: 60_000 },
      storeTimeout: 400,
    });
    store.mode = 'hang';
    await http.get('/x');
    await cache.settled(); // read and write both timed out after storeTimeout
    expect(states).toEqual(['open']);
    const before = store.calls;
    await http.get('/x');
    expect(store.calls).toBe(before);
    store.release();
    cache.detach();
  });

  it('a success in between resets the count: only consecutive failures open it', async () => {
    const { store, http, cache, states } = setup({ storeBreaker: { failures: 3, cooldown: 60_000 } });
    for (let i = 0; i < 5; i++) {
      store.mode = 'down';
      await http.get('/x'); // read and write fail: 2
      await cache.settled();
      store.mode = 'up';
      await http.get('/x');
      await cache.settled();
    }
    expect(states).toEqual([]);
    expect(cache.stats().breaker).toBe('closed');
    cache.detach();
  });

  it('after the cooldown one call probes; calls made while it runs skip the store; its success closes the breaker', async () => {
    clock = fakeClock();
    const { store, http, cache, states } = setup({ storeBreaker: { failures: 2, cooldown: 5_000 } });
    store.mode = 'down';
    await http.get('/x');
    await cache.settled();
    expect(states).toEqual(['open']);
    clock.advance(4_999);
    const before = store.calls;
    await http.get('/x');
    expect(store.calls).toBe(before); // still cooling down
    clock.advance(2);
    store.mode = 'hang';
    const probing = http.get('/x'); // its read is the probe
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(states).toEqual(['open', 'half-open']);
    expect(store.calls).toBe(before + 1);
    const other = await http.get('/x'); // does not wait behind the probe
    expect(other.staleCache?.state).toBe('miss');
    expect(store.calls).toBe(before + 1);
    store.mode = 'up';
    store.release();
    await probing;
    await cache.settled();
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(cache.stats().breaker).toBe('closed');
    cache.detach();
  });

  it('a store call that timed out while this process stalled is not counted against the store', async () => {
    const { store, http, cache, states } = setup({ storeBreaker: { failures: 2, cooldown: 60_000 } });
    store.mode = 'hang';
    const stall = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // a GC pause, a big JSON.parse: the event loop runs nothing
      }
    };
    // The read's 50 ms timer is set before the stall, and runs 150 ms late: the process's doing. The
    // write after it times out with the process idle: one failure of the two that open it.
    const stalled = http.get('/x');
    setImmediate(() => stall(200));
    expect((await stalled).staleCache?.state).toBe('miss');
    await cache.settled();
    expect(states).toEqual([]);
    expect(cache.stats().storeErrors).toBe(2);
    // The same timeout with the process idle is the store's: the second failure, and it opens.
    await http.get('/x');
    await cache.settled();
    expect(states).toEqual(['open']);
    store.release();
    cache.detach();
  });

  it('a few failures in a row among many answers do not open it; a store failing most calls does', async () => {
    const { store, http, cache, states } = setup({ storeBreaker: { failures: 5, cooldown: 60_000 } });
    for (let i = 0; i < 8; i++) await http.get('/x', { params: { i } }); // 16 answered calls
    await cache.settled();
    store.mode = 'down';
    for (let i = 0; i < 3; i++) await http.get('/x', { params: { f: i } }); // 6 failures in a row
    await cache.settled();
    expect(states).toEqual([]); // 6 of the last 20 calls failed: a bad moment, not a sick store
    for (let i = 3; i < 6; i++) await http.get('/x', { params: { f: i } });
    await cache.settled();
    expect(states).toEqual(['open']); // now most recent calls fail
    cache.detach();
  });

  it('a failed probe opens it again for another cooldown', async () => {
    clock = fakeClock();
    const { store, http, cache, states, errors } = setup({ storeBreaker: { failures: 2, cooldown: 1_000 } });
    store.mode = 'down';
    await http.get('/x');
    await cache.settled();
    clock.advance(1_001);
    await http.get('/x'); // the probe fails
    await cache.settled();
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(cache.stats().storeErrors).toBe(3); // one more failure per cooldown, not one per request
    expect(errors.length).toBeLessThanOrEqual(3);
    const before = store.calls;
    await http.get('/x');
    expect(store.calls).toBe(before);
    cache.detach();
  });

  it('invalidate() while it is open rejects with BreakerOpenError (nothing was deleted)', async () => {
    const { store, http, cache } = setup({ storeBreaker: { failures: 1, cooldown: 60_000 } });
    store.mode = 'down';
    await http.get('/x');
    await expect(cache.invalidate('/x')).rejects.toBeInstanceOf(BreakerOpenError);
    cache.detach();
  });

  it('storeBreaker: false: every request asks the store, and reports each failure', async () => {
    const { store, http, cache, errors, states } = setup({ storeBreaker: false });
    store.mode = 'down';
    for (let i = 0; i < 10; i++) await http.get('/x');
    await cache.settled();
    expect(cache.stats().storeErrors).toBe(20);
    // Folded into one event per kind and second: a read and a write event now, the repeats a second later.
    expect(errors.map((e) => e.op)).toEqual(['get', 'set']);
    expect(states).toEqual([]);
    expect(cache.stats().breaker).toBe('off');
    cache.detach();
  });

  it('is off for the in-process memory store, which cannot be down', () => {
    const { http } = mockedInstance();
    const cache = attachStaleCache(http, { store: memoryStore() });
    expect(cache.stats().breaker).toBe('off');
    cache.detach();
  });

  it('a request during the outage is not held by the store: answered while the store still hangs', async () => {
    const { store, http, cache } = setup({ storeBreaker: { failures: 1, cooldown: 60_000 } });
    store.mode = 'down';
    await http.get('/x'); // opens it (the read failed)
    store.mode = 'hang';
    const answered = settledFlag(http.get('/x'));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(answered()).toBe(true);
    store.release();
    await cache.settled();
    cache.detach();
  });
});
