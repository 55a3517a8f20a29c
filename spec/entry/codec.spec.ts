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
  // Version 2, as builds before 0.1.0 wrote it: ttl (and a marker's until) by position.
  const v2 = (tail: string): string =>
    good
      .toString()
      .replace(/^\[3,/, '[2,')
      .replace(/,\{"ttl":5000\}\]\n/, `,${tail}]\n`);
  const v3 = Buffer.from(encodeEntry({ ...entry, explicit: true }));
  const meta = (value: Uint8Array): unknown[] => JSON.parse(Buffer.from(value).toString().split('\n')[0] ?? '');
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

  it('keeps the server’s facts by name in the last field (version 3): new facts add names, not positions', () => {
    const facts = { until: 1_700_000_010_000, explicit: true, swr: 1, sie: 2, mustRevalidate: true, noCache: true };
    const encoded = encodeEntry({ ...entry, ...facts });
    expect(decodeEntry(encoded)).toMatchObject(facts);
    expect(meta(encoded)).toHaveLength(14);
    expect(meta(encoded)[0]).toBe(3);
    expect(meta(encoded)[13]).toEqual({ ttl: 5_000, ...facts });
  });

  it('writes every entry as version 3, with the URL it is for (redacted by the writer) among its facts', () => {
    expect(meta(encodeEntry(entry))[0]).toBe(3);
    expect(meta(encodeEntry(entry))).toHaveLength(14);
    const src = 'https://api.example.com/users?token=***';
    expect(decodeEntry(encodeEntry({ ...entry, src })).src).toBe(src);
    expect(meta(encodeEntry({ ...entry, src }))[13]).toEqual({ ttl: 5_000, src });
    expect(decodeEntry(encodeEntry({ ...entry, tags: ['a', 'b'] })).tags).toEqual(['a', 'b']);
    const marker = encodeEntry({ ...entry, until: 1_700_000_010_000 });
    expect(decodeEntry(marker).until).toBe(1_700_000_010_000);
    expect('until' in decodeEntry(encodeEntry(entry))).toBe(false);
  });

  it('ignores facts it does not know (written by a later release)', () => {
    const later = v3.toString().replace('{"ttl":5000,"explicit":true}', '{"ttl":5000,"explicit":true,"owner":["a"]}');
    expect(decodeEntry(later).ttl).toBe(5_000);
    expect('owner' in decodeEntry(later)).toBe(false);
  });

  it('reads version 2 (ttl and a marker’s until by position)', () => {
    expect(decodeEntry(v2('5000'))).toMatchObject({ ttl: 5_000, status: 200, storedAt: entry.storedAt });
    expect(decodeEntry(v2('5000,1700000010000')).until).toBe(1_700_000_010_000);
    expect(() => decodeEntry(v2('5000,"soon"'))).toThrow(/bad until/);
    expect(() => decodeEntry(v3.toString().replace('{"ttl":5000,"explicit":true}', '5000,1'))).toThrow(/bad meta line/);
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
    ['a future version', v3.toString().replace(/^\[3,/, '[4,'), /unknown entry version 4/],
    ['an entry of an earlier version', good.toString().replace(/^\[3,/, '[1,'), /unknown entry version 1/],
    ['a flipped bit in the body', Buffer.from(good.toString().replace('break', 'brEak')), /checksum/],
    ['an id that is not a string', good.toString().replace('"{DIGEST}:VARIANT"', '7'), /bad field/],
    ['a JSON object instead of the meta array', '{"status":200}\n', /bad meta line/],
    ['a status out of range', good.toString().replace(',200,', ',999,'), /bad field/],
    ['a src that is not a string', v3.toString().replace('"explicit":true}', '"explicit":true,"src":7}'), /bad src/],
    [
      'tags that are not strings',
      v3.toString().replace('"explicit":true}', '"explicit":true,"tags":["a",1]}'),
      /bad tags/,
    ],
    [
      'a backoff end that is not a number',
      v3.toString().replace('"explicit":true}', '"explicit":true,"until":"soon"}'),
      /bad until/,
    ],
    ['a negative stale-if-error', v3.toString().replace('"explicit":true}', '"explicit":true,"sie":-1}'), /bad sie/],
    ['facts that are not an object', v3.toString().replace('{"ttl":5000,"explicit":true}', '[5000]'), /bad facts/],
    ['facts without a ttl', v3.toString().replace('{"ttl":5000,"explicit":true}', '{}'), /bad field/],
    ['a version 2 meta line of 16 fields', v2('5000,1,2'), /bad meta line/],
    ['headers that are not strings', good.toString().replace('"application/json"', '42'), /bad field/],
  ];
  it.each(cases)('refuses %s with an EntryError', (_name, value, message) => {
    expect(() => decodeEntry(value)).toThrow(EntryError);
    expect(() => decodeEntry(value)).toThrow(message);
  });
});
