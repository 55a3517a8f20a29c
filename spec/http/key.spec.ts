import axios from 'axios';
import { bodySegment, buildKeys, digest, headersDigest, keySource, variantKeys } from '../../lib/http/key';
import { redactUrl, sortQuery, wireUrl } from '../../lib/http/wire';
import { LOOK_ALIKE_QUERIES } from '../helpers/instances';

const canonical = (config: Parameters<typeof wireUrl>[0], kind: Parameters<typeof wireUrl>[1] = 'http'): string =>
  wireUrl(config, kind).canonical;

describe('the wire URL (http adapter)', () => {
  it.each([
    [{ baseURL: 'https://api.example.com', url: '/users' }, 'https://api.example.com/users'],
    [{ baseURL: 'https://api.example.com/', url: 'users' }, 'https://api.example.com/users'],
    [{ baseURL: 'https://api.example.com/v1', url: 'https://other.example.com/x' }, 'https://other.example.com/x'],
    [
      { baseURL: 'https://api.example.com/v1', url: 'https://other.example.com/x', allowAbsoluteUrls: false },
      'https://api.example.com/v1/https://other.example.com/x',
    ],
    [{ url: 'HTTPS://API.Example.COM:443/a/./b/../c' }, 'https://api.example.com/a/c'],
    [{ url: 'https://api.example.com/p?b=2&a=1#frag' }, 'https://api.example.com/p?a=1&b=2'],
    [{ url: 'https://api.example.com/p?' }, 'https://api.example.com/p'],
    [{ url: '/rel?z=1&a=2' }, '/rel?a=2&z=1'],
    [{ url: '/p?a=2&a=1' }, '/p?a=2&a=1'],
    [{ url: '/p', params: { b: 2, a: 1 } }, '/p?a=1&b=2'],
    [{ url: '/p?c=3', params: { b: 2, a: 1 } }, '/p?a=1&b=2&c=3'],
    [{ url: '/p', params: {} }, '/p'],
    [{ url: '/p', params: new URLSearchParams('y=1&x=2') }, '/p?x=2&y=1'],
    [{ url: '/p', params: { q: 'a b&c' } }, '/p?q=a+b%26c'],
    [{ url: 'https://alice:s3cret@api.example.com/p' }, 'https://api.example.com/p'],
  ])('%p -> %s', (config, expected) => {
    expect(canonical(config)).toBe(expected);
  });

  it('keeps apart every spelling that puts other bytes on the wire', () => {
    const pairs: Array<[string, string]> = [
      ...LOOK_ALIKE_QUERIES.map(([a, b]): [string, string] => [`?${a}`, `?${b}`]),
      ['/%7E', '/~'],
      ['/a%2fb', '/a%2Fb'],
    ];
    for (const [a, b] of pairs) {
      expect(canonical({ url: `https://api.example.com/p${a}` })).not.toBe(
        canonical({ url: `https://api.example.com/p${b}` }),
      );
    }
    expect(canonical({ url: 'https://api.example.com./p' })).not.toBe(canonical({ url: 'https://api.example.com/p' }));
  });

  it('serialises params with the caller’s own paramsSerializer, exactly as sent', () => {
    const url = canonical({
      url: '/p',
      params: { ids: [1, 2] },
      paramsSerializer: { serialize: (p: Record<string, unknown>) => `ids=${(p.ids as number[]).join(',')}` },
    });
    expect(url).toBe('/p?ids=1,2');
  });

  it('tells apart what axios sends apart', () => {
    const a = canonical({ url: '/p', params: { a: [1, 2] } });
    const b = canonical({ url: '/p', params: { a: [2, 1] } });
    const c = canonical({ url: '/p', params: { a: '1,2' } });
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('keeps the credentials of the URL out of it, and reports them', () => {
    const w = wireUrl({ url: 'https://al%40ice:s3cret@api.example.com/p' });
    expect(w.href).toBe('https://api.example.com/p');
    expect(w.userinfo).toEqual({ username: 'al@ice', password: 's3cret' });
  });

  it('follows the fetch adapter’s own spelling: params go through the URL parser too', () => {
    expect(canonical({ url: "https://api.example.com/p?q=it's" }, 'fetch')).toBe('https://api.example.com/p?q=it%27s');
    expect(canonical({ url: "https://api.example.com/p?q=it's" }, 'http')).toBe('https://api.example.com/p?q=it%27s');
    expect(canonical({ url: 'https://api.example.com/p', params: { q: "it's" } }, 'http')).toBe(
      "https://api.example.com/p?q=it's",
    );
    expect(canonical({ url: 'https://api.example.com/p', params: { q: "it's" } }, 'fetch')).toBe(
      'https://api.example.com/p?q=it%27s',
    );
  });

  it('takes any other adapter’s URL as given: it sees the strings, not a parsed URL', () => {
    expect(canonical({ url: 'HTTP://A/./x' }, 'other')).toBe('HTTP://A/./x');
  });

  it('sorts query pairs by name without decoding, keeping the order of repeated names', () => {
    expect(sortQuery('/p?b=1&a=2&b=0')).toBe('/p?a=2&b=1&b=0');
    expect(sortQuery('/p?a&&b')).toBe('/p?&a&b');
  });

  it('redacts user info for events and logs', () => {
    expect(redactUrl('http://alice:s3cret@host/x')).toBe('http://***@host/x');
    expect(redactUrl('/x?a=b@c')).toBe('/x?a=b@c');
  });

  it('redacts the values of query parameters named like secrets, and a fragment', () => {
    expect(redactUrl('https://h/x?page=2&access_token=abc&X-Amz-Signature=f00&api%5Fkey=k&q=1')).toBe(
      'https://h/x?page=2&access_token=***&X-Amz-Signature=***&api%5Fkey=***&q=1',
    );
    expect(redactUrl('/cb?code=xyz&state=s#id_token=t')).toBe('/cb?code=***&state=s#***');
    expect(redactUrl('/x?password')).toBe('/x?password');
  });
});

describe('keys', () => {
  it('digests to 43 base64url characters (256 bits)', () => {
    expect(digest('GET\n/x')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest('GET\n/x')).not.toBe(digest('GET\n/y'));
  });

  it('puts the method, Host and socket in the source, and keeps a custom key apart from any URL', () => {
    const base = { method: 'get', url: '/x', customKey: false };
    const sources = [
      keySource(base),
      keySource({ ...base, method: 'head' }),
      keySource({ ...base, customKey: true }),
      keySource({ ...base, host: 'tenant.example' }),
      keySource({ ...base, socketPath: '/run/a.sock' }),
    ];
    expect(new Set(sources).size).toBe(sources.length);
  });

  it('keeps the source of a request without a body what it was before bodies got a segment of their own', () => {
    expect(digest(keySource({ method: 'get', url: 'https://h/x', customKey: false }))).toBe(
      digest(JSON.stringify(['GET', 'u', 'https://h/x', null, null, null, null, null])),
    );
  });

  it('tells bodies apart by their bytes and by the headers that say how to read them', () => {
    const segments = [
      bodySegment('B', 'application/json', undefined),
      bodySegment('B', 'text/plain', undefined),
      bodySegment('B', 'text/plain', 'gzip'),
      bodySegment('C', 'text/plain', undefined),
    ];
    expect(new Set(segments).size).toBe(segments.length);
  });

  it('cannot be confused by newlines in its fields (JSON, not joined text)', () => {
    const a = keySource({ method: 'get', url: 'https://h/a\nb', customKey: true });
    const b = keySource({ method: 'get', url: 'https://h/a', customKey: true, host: 'b' });
    expect(a).not.toBe(b);
  });

  it('wraps the URL digest in a hash tag shared by both tiers, every variant, body, route and shape', () => {
    const k = buildKeys('p', 's', 'DIGEST', { variant: 'VARIANT', shape: 'SHAPE' });
    expect(k).toEqual({
      primary: 'p:{DIGEST}:VARIANT:sSHAPE',
      stale: 's:{DIGEST}:VARIANT:sSHAPE',
      id: '{DIGEST}:VARIANT:sSHAPE',
      refined: true,
    });
    expect(buildKeys('p', 's', 'DIGEST')).toMatchObject({ primary: 'p:{DIGEST}', refined: false });
    expect(buildKeys('p', 's', 'DIGEST', { variant: 'V' }).refined).toBe(false);
    expect(buildKeys('p', 's', 'D', { variant: 'V', body: 'B', route: 'R', shape: 'S' }).id).toBe('{D}:V:bB:tR:sS');
    expect(variantKeys(k, 'V')).toEqual({
      primary: 'p:{DIGEST}:VARIANT:sSHAPE:rV',
      stale: 's:{DIGEST}:VARIANT:sSHAPE:rV',
    });
  });

  it('headers digest: case-insensitive names, absent differs from empty, values matter', () => {
    const v = (headers: Record<string, unknown>): string =>
      headersDigest({ headers }, ['accept', 'accept-language'], undefined);
    expect(v({ Accept: 'a', 'Accept-Language': 'en' })).toBe(v({ accept: 'a', 'accept-language': 'en' }));
    expect(v({ accept: 'a' })).not.toBe(v({ accept: 'a', 'accept-language': '' }));
    expect(v({ accept: 'a', 'accept-language': 'en' })).not.toBe(v({ accept: 'a', 'accept-language': 'fr' }));
  });

  it('authorization is keyed by what goes on the wire: auth wins over the header, then URL credentials', () => {
    const d = (
      config: Parameters<typeof headersDigest>[0],
      userinfo?: { username: string; password: string },
    ): string => headersDigest(config, ['authorization'], userinfo);
    const service = { headers: { Authorization: 'Bearer service-token' } };
    const alice = d({ ...service, auth: { username: 'alice', password: 'x' } });
    const bob = d({ ...service, auth: { username: 'bob', password: 'x' } });
    expect(alice).not.toBe(bob);
    expect(alice).toBe(d({ headers: { Authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` } }));
    expect(d(service, { username: 'carol', password: 'y' })).toBe(
      d({ headers: {}, auth: { username: 'carol', password: 'y' } }),
    );
    expect(d(service)).not.toBe(d({ headers: {} }));
  });

  it('agrees with axios on the params it serialises', () => {
    const params = {
      s: 'a b&c=d/é',
      n: 1.5,
      t: true,
      ids: [3, 1],
      when: new Date(Date.UTC(2026, 0, 2)),
      nested: { a: 1 },
    };
    const sent = axios.getUri({ url: 'https://api.example.com/p', params });
    expect(canonical({ url: 'https://api.example.com/p', params })).toBe(canonical({ url: sent }));
  });
});
