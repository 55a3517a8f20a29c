import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import axios, { type AxiosInstance } from 'axios';
import { attachStaleCache } from '../../lib/index';
import type { StaleCacheHandle } from '../../lib/index';
import { wireUrl } from '../../lib/http/wire';
import { LOOK_ALIKE_QUERIES } from '../helpers/instances';

/**
 * Property-based proof of the key's promise (issue 8, item 5), against what a real HTTP server
 * receives: two requests that put different bytes on the wire never share a key, and spellings
 * that put the same bytes on the wire (up to the order of query pairs) always share one.
 */

// Pieces that broke the old canonicalisation, and their look-alikes.
const QUERY_PIECES = [
  'a',
  'b',
  'q',
  '=',
  '&',
  '&&',
  '%E9',
  '%e9',
  '%E8',
  '%2C',
  ',',
  '+',
  '%20',
  ' ',
  ';',
  '%3B',
  '~',
  '%7E',
  '%zz',
  '%25',
  '.',
  '/',
  '?',
  'é',
  '[',
  ']',
  '#x',
];
const PATH_PIECES = ['a', 'b', '/', '%2F', '%2f', '.', '..', '~', '%7E', 'é', ' ', '%20'];
const text = (pieces: string[], max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...pieces), { maxLength: max }).map((p) => p.join(''));

/** The oracle: the request target as received, query pairs ordered by name (stable), never decoded. */
function sameRequest(a: string, b: string): boolean {
  const norm = (target: string): string => {
    const at = target.indexOf('?');
    if (at === -1) return target;
    const pairs = target.slice(at + 1).split('&');
    const name = (p: string): string => p.split('=')[0] ?? '';
    const sorted = pairs
      .map((p, i) => ({ p, i }))
      .sort((x, y) => (name(x.p) < name(y.p) ? -1 : name(x.p) > name(y.p) ? 1 : x.i - y.i));
    return `${target.slice(0, at)}?${sorted.map((x) => x.p).join('&')}`;
  };
  return norm(a) === norm(b);
}

describe('keys, property-based', () => {
  let server: http.Server;
  let baseURL: string;
  let client: AxiosInstance;
  let cache: StaleCacheHandle;
  const targets = new Map<string, string>();
  beforeAll(async () => {
    // Records each request target exactly as it arrived, by the probe id the request carries.
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        targets.set(String(req.headers['x-probe']), req.url ?? '');
        res.end('ok');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = axios.create({ baseURL, validateStatus: () => true });
    // Nothing stored (ttl 0, staleTtl 0): each request is keyed, sent, and its key reported.
    cache = attachStaleCache(client, { ttl: 0, staleTtl: 0, methods: ['get', 'post'], coalesce: false });
  });
  afterAll(async () => {
    cache.detach();
    server.close();
    await once(server, 'close');
  });

  let probes = 0;
  /** Sends a GET; resolves with its key and the raw target the server received. */
  async function probe(url: string): Promise<{ key: string; target: string }> {
    const id = String(++probes);
    const res = await client.get(url, { headers: { 'x-probe': id } });
    return { key: res.staleCache?.key ?? '', target: targets.get(id) ?? '' };
  }

  /** A second URL: unrelated, or the same pairs in another order, or a spelling the parser merges. */
  const related = ([p, q]: [string, string]): fc.Arbitrary<[string, string]> => {
    const pairs = q.split('&');
    return fc.oneof(
      fc.tuple(text(PATH_PIECES, 4), text(QUERY_PIECES, 8)),
      fc
        .shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length })
        .map((s): [string, string] => [p, s.join('&')]),
      fc.constant<[string, string]>([`/.${p}`, `${q}#fragment`]),
      fc.constant<[string, string]>([p, q.replace(/%e9/g, '%E9')]),
    );
  };

  it('different bytes on the wire never share a key; the same bytes always do (queries and paths)', async () => {
    const first = fc.tuple(text(PATH_PIECES, 4), text(QUERY_PIECES, 8));
    let same = 0;
    await fc.assert(
      fc.asyncProperty(
        first.chain((a) => fc.tuple(fc.constant(a), related(a))),
        async ([[p1, q1], [p2, q2]]) => {
          const a = await probe(`/x${p1}?${q1}`);
          const b = await probe(`/x${p2}?${q2}`);
          expect(a.target).not.toBe('');
          const expected = sameRequest(a.target, b.target);
          if (expected) same++;
          expect(a.key === b.key).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
    expect(same).toBeGreaterThan(30); // the property was tested in both directions
  });

  it('the pairs that once shared a key are told apart', async () => {
    for (const [a, b] of LOOK_ALIKE_QUERIES) {
      expect((await probe(`/x?${a}`)).key).not.toBe((await probe(`/x?${b}`)).key);
    }
  });

  it('params as an object and as the query axios would write share a key, in any order', async () => {
    const value = fc.oneof(
      text(QUERY_PIECES, 4),
      fc.integer(),
      fc.boolean(),
      fc.array(fc.oneof(text(QUERY_PIECES, 3), fc.integer()), { maxLength: 3 }),
    );
    await fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'x y', 'é'), value, { maxKeys: 4 }), (params) => {
        const url = 'https://api.example.com/p';
        const asObject = wireUrl({ url, params }).canonical;
        const asQuery = wireUrl({ url: axios.getUri({ url, params }) }).canonical;
        const reversed = wireUrl({ url, params: Object.fromEntries(Object.entries(params).reverse()) }).canonical;
        expect(asObject).toBe(asQuery);
        expect(reversed).toBe(asObject);
      }),
      { numRuns: 300 },
    );
  });

  it('request bodies: another byte or another Content-Type is another key', async () => {
    const body = fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b));
    const type = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded');
    await fc.assert(
      fc.asyncProperty(body, type, body, type, async (b1, t1, b2, t2) => {
        const k1 = (await client.post('/post', b1, { headers: { 'Content-Type': t1 } })).staleCache?.key;
        const k2 = (await client.post('/post', b2, { headers: { 'Content-Type': t2 } })).staleCache?.key;
        const same = t1 === t2 && Buffer.compare(b1, b2) === 0 && b1.length > 0;
        const bothEmpty = b1.length === 0 && b2.length === 0 && t1 === t2;
        expect(k1 === k2).toBe(same || bothEmpty);
      }),
      { numRuns: 150 },
    );
  });
});
