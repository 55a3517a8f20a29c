import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { StoreTimeoutError } from '../../lib/errors';
import { bounded } from '../../lib/flow/store-io';
import { entryOf } from '../helpers/entries';
import { send, startUpstream } from '../helpers/upstream';
import { encodeEntry } from '../../lib/entry/codec';
import type { CacheErrorEvent, CacheStore } from '../../lib/types';
import { mockedInstance } from '../helpers/backends';

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('bounded store calls', () => {
  it('rejects with StoreTimeoutError after the bound', async () => {
    const started = Date.now();
    await expect(bounded(never, 50)).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('passes through a value, a rejection and a synchronous throw', async () => {
    await expect(bounded(async () => 7, 50)).resolves.toBe(7);
    await expect(bounded(() => Promise.reject(new Error('down')), 50)).rejects.toThrow('down');
    await expect(
      bounded(() => {
        throw new Error('sync');
      }, 50),
    ).rejects.toThrow('sync');
  });
});

/** A store that misbehaves the way real caches do. */
function brokenStore(kind: 'down' | 'hangs' | 'garbage' | 'wrong-type' | 'throws-sync'): CacheStore {
  return {
    get: async () => {
      if (kind === 'down') throw new Error('ECONNREFUSED');
      if (kind === 'hangs') return never();
      if (kind === 'garbage') return 'not an entry at all';
      if (kind === 'wrong-type') return 42 as never;
      throw new Error('unreachable');
    },
    set:
      kind === 'hangs'
        ? never
        : async () => {
            if (kind === 'down') throw new Error('ECONNREFUSED');
          },
    delete: async () => undefined,
    ...(kind === 'throws-sync'
      ? {
          get: () => {
            throw new Error('sync bug');
          },
        }
      : {}),
  };
}

describe('a broken store never fails or stalls a request', () => {
  it.each(['down', 'hangs', 'garbage', 'wrong-type', 'throws-sync'] as const)(
    'store %s: the request succeeds through the upstream, within storeTimeout, with an error event',
    async (kind) => {
      const { http, mock } = mockedInstance();
      mock.onGet('/x').reply(200, { fresh: true });
      const cache = attachStaleCache(http, { store: brokenStore(kind), storeTimeout: 50 });
      const errors: CacheErrorEvent[] = [];
      cache.on('error', (e) => errors.push(e));
      const started = Date.now();
      const res = await http.get('/x');
      const elapsed = Date.now() - started;
      expect(res.data).toEqual({ fresh: true });
      expect(res.staleCache?.state).toBe('miss');
      // Bounded by the read's 50 ms (a hung store would hold it forever); the margin is for a loaded CI machine.
      expect(elapsed).toBeLessThan(50 + 1_000);
      await cache.settled();
      expect(errors.length).toBeGreaterThanOrEqual(1);
      expect(errors[0]?.op).toBe(kind === 'garbage' || kind === 'wrong-type' ? 'decode' : 'get');
      expect(cache.stats().storeErrors).toBe(errors.length);
      cache.detach();
    },
  );

  it('a hanging store delays a failing request by the lookup’s storeTimeout and a stale read of 10 × storeTimeout at most', async () => {
    const { http, mock } = mockedInstance();
    mock.onGet('/x').networkError();
    const cache = attachStaleCache(http, { store: brokenStore('hangs'), storeTimeout: 30 });
    const started = Date.now();
    const error = await http.get('/x').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(axios.isAxiosError(error)).toBe(true);
    // The stale read's alternative is this error: it may wait longer than the lookup, but bounded.
    expect(elapsed).toBeGreaterThanOrEqual(30 + 300);
    expect(elapsed).toBeLessThan(30 + 300 + 500); // never a third wait
    cache.detach();
  });

  it('the stale read waits no longer than what is left of the caller’s own timeout (at least storeTimeout)', async () => {
    const { http, mock } = mockedInstance();
    mock.onGet('/x').networkError();
    const cache = attachStaleCache(http, { store: brokenStore('hangs'), storeTimeout: 30 });
    const started = Date.now();
    const error = await http.get('/x', { timeout: 100 }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(axios.isAxiosError(error)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(60);
    expect(elapsed).toBeLessThan(30 + 300); // not the 10 × storeTimeout a caller without a timeout may wait
    cache.detach();
  });

  it('time spent on the lookup does not count against the request’s own timeout', async () => {
    const upstream = await startUpstream();
    try {
      // Margins a loaded machine keeps: the upstream answers in 700 ms of a 1,000 ms timeout (300 ms to
      // spare), and the lookup's 500 ms would make 1,200 if they counted against it.
      upstream.route('/slow', send.delayed(700, send.json({ ok: true })));
      const http = axios.create({ baseURL: upstream.baseURL, timeout: 1_000 });
      // A slow but working store: 500 ms a read (within storeTimeout), nothing stored.
      const slow: CacheStore = {
        get: () => new Promise((r) => setTimeout(() => r(null), 500)),
        set: async () => undefined,
        delete: async () => undefined,
      };
      const cache = attachStaleCache(http, { store: slow, storeTimeout: 800 });
      const res = await http.get('/slow'); // plain axios: 700 ms of a 1,000 ms timeout, fine; so here
      expect(res.data).toEqual({ ok: true });
      cache.detach();
    } finally {
      await upstream.close();
    }
  });

  it('a primary read that uses the whole storeTimeout does not cost the stale answer after a failure', async () => {
    const { http, mock } = mockedInstance();
    mock.onGet('/x').replyOnce(200, { v: 1 }).onGet('/x').networkError();
    const values = new Map<string, string | Uint8Array>();
    let slowPrimary = false;
    const store: CacheStore = {
      // The primary tier is slow today; the stale tier answers.
      get: (k) => (slowPrimary && k.startsWith('primary_http') ? never() : Promise.resolve(values.get(k) ?? null)),
      set: async (entries) => entries.forEach((e) => values.set(e.key, e.value)),
      delete: async (keys) => keys.forEach((k) => values.delete(k)),
    };
    const cache = attachStaleCache(http, { store, storeTimeout: 50 });
    await http.get('/x');
    await cache.settled();
    slowPrimary = true;
    const res = await http.get('/x');
    expect([res.staleCache?.state, res.data]).toEqual(['stale', { v: 1 }]);
    cache.detach();
  });

  it('an entry of a future version is a miss, and the next success overwrites it', async () => {
    const { http, mock } = mockedInstance();
    mock.onGet('/v').reply(200, { v: 'new' });
    const values = new Map<string, string | Uint8Array>();
    const store: CacheStore = {
      get: async (k) => values.get(k) ?? null,
      set: async (entries) => entries.forEach((e) => values.set(e.key, e.value)),
      delete: async (keys) => keys.forEach((k) => values.delete(k)),
    };
    const cache = attachStaleCache(http, { store });
    const first = await http.get('/v');
    await cache.settled();
    const key = first.staleCache?.key ?? '';
    const future = Buffer.from(encodeEntry(entryOf({ body: Buffer.from('"old"') })))
      .toString()
      .replace(/^\[2,/, '[9,');
    values.set(key, future);
    const errors: CacheErrorEvent[] = [];
    cache.on('error', (e) => errors.push(e));
    const second = await http.get('/v');
    await cache.settled();
    expect(second.staleCache?.state).toBe('miss');
    expect(errors.map((e) => e.op)).toEqual(['decode']);
    expect((await http.get('/v')).staleCache?.state).toBe('hit');
    cache.detach();
  });
});
