import axios from 'axios';
import { attachStaleCache } from '../../lib/index';
import { Invalidations } from '../../lib/flow/invalidations';
import type { CacheStore } from '../../lib/types';
import { recordingStore } from '../helpers/recording-store';
import { send, startUpstream, type Upstream } from '../helpers/upstream';

/** What the HTTP semantics cost the store: never a sweep per request, never a longer wait. */
describe('store cost of HTTP semantics', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await startUpstream();
    upstream.route('/r', send.json({ ok: true }));
  });
  afterEach(() => upstream.close());

  it('an unsafe method deletes the keys it can name in one call, never a sweep by prefix', async () => {
    const store = recordingStore();
    let swept = 0;
    store.deletePrefixed = async () => {
      swept++;
    };
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store });
    await http.get('/r');
    await cache.settled();
    await http.post('/r', { a: 1 });
    expect(swept).toBe(0);
    expect(store.deletes).toHaveLength(1);
    expect(store.deletes[0]).toHaveLength(4); // primary and stale, for GET and HEAD
    expect((await http.get('/r')).staleCache?.state).toBe('miss');
    cache.detach();
  });

  it('it names the keys a GET with the same settings has: vary headers, route, response shape', async () => {
    const store = recordingStore();
    const http = axios.create({ baseURL: upstream.baseURL, decompress: false, headers: { 'Accept-Language': 'fr' } });
    const cache = attachStaleCache(http, { store, vary: ['accept-language'] });
    await http.get('/r');
    await cache.settled();
    expect((await http.get('/r')).staleCache?.state).toBe('hit');
    await http.put('/r', { a: 1 });
    expect((await http.get('/r')).staleCache?.state).toBe('miss');
    cache.detach();
  });

  it('max-stale reads the stale tier beside the primary, not after it: one bound, not two', async () => {
    const asked: string[] = [];
    const answers: Array<() => void> = [];
    const store: CacheStore = {
      get: (key) => {
        asked.push(key);
        return new Promise((resolve) => answers.push(() => resolve(null)));
      },
      set: async () => undefined,
      delete: async () => undefined,
    };
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store });
    const res = http.get('/r', { headers: { 'Cache-Control': 'max-stale=60' } });
    await new Promise((r) => setImmediate(r));
    expect(asked).toHaveLength(2); // both reads out before either answered
    for (const answer of answers) answer();
    expect((await res).staleCache?.state).toBe('miss');
    cache.detach();
  });

  it('past its bound the invalidation record drops its oldest URL, not every URL it holds', () => {
    const record = new Invalidations(3);
    const before = record.current; // a request in flight before any invalidation
    for (const url of ['a', 'b', 'c']) record.invalidate([url]);
    const later = record.current; // a request started after those three
    record.invalidate(['d']); // drops 'a': its floor is the first invalidation
    expect(record.overtaken('x', before)).toBe(true); // started before the dropped one: may be overtaken
    expect(record.overtaken('x', later)).toBe(false); // an unrelated URL, started later: untouched
    expect(record.overtaken('d', later)).toBe(true);
    record.invalidate(['b']); // moved to the newest; 'c' is now the oldest
    record.invalidate(['e']);
    expect(record.overtaken('b', later)).toBe(true);
    expect(record.overtaken('x', later)).toBe(false);
  });
});
