import axios from 'axios';
import { buildKeys, canonicalUrl, digest, keySource, varyDigest } from '../lib/key';

describe('canonicalUrl', () => {
  it.each([
    [{ baseURL: 'https://api.example.com', url: '/users' }, 'https://api.example.com/users'],
    [{ baseURL: 'https://api.example.com/', url: 'users' }, 'https://api.example.com/users'],
    [{ baseURL: 'https://api.example.com/v1', url: 'https://other.example.com/x' }, 'https://other.example.com/x'],
    [{ baseURL: 'https://api.example.com/v1', url: 'https://other.example.com/x', allowAbsoluteUrls: false }, 'https://api.example.com/v1/https://other.example.com/x'],
    [{ url: 'HTTPS://API.Example.COM:443/a/./b/../c' }, 'https://api.example.com/a/c'],
    [{ url: 'https://api.example.com/p?b=2&a=1#frag' }, 'https://api.example.com/p?a=1&b=2'],
    [{ url: '/rel?z=1&a=2' }, '/rel?a=2&z=1'],
    [{ url: '/p?a=2&a=1' }, '/p?a=2&a=1'],
    [{ url: '/p', params: { b: 2, a: 1 } }, '/p?a=1&b=2'],
    [{ url: '/p?c=3', params: { b: 2, a: 1 } }, '/p?a=1&b=2&c=3'],
    [{ url: '/p', params: {} }, '/p'],
    [{ url: '/p', params: new URLSearchParams('y=1&x=2') }, '/p?x=2&y=1'],
    [{ url: '/p', params: { q: 'a b&c' } }, '/p?q=a+b%26c'],
  ])('%p -> %s', (config, expected) => {
    expect(canonicalUrl(config)).toBe(expected);
  });

  const shapes: Array<[string, Record<string, unknown>]> = [
    ['primitives', { s: 'a b&c=d/é', n: 1.5, z: 0, neg: -3, t: true, f: false, e: '' }],
    ['null and undefined (left out)', { a: null, b: undefined, c: 1 }],
    ['arrays of primitives', { ids: [3, 1, 2], tags: ['x', 'y y'], one: [true] }],
    ['an empty array', { ids: [], c: 1 }],
    ['a date', { since: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) }],
    ['nested objects (slow path)', { filter: { a: 1, b: [1, 2] }, c: 1 }],
    ['arrays with objects (slow path)', { list: [{ a: 1 }], c: 1 }],
    ['brackets and unicode in names', { 'a[b]': 1, 'ü': 'ü', 'x y': '$:,[]' }],
  ];
  it.each(shapes)('params with %s key what axios sends', (_name, params) => {
    for (const url of ['https://api.example.com/p', 'https://api.example.com/p?q=1&c=0', '/rel']) {
      const sent = axios.getUri({ url, params });
      expect(canonicalUrl({ url, params })).toBe(canonicalUrl({ url: sent }));
    }
  });

  it('serialises params with the caller’s own paramsSerializer', () => {
    const url = canonicalUrl({ url: '/p', params: { ids: [1, 2] }, paramsSerializer: { serialize: (p) => `ids=${(p.ids as number[]).join(',')}` } });
    expect(url).toBe('/p?ids=1%2C2');
  });

  it('tells apart what axios sends apart', () => {
    const a = canonicalUrl({ url: '/p', params: { a: [1, 2] } });
    const b = canonicalUrl({ url: '/p', params: { a: [2, 1] } });
    const c = canonicalUrl({ url: '/p', params: { a: '1,2' } });
    expect(new Set([a, b, c]).size).toBe(3);
  });
});

describe('keys', () => {
  it('digests to 43 base64url characters (256 bits)', () => {
    expect(digest('GET\n/x')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(digest('GET\n/x')).not.toBe(digest('GET\n/y'));
  });

  it('puts the method in the source, and keeps a custom key apart from any URL', () => {
    expect(keySource('get', '/x', undefined)).toBe('GET\n/x');
    expect(keySource('head', '/x', undefined)).not.toBe(keySource('get', '/x', undefined));
    expect(keySource('get', '/x', '/x')).not.toBe(keySource('get', '/x', undefined));
  });

  it('wraps the URL digest in a hash tag shared by both tiers and every variant', () => {
    const k = buildKeys('p', 's', 'DIGEST', 'VARIANT');
    expect(k).toEqual({ primary: 'p:{DIGEST}:VARIANT', stale: 's:{DIGEST}:VARIANT' });
    expect(buildKeys('p', 's', 'DIGEST', undefined).primary).toBe('p:{DIGEST}');
  });

  it('vary digest: case-insensitive names, absent differs from empty, values matter', () => {
    const v = (headers: Record<string, unknown>): string => varyDigest({ headers }, ['accept', 'accept-language']);
    expect(v({ Accept: 'a', 'Accept-Language': 'en' })).toBe(v({ accept: 'a', 'accept-language': 'en' }));
    expect(v({ accept: 'a' })).not.toBe(v({ accept: 'a', 'accept-language': '' }));
    expect(v({ accept: 'a', 'accept-language': 'en' })).not.toBe(v({ accept: 'a', 'accept-language': 'fr' }));
  });

  it('vary on authorization keys basic-auth credentials given as config.auth', () => {
    const alice = varyDigest({ headers: {}, auth: { username: 'alice', password: 'x' } }, ['authorization']);
    const bob = varyDigest({ headers: {}, auth: { username: 'bob', password: 'x' } }, ['authorization']);
    const none = varyDigest({ headers: {} }, ['authorization']);
    expect(new Set([alice, bob, none]).size).toBe(3);
  });
});
