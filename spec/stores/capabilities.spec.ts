import axios from 'axios';
import { attachStaleCache, memoryStore, type CacheStore } from '../../lib/index';
import { send, startUpstream, type Upstream } from '../helpers/upstream';

/** Store capabilities are documented fields a store of the user's own may have, not hidden symbols. */
describe('store capabilities', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await startUpstream();
    upstream.route('/r', send.json({ ok: true }));
  });
  afterEach(() => upstream.close());

  /** A user's in-process store: a Map, read synchronously; its async get must never be called. */
  function userStore(inProcess: boolean): CacheStore & { asyncGets: number } {
    const values = new Map<string, string | Uint8Array>();
    const store = {
      asyncGets: 0,
      inProcess,
      getSync: (key: string) => values.get(key) ?? null,
      async get(key: string) {
        store.asyncGets++;
        return values.get(key) ?? null;
      },
      async set(entries: ReadonlyArray<{ key: string; value: string | Uint8Array }>) {
        for (const e of entries) values.set(e.key, e.value);
      },
      async delete(keys: ReadonlyArray<string>) {
        for (const k of keys) values.delete(k);
      },
    };
    return store;
  }

  it('getSync: a store of the user’s own is read synchronously, as the memory store is', async () => {
    const store = userStore(true);
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store });
    await http.get('/r');
    await cache.settled();
    expect((await http.get('/r')).staleCache?.state).toBe('hit');
    expect(store.asyncGets).toBe(0);
    cache.detach();
  });

  it('inProcess: no store breaker (it cannot be down); a store across a network gets one', () => {
    const local = attachStaleCache(axios.create(), { store: userStore(true) });
    const remote = attachStaleCache(axios.create(), { store: userStore(false) });
    expect(local.stats().breaker).toBe('off');
    expect(remote.stats().breaker).toBe('closed');
    local.detach();
    remote.detach();
  });

  it('the memory store declares both', () => {
    const store = memoryStore();
    expect([typeof store.getSync, store.inProcess]).toEqual(['function', true]);
  });
});
