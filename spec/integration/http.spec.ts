import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { httpBackend } from '../helpers/backends';
import { upstreamScenarios } from '../helpers/scenarios';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { fakeClock } from '../helpers/time';

describe('attachStaleCache against a real HTTP server', () => {
  upstreamScenarios(httpBackend);
});

describe('real HTTP server: bodies, concurrency, outgoing headers', () => {
  let upstream: Upstream;
  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(() => upstream.close());

  it('JSON, text (with a BOM) and binary bodies round-trip exactly through the cache', async () => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131) % 256;
    upstream.route('/json', send.json({ n: 1.5, s: 'ü\u2028', nested: { a: [true, null] } }));
    upstream.route('/text', send.text('\ufeffhello\r\nworld'));
    upstream.route('/bin', send.bytes(bytes));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const fresh = await Promise.all([
      http.get('/json'),
      http.get('/text', { responseType: 'text' }),
      http.get('/bin', { responseType: 'arraybuffer' }),
    ]);
    await cache.settled();
    const cached = await Promise.all([
      http.get('/json'),
      http.get('/text', { responseType: 'text' }),
      http.get('/bin', { responseType: 'arraybuffer' }),
    ]);
    expect(cached.map((r) => r.staleCache?.state)).toEqual(['hit', 'hit', 'hit']);
    expect(upstream.calls()).toBe(3);
    expect(cached[0]?.data).toEqual(fresh[0]?.data);
    expect(cached[1]?.data).toBe(fresh[1]?.data);
    expect(cached[1]?.data).toBe('hello\r\nworld'); // the BOM stripped, as axios does
    expect(Buffer.compare(cached[2]?.data, bytes)).toBe(0);
    expect(cached[2]?.headers['content-type']).toBe('application/octet-stream');
    cache.detach();
  });

  it('200 concurrent GETs over 20 URLs, hits and misses mixed, each get their own URL’s data', async () => {
    for (let i = 0; i < 20; i++) upstream.route(`/item/${i}`, send.json({ id: i }));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    for (let i = 0; i < 20; i += 2) await http.get(`/item/${i}`);
    await cache.settled();
    const ids = Array.from({ length: 200 }, (_, i) => (i * 13) % 20);
    const results = await Promise.all(ids.map((id) => http.get(`/item/${id}`)));
    results.forEach((res, i) => expect(res.data).toEqual({ id: ids[i] }));
    expect(new Set(results.map((r) => r.staleCache?.state))).toEqual(new Set(['hit', 'miss']));
    // Coalescing: each uncached URL went upstream once, whatever the concurrency.
    for (let i = 1; i < 20; i += 2) expect(upstream.calls(`/item/${i}`)).toBe(1);
    cache.detach();
  });

  it('never adds or changes a header on the outgoing request', async () => {
    upstream.route('/h', send.json({ ok: true }));
    const headers = { 'x-request-id': 'abc', 'cache-control': 'no-cache', accept: 'application/json' };
    const plain = axios.create({ baseURL: upstream.baseURL });
    await plain.get('/h', { headers });
    const without = upstream.lastHeaders('/h');
    const cached = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(cached);
    await cached.get('/h', { headers });
    expect(upstream.lastHeaders('/h')).toEqual(without);
    cache.detach();
  });
});

describe('real HTTP server: broken answers', () => {
  let upstream: Upstream;
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(async () => {
    clock = fakeClock();
    upstream = await startUpstream();
  });
  afterEach(async () => {
    clock.restore();
    await upstream.close();
  });

  async function primed(): Promise<{
    http: ReturnType<typeof axios.create>;
    cache: ReturnType<typeof attachStaleCache>;
  }> {
    upstream.route('/p', send.json({ good: true }));
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 500 });
    const cache = attachStaleCache(http, { ttl: 20 });
    await http.get('/p');
    await cache.settled();
    clock.advance(40); // past the primary tier's ttl
    return { http, cache };
  }

  it('a body that says JSON but is not is answered from the stale tier, and not stored', async () => {
    const { http, cache } = await primed();
    upstream.route('/p', send.malformedJson());
    const res = await http.get('/p');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'bad-response' });
    expect(res.data).toEqual({ good: true });
    cache.detach();
  });

  it('without a stale entry, a malformed JSON body reaches the caller as axios would give it, and is not stored', async () => {
    upstream.route('/m', send.malformedJson());
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    const res = await http.get('/m');
    expect(res.data).toBe('{"users": [1, 2');
    expect(res.staleCache).toMatchObject({ state: 'failed', cause: 'bad-response', status: 200 });
    await cache.settled();
    await http.get('/m');
    expect(upstream.calls('/m')).toBe(2);
    cache.detach();
  });

  it('a socket reset in the middle of the body (a truncated body) is answered from the stale tier', async () => {
    const { http, cache } = await primed();
    upstream.route('/p', send.resetMidBody());
    const res = await http.get('/p');
    // axios reports the cut-off body as ERR_BAD_RESPONSE ('stream has been aborted').
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'bad-response' });
    expect(res.data).toEqual({ good: true });
    cache.detach();
  });

  it('a malformed JSON body a background refresh gets is not stored: the entry it would replace stays', async () => {
    upstream.route('/r', send.json({ good: true }));
    const http = axios.create({ baseURL: upstream.baseURL, timeout: 500 });
    const cache = attachStaleCache(http, { ttl: 20, staleWhileRevalidate: 10_000 });
    await http.get('/r');
    await cache.settled();
    clock.advance(40);
    upstream.route('/r', send.malformedJson());
    const early = await http.get('/r'); // answered from the entry; the refresh gets the malformed body
    expect(early.staleCache).toMatchObject({ state: 'stale', cause: 'revalidating' });
    await cache.settled();
    const after = await http.get('/r');
    expect(after.data).toEqual({ good: true });
    expect(after.staleCache?.state).toBe('stale'); // the old entry, still being revalidated: nothing replaced it
    cache.detach();
  });

  it('a 206 is a part, not the resource: never stored, even without a Range request', async () => {
    upstream.route('/part', (_req, res) => {
      res.writeHead(206, { 'content-type': 'text/plain', 'content-range': 'bytes 0-3/10' });
      res.end('part');
    });
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    expect((await http.get('/part')).status).toBe(206);
    await cache.settled();
    expect((await http.get('/part')).staleCache?.state).toBe('miss');
    expect(upstream.calls('/part')).toBe(2);
    cache.detach();
  });

  it('an answer that took exactly as many redirects as a caller allows is that caller’s hit', async () => {
    upstream.route('/moved', (_req, res) => {
      res.writeHead(302, { location: '/landing' });
      res.end();
    });
    upstream.route('/landing', send.json({ landed: true }));
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http);
    await http.get('/moved');
    await cache.settled();
    const one = await http.get('/moved', { maxRedirects: 1 });
    expect([one.staleCache?.state, one.data]).toEqual(['hit', { landed: true }]);
    cache.detach();
  });

  it('a socket reset before any response is answered from the stale tier', async () => {
    const { http, cache } = await primed();
    upstream.route('/p', send.reset());
    const res = await http.get('/p');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'network' });
    cache.detach();
  });
});
