import { decodeEntry, encodeEntry, type Entry } from '../../lib/entry/codec';
import { EntryError } from '../../lib/errors';

const entry: Entry = {
  storedAt: 1_700_000_000_000,
  ttl: 5_000,
  status: 200,
  statusText: 'OK',
  headers: { 'content-type': 'application/json', vary: ['accept', 'origin'] },
  kind: 't',
  body: Buffer.from('{"a":"line\\nbreak é"}'),
  id: '{DIGEST}:VARIANT',
  vary: ['accept-language'],
  varied: 'VARIED',
  redirects: 2,
  url: 'https://api.example.com/final',
};

describe('entry codec', () => {
  const good = Buffer.from(encodeEntry(entry));
  it('round-trips every field, from bytes and from a string', () => {
    const encoded = encodeEntry(entry);
    for (const value of [encoded, Buffer.from(encoded).toString('utf8')]) {
      const back = decodeEntry(value);
      expect({ ...back, body: Buffer.from(back.body).toString() }).toEqual({ ...entry, body: entry.body.toString() });
    }
  });

  it('keeps arbitrary bytes, newlines included', () => {
    const body = Buffer.from([0x0a, 0, 0xff, 0x0a, 0x0d]);
    const back = decodeEntry(encodeEntry({ ...entry, kind: 'b', body }));
    expect(Buffer.compare(Buffer.from(back.body), body)).toBe(0);
    expect(back.kind).toBe('b');
  });

  it('keeps an entry without Vary or redirects as it was', () => {
    const plain = { ...entry, vary: undefined, varied: undefined, redirects: 0, url: undefined };
    const back = decodeEntry(encodeEntry(plain));
    expect({ ...back, body: undefined }).toEqual({ ...plain, body: undefined });
  });

  it('keeps its facts by name in the last field: a backoff marker and the server’s word add names, not positions', () => {
    const facts = {
      until: 1_700_000_010_000,
      explicit: true,
      swr: 1,
      sie: 2,
      mustRevalidate: true,
      noCache: true,
      etag: '"x"',
      lastModified: 'Tue, 01 Jan 2030 00:00:00 GMT',
    };
    const marker = encodeEntry({ ...entry, ...facts });
    expect(decodeEntry(marker)).toMatchObject(facts);
    const meta = (value: Uint8Array): unknown[] => JSON.parse(Buffer.from(value).toString().split('\n')[0] ?? '');
    expect(meta(marker)).toHaveLength(14);
    expect(meta(encodeEntry(entry))).toHaveLength(14);
    expect(meta(encodeEntry(entry))[13]).toEqual({ ttl: 5_000 });
    expect('until' in decodeEntry(encodeEntry(entry))).toBe(false);
  });

  it('ignores facts it does not know (written by a later release)', () => {
    const later = good.toString().replace('{"ttl":5000}', '{"ttl":5000,"tags":["a"]}');
    expect(decodeEntry(later).ttl).toBe(5_000);
    expect('tags' in decodeEntry(later)).toBe(false);
  });

  it('reads a version 2 entry (ttl and a marker’s until by position): the stale tier survives an upgrade', () => {
    const v2 = (tail: string): string => good.toString().replace(/^\[3,/, '[2,').replace('{"ttl":5000}', tail);
    expect(decodeEntry(v2('5000'))).toMatchObject({ ttl: 5_000, status: 200, storedAt: entry.storedAt });
    expect(decodeEntry(v2('5000,1700000010000')).until).toBe(1_700_000_010_000);
    expect(() => decodeEntry(v2('5000,"soon"'))).toThrow(/bad until/);
    expect(() => decodeEntry(good.toString().replace('{"ttl":5000}', '5000,1'))).toThrow(/bad meta line/);
  });

  it('keeps an absent statusText absent', () => {
    expect(decodeEntry(encodeEntry({ ...entry, statusText: undefined })).statusText).toBeUndefined();
  });

  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['garbage text', 'hello world', /no meta line/],
    ['garbage with a newline', 'hello\nworld', /not JSON/],
    ['random bytes', Buffer.from([0x7b, 0x0a, 1, 2, 3]), /not JSON/],
    ['an empty value', '', /no meta line/],
    ['a truncated body', good.subarray(0, good.length - 3), /truncated/],
    ['a truncated meta line', good.subarray(0, 20), /no meta line/],
    ['a future version', good.toString().replace(/^\[3,/, '[4,'), /unknown entry version 4/],
    ['an entry of an earlier version', good.toString().replace(/^\[3,/, '[1,'), /unknown entry version 1/],
    ['a flipped bit in the body', Buffer.from(good.toString().replace('break', 'brEak')), /checksum/],
    ['an id that is not a string', good.toString().replace('"{DIGEST}:VARIANT"', '7'), /bad field/],
    ['a JSON object instead of the meta array', '{"status":200}\n', /bad meta line/],
    ['a status out of range', good.toString().replace(',200,', ',999,'), /bad field/],
    [
      'a backoff end that is not a number',
      good.toString().replace('{"ttl":5000}', '{"ttl":5000,"until":"soon"}'),
      /bad until/,
    ],
    ['a negative stale-if-error', good.toString().replace('{"ttl":5000}', '{"ttl":5000,"sie":-1}'), /bad sie/],
    ['facts that are not an object', good.toString().replace('{"ttl":5000}', '[5000]'), /bad facts/],
    ['facts without a ttl', good.toString().replace('{"ttl":5000}', '{}'), /bad field/],
    ['a meta line of 15 fields', good.toString().replace('{"ttl":5000}', '{"ttl":5000},1'), /bad meta line/],
    ['headers that are not strings', good.toString().replace('"application/json"', '42'), /bad field/],
  ];
  it.each(cases)('refuses %s with an EntryError', (_name, value, message) => {
    expect(() => decodeEntry(value)).toThrow(EntryError);
    expect(() => decodeEntry(value)).toThrow(message);
  });
});
