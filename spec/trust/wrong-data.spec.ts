import * as zlib from 'node:zlib';
import axios, { type AxiosResponse } from 'axios';
import { RESP_TYPES, type RedisClientType } from 'redis';
import { attachStaleCache, memoryStore, redisStore } from '../../lib/index';
import type { CacheErrorEvent } from '../../lib/index';
import { cleanup, connect, prefixes } from '../helpers/redis';
import { instances, LOOK_ALIKE_QUERIES } from '../helpers/instances';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { fakeClock, sleep } from '../helpers/time';

/** No request is ever answered with another request's bytes (issue 8, "wrong data"). Real HTTP server. */
describe('every answer is the one its own request would have got', () => {
  let upstream: Upstream;
  const { instance, track, detachAll } = instances(
    () => upstream.baseURL,
    () => ({ store: memoryStore() }),
  );

  beforeEach(async () => {
    upstream = await startUpstream();
    // Echoes the request target exactly as it arrived, and the body with its content type.
    upstream.route('/echo', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        send.json({
          target: req.url,
          type: req.headers['content-type'] ?? null,
          body: Buffer.concat(chunks).toString('latin1'),
        })(req, res),
      );
    });
  });
  afterEach(async () => {
    detachAll();
    await upstream.close();
  });

  describe('keys', () => {
    it.each(LOOK_ALIKE_QUERIES)('?%s and ?%s are two requests, answered each its own', async (a, b) => {
      const { http, cache } = instance();
      const first = await http.get(`/echo?${a}`);
      await cache.settled();
      const second = await http.get(`/echo?${b}`);
      expect(second.staleCache?.state).toBe('miss');
      expect(first.data.target).toBe(`/echo?${a}`);
      expect(second.data.target).toBe(`/echo?${b}`);
    });

    it('POST bodies of the same bytes but another Content-Type are two requests', async () => {
      const { http, cache } = instance({ methods: ['post'] });
      await http.post('/echo', 'a=1', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      await cache.settled();
      const json = await http.post('/echo', 'a=1', { headers: { 'Content-Type': 'text/plain' } });
      expect([json.staleCache?.state, json.data.type]).toEqual(['miss', 'text/plain']);
    });

    it('fields with newlines never run into each other (baseURL, url, custom key)', async () => {
      const a = instance({}, { baseURL: `${upstream.baseURL}/a\nb` });
      const b = instance({}, { baseURL: `${upstream.baseURL}/a` });
      upstream.route('/ab/c', send.json({ path: '/ab/c' }));
      upstream.route('/a/bc', send.json({ path: '/a/bc' }));
      // One shared store: the two instances would share a key if their fields ran together.
      const store = memoryStore();
      detachAll();
      const ca = attachStaleCache(a.http, { store });
      const cb = attachStaleCache(b.http, { store });
      track(ca, cb);
      expect((await a.http.get('c')).data).toEqual({ path: '/ab/c' });
      await ca.settled();
      expect((await b.http.get('b\nc')).data).toEqual({ path: '/a/bc' });
      // Two custom keys whose fields, joined with newlines, would read the same.
      const k1 = await b.http.get('/echo', { staleCache: { key: 'v\n1\nk' }, validateStatus: () => true });
      await cb.settled();
      const k2 = await b.http.get('/echo\n1\nv', { staleCache: { key: 'k' }, validateStatus: () => true });
      expect(k2.staleCache?.key).not.toBe(k1.staleCache?.key);
      expect(k2.staleCache?.state).not.toBe('hit'); // went upstream (its own 404, whose state is 'failed')
    });

    it('an explicit Host header names another resource: it is part of the key', async () => {
      upstream.route('/host', (req, res) => send.json({ host: req.headers.host })(req, res));
      const { http, cache } = instance();
      await http.get('/host', { headers: { Host: 'tenant-a.example' } });
      await cache.settled();
      expect((await http.get('/host', { headers: { Host: 'tenant-b.example' } })).data).toEqual({
        host: 'tenant-b.example',
      });
    });

    it('merges only spellings the http adapter sends as the same bytes: host case, default port, dot segments', async () => {
      const { http, cache } = instance();
      const port = upstream.port;
      const a = await http.get(`http://127.0.0.1:${port}/echo`);
      await cache.settled();
      const b = await http.get(`HTTP://127.0.0.1:${port}/x/../echo`);
      expect(b.staleCache?.state).toBe('hit');
      expect(b.staleCache?.key).toBe(a.staleCache?.key);
      const tilde = await http.get(`http://127.0.0.1:${port}/echo?%7E`);
      await cache.settled();
      expect((await http.get(`http://127.0.0.1:${port}/echo?~`)).staleCache?.key).not.toBe(tilde.staleCache?.key);
    });

    it.each([
      ['If-None-Match', '"v1"'],
      ['If-Modified-Since', 'Mon, 30 Nov 2026 00:00:00 GMT'],
      ['If-Match', '"v1"'],
      ['If-Unmodified-Since', 'Mon, 30 Nov 2026 00:00:00 GMT'],
      ['If-Range', '"v1"'],
    ])(
      'a request with %s is neither coalesced with, answered for, nor written for a plain one',
      async (name, value) => {
        // Answers a precondition with a bodiless 304, anything else in full; slowly enough to be coalesced.
        upstream.route('/doc', (req, res) =>
          setTimeout(() => {
            if (req.headers[name.toLowerCase()] === undefined)
              send.json({ full: true }, 200, { etag: '"v1"', 'last-modified': 'Sun, 29 Nov 2026 00:00:00 GMT' })(
                req,
                res,
              );
            else {
              res.writeHead(304, { etag: '"v1"' });
              res.end();
            }
          }, 30),
        );
        const { http, cache } = instance();
        const conditional = { headers: { [name]: value }, validateStatus: (s: number) => s < 400 };
        const [mine, plain] = await Promise.all([http.get('/doc', conditional), http.get('/doc')]);
        expect([mine.status, mine.staleCache?.reason]).toEqual([304, 'conditional']);
        expect([plain.status, plain.data]).toEqual([200, { full: true }]);
        await cache.settled();
        const again = await http.get('/doc', conditional);
        // A cache's validators (If-None-Match, If-Modified-Since) are answered from the fresh entry: 304
        // because they match the stored answer, not because another caller got one.
        const validator = name === 'If-None-Match' || name === 'If-Modified-Since';
        expect([again.status, again.staleCache?.state]).toEqual([304, validator ? 'hit' : 'bypass']);
        expect((await http.get('/doc')).staleCache?.state).toBe('hit');
        expect(upstream.calls('/doc')).toBe(validator ? 2 : 3);
      },
    );

    it.each([
      ['If-None-Match', '"v0"', 'W/"v1"'],
      ['If-Modified-Since', 'Sat, 28 Nov 2026 00:00:00 GMT', 'Sun, 29 Nov 2026 00:00:00 GMT'],
    ])(
      'a fresh entry answers %s by its own validators: the stored 200 when they differ, 304 when they match',
      async (name, older, same) => {
        upstream.route(
          '/doc',
          send.json({ full: true }, 200, { etag: '"v1"', 'last-modified': 'Sun, 29 Nov 2026 00:00:00 GMT' }),
        );
        const { http, cache } = instance();
        await http.get('/doc');
        await cache.settled();
        const differs = await http.get('/doc', { headers: { [name]: older } });
        expect([differs.status, differs.data, differs.staleCache?.state]).toEqual([200, { full: true }, 'hit']);
        const matches = await http.get('/doc', { headers: { [name]: same }, validateStatus: () => true });
        expect([matches.status, matches.data, matches.headers.etag, matches.headers['content-length']]).toEqual([
          304,
          '',
          '"v1"',
          undefined,
        ]);
        expect(upstream.calls('/doc')).toBe(1);
      },
    );

    it('builds the key’s query with the request’s own paramsSerializer, never the global default set later', async () => {
      const { http, cache } = instance();
      const global = axios.defaults.paramsSerializer;
      // Another module sets a global serializer after the instance was created: the instance never uses it.
      axios.defaults.paramsSerializer = {
        serialize: (p) => new URLSearchParams(p as Record<string, string>).toString(),
      };
      try {
        const alice = await http.get('/echo', { params: { filter: { customer: 'alice' } } });
        await cache.settled();
        const bob = await http.get('/echo', { params: { filter: { customer: 'bob' } } });
        expect(alice.data.target).toBe('/echo?filter%5Bcustomer%5D=alice');
        expect([bob.staleCache?.state, bob.data.target]).toEqual(['miss', '/echo?filter%5Bcustomer%5D=bob']);
      } finally {
        axios.defaults.paramsSerializer = global;
      }
    });
  });

  describe('response options apply to each caller’s own answer', () => {
    const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1: not UTF-8
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    beforeEach(() => {
      upstream.route('/latin1', send.bytes(latin1, { 'content-type': 'text/plain; charset=latin1' }));
      upstream.route('/bom', send.bytes(bom, { 'content-type': 'application/json' }));
      upstream.route('/gzip', (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync('{"zipped":true}'));
      });
      upstream.route('/big', send.text('x'.repeat(2_000_000)));
      upstream.route('/redirect', (_req, res) => {
        res.writeHead(302, { location: '/final' });
        res.end();
      });
      upstream.route('/final', send.json({ final: true }));
    });

    it('arraybuffer callers get the bytes as sent, whoever fetched them, and text callers their own decoding', async () => {
      const { http, cache } = instance();
      const text = await http.get('/latin1');
      await cache.settled();
      const bytes = await http.get('/latin1', { responseType: 'arraybuffer' });
      const decoded = await http.get('/latin1', { responseEncoding: 'latin1' });
      expect(text.data).toBe('caf\ufffd');
      expect([bytes.staleCache?.state, Buffer.compare(bytes.data as Buffer, latin1)]).toEqual(['hit', 0]);
      expect([decoded.staleCache?.state, decoded.data]).toEqual(['hit', 'café']);
      expect((await http.get('/latin1')).data).toBe('caf\ufffd');
    });

    it('a latin1 caller first does not poison default callers', async () => {
      const { http, cache } = instance();
      expect((await http.get('/latin1', { responseEncoding: 'latin1' })).data).toBe('café');
      await cache.settled();
      const plain = await http.get('/latin1');
      expect([plain.staleCache?.state, plain.data]).toEqual(['hit', 'caf\ufffd']);
    });

    it('keeps a BOM for arraybuffer callers and drops it for JSON callers, as the adapter does', async () => {
      const { http, cache } = instance();
      expect((await http.get('/bom')).data).toEqual({ a: 1 });
      await cache.settled();
      const raw = await http.get('/bom', { responseType: 'arraybuffer' });
      expect([raw.staleCache?.state, Buffer.compare(raw.data as Buffer, bom)]).toEqual(['hit', 0]);
    });

    it('a decompress: false caller gets the compressed bytes, a default caller the JSON', async () => {
      const { http, cache } = instance();
      expect((await http.get('/gzip')).data).toEqual({ zipped: true });
      await cache.settled();
      const raw = await http.get('/gzip', { decompress: false, responseType: 'arraybuffer' });
      expect([...(raw.data as Buffer).subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      expect(raw.headers['content-encoding']).toBe('gzip');
      await cache.settled();
      expect((await http.get('/gzip', { decompress: false, responseType: 'arraybuffer' })).staleCache?.state).toBe(
        'hit',
      );
      expect((await http.get('/gzip')).data).toEqual({ zipped: true });
    });

    it('the fetch adapter’s blob callers get a Blob, text callers a string', async () => {
      const { http, cache } = instance({}, { adapter: 'fetch' });
      expect((await http.get('/latin1')).data).toBe('caf\ufffd');
      await cache.settled();
      const blob = await http.get('/latin1', { responseType: 'blob' });
      expect(blob.staleCache?.state).toBe('hit');
      expect(blob.data).toBeInstanceOf(Blob);
      expect(Buffer.compare(Buffer.from(await (blob.data as Blob).arrayBuffer()), latin1)).toBe(0);
      const ab = await http.get('/latin1', { responseType: 'arraybuffer' });
      expect(ab.data).toBeInstanceOf(ArrayBuffer);
    });

    it('a maxRedirects: 0 caller gets the redirect, not the followed answer', async () => {
      const { http, cache } = instance();
      const followed = await http.get('/redirect');
      expect(followed.data).toEqual({ final: true });
      await cache.settled();
      const stopped = await http.get('/redirect', { maxRedirects: 0, validateStatus: () => true });
      expect(stopped.status).toBe(302);
      expect((await http.get('/redirect')).staleCache?.state).toBe('hit');
    });

    it('a maxContentLength caller is refused a hit over its limit, as the network would refuse it', async () => {
      const { http, cache } = instance({ maxEntryBytes: 4_000_000 });
      await http.get('/big');
      await cache.settled();
      const error = await http.get('/big', { maxContentLength: 1000 }).catch((e: unknown) => e);
      expect(axios.isAxiosError(error) && error.message).toBe('maxContentLength size of 1000 exceeded');
      expect((await http.get('/big')).staleCache?.state).toBe('hit');
    });

    it('a transform that changes the Buffer in place changes nothing stored: a hit equals the miss', async () => {
      upstream.route('/secret', send.bytes(Buffer.from('secret-payload')));
      const { http, cache } = instance(
        {},
        {
          responseType: 'arraybuffer',
          transformResponse: [
            (data: Buffer) => {
              for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ 0x20; // flips case, in place
              return data.toString('latin1');
            },
          ],
        },
      );
      const miss = await http.get('/secret');
      await cache.settled();
      const hit = await http.get('/secret');
      expect(hit.staleCache?.state).toBe('hit');
      expect(hit.data).toBe(miss.data);
      expect(miss.data).toBe('SECRET\rPAYLOAD');
    });

    it('hits and coalesced answers carry a request like the adapter’s, with the response URL', async () => {
      upstream.route('/slow', send.delayed(30, send.json({ ok: true })));
      const { http, cache } = instance();
      const [miss, waiter] = await Promise.all([http.get('/slow'), http.get('/slow')]);
      await cache.settled();
      const hit = await http.get('/slow');
      expect(waiter.staleCache?.coalesced).toBe(true);
      for (const r of [miss, waiter, hit] as AxiosResponse[])
        expect(r.request.res.responseUrl).toBe(`${upstream.baseURL}/slow`);
      const redirected = await http.get('/redirect');
      await cache.settled();
      const redirectedHit = await http.get('/redirect');
      expect(redirectedHit.request.res.responseUrl).toBe(redirected.request.res.responseUrl);
      expect(redirectedHit.request.res.responseUrl).toBe(`${upstream.baseURL}/final`);
    });
  });

  describe('freshness is decided from the entry and the request, every time', () => {
    let clock: ReturnType<typeof fakeClock>;
    beforeEach(() => {
      clock = fakeClock();
      let n = 0;
      upstream.route('/n', (req, res) => send.json({ n: ++n })(req, res));
    });
    afterEach(() => clock.restore());

    it('a per-request ttl bounds a hit, whatever the entry was written with', async () => {
      const { http, cache } = instance({ ttl: 60_000 });
      await http.get('/n');
      await cache.settled();
      clock.advance(1_000);
      const short = await http.get('/n', { staleCache: { ttl: 300 } });
      expect([short.staleCache?.state, short.data]).toEqual(['miss', { n: 2 }]);
      expect((await http.get('/n')).staleCache?.state).toBe('hit');
    });

    it('a per-request staleTtl bounds a stale answer', async () => {
      const { http, cache } = instance({ ttl: 100, staleTtl: 60_000 });
      await http.get('/n');
      await cache.settled();
      clock.advance(1_200);
      upstream.route('/n', send.status(503));
      const strict = await http.get('/n', { staleCache: { staleTtl: 500 }, validateStatus: () => true });
      expect([strict.status, strict.staleCache?.state]).toEqual([503, 'failed']);
      const lenient = await http.get('/n');
      expect([lenient.staleCache?.state, lenient.data]).toEqual(['stale', { n: 1 }]);
    });

    it('an entry stored in the future (the clock stepped back an hour) is not a fresh hit', async () => {
      const { http, cache } = instance({ ttl: 60_000 });
      await http.get('/n');
      await cache.settled();
      jest.setSystemTime(Date.now() - 3_600_000);
      const after = await http.get('/n');
      expect([after.staleCache?.state, after.data]).toEqual(['miss', { n: 2 }]);
    });
  });

  describe('entries are bound to their key and checked', () => {
    let client: RedisClientType;
    let p: ReturnType<typeof prefixes>;
    beforeEach(async () => {
      client = await connect();
      p = prefixes();
    });
    afterEach(async () => {
      await cleanup(client, p);
      await client.close();
    });

    it('an entry copied under another URL’s key, or with a flipped bit, is a miss with an error event', async () => {
      upstream.route('/a', send.json({ who: 'a' }));
      upstream.route('/x', send.json({ who: 'x-secret' }));
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { store: redisStore(client), ...p });
      track(cache);
      const a = await http.get('/a');
      const x = await http.get('/x');
      await cache.settled();
      const bytes = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const raw = (await bytes.get(x.staleCache?.key ?? '')) as unknown as Buffer;
      await client.set(a.staleCache?.key ?? '', raw, { expiration: { type: 'PX', value: 60_000 } });
      const errors: CacheErrorEvent[] = [];
      cache.on('error', (e) => errors.push(e));
      const moved = await http.get('/a');
      expect([moved.staleCache?.state, moved.data]).toEqual(['miss', { who: 'a' }]);
      expect(errors.map((e) => e.op)).toEqual(['decode']);
      await cache.settled();
      const stored = (await bytes.get(a.staleCache?.key ?? '')) as unknown as Buffer;
      const flipped = Buffer.from(stored);
      flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0x01;
      await client.set(a.staleCache?.key ?? '', flipped, { expiration: { type: 'PX', value: 60_000 } });
      const again = await http.get('/a');
      expect([again.staleCache?.state, again.data]).toEqual(['miss', { who: 'a' }]);
      // The second decode error, within a second of the first, is counted and told a second later.
      expect(cache.stats().storeErrors).toBe(2);
      await sleep(0);
    });
  });
});
