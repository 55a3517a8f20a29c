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

  it('writes a backoff marker with a 15th field, and an ordinary entry with the 14 an earlier reader knows', () => {
    const marker = encodeEntry({ ...entry, until: 1_700_000_010_000 });
    expect(decodeEntry(marker).until).toBe(1_700_000_010_000);
    const meta = (value: Uint8Array): unknown[] => JSON.parse(Buffer.from(value).toString().split('\n')[0] ?? '');
    expect(meta(marker)).toHaveLength(15);
    expect(meta(encodeEntry(entry))).toHaveLength(14);
    expect('until' in decodeEntry(encodeEntry(entry))).toBe(false);
  });

  it('keeps an absent statusText absent', () => {
    expect(decodeEntry(encodeEntry({ ...entry, statusText: undefined })).statusText).toBeUndefined();
  });

  const good = encodeEntry(entry);
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ['garbage text', 'hello world', /no meta line/],
    ['garbage with a newline', 'hello\nworld', /not JSON/],
    ['random bytes', Buffer.from([0x7b, 0x0a, 1, 2, 3]), /not JSON/],
    ['an empty value', '', /no meta line/],
    ['a truncated body', good.subarray(0, good.length - 3), /truncated/],
    ['a truncated meta line', good.subarray(0, 20), /no meta line/],
    ['a future version', good.toString().replace(/^\[2,/, '[3,'), /unknown entry version 3/],
    ['an entry of the previous version', good.toString().replace(/^\[2,/, '[1,'), /unknown entry version 1/],
    ['a flipped bit in the body', Buffer.from(good.toString().replace('break', 'brEak')), /checksum/],
    ['an id that is not a string', good.toString().replace('"{DIGEST}:VARIANT"', '7'), /bad field/],
    ['a JSON object instead of the meta array', '{"status":200}\n', /bad meta line/],
    ['a status out of range', good.toString().replace(',200,', ',999,'), /bad field/],
    ['a backoff end that is not a number', good.toString().replace(/,5000\]\n/, ',5000,"soon"]\n'), /bad field/],
    ['a meta line of 16 fields', good.toString().replace(/,5000\]\n/, ',5000,1,2]\n'), /bad meta line/],
    ['headers that are not strings', good.toString().replace('"application/json"', '42'), /bad field/],
  ];
  it.each(cases)('refuses %s with an EntryError', (_name, value, message) => {
    expect(() => decodeEntry(value)).toThrow(EntryError);
    expect(() => decodeEntry(value)).toThrow(message);
  });
});
