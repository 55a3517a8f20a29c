import { DecodedEntries } from '../../lib/entry/decoded';
import { encodeEntry, type Entry } from '../../lib/entry/codec';
import { EntryError } from '../../lib/errors';
import { entryOf } from '../helpers/entries';

const snapshot = (body: string, storedAt = 1): Entry =>
  entryOf({ headers: { 'content-type': 'application/json' }, body: Buffer.from(body), storedAt });

describe('DecodedEntries', () => {
  it('reuses the decoded entry while the store hands back the same bytes, even as a new Buffer', () => {
    const cache = new DecodedEntries();
    const bytes = encodeEntry(snapshot('{"v":1}', 1));
    const first = cache.read('k', bytes);
    expect(cache.read('k', bytes)).toBe(first); // the same object (an in-process store)
    expect(cache.read('k', Buffer.from(bytes))).toBe(first); // equal bytes (what Redis returns)
    expect(first.reusable).toBe(true);
  });

  it('keeps a view of a larger buffer (a Redis reply in its socket chunk) as bytes of its own, and then the newest own bytes', () => {
    const cache = new DecodedEntries();
    const bytes = Buffer.from(encodeEntry(snapshot('{"v":1}', 1)));
    const chunk = Buffer.alloc(64 * 1024);
    bytes.copy(chunk, 100);
    const view = chunk.subarray(100, 100 + bytes.byteLength);
    const entry = cache.read('k', view);
    expect(entry.body.buffer.byteLength).toBeLessThan(1_024); // not the 64 KB chunk
    const own = Buffer.allocUnsafeSlow(bytes.byteLength); // a near cache's value: bytes of their own, equal
    bytes.copy(own);
    expect(cache.read('k', own)).toBe(entry);
    expect(entry.body.buffer === own.buffer).toBe(true); // rebound to it: the two hold the bytes once
    expect(Buffer.from(entry.body).toString()).toBe('{"v":1}');
  });

  it("an in-process store's value is kept as it is (the store holds that same object)", () => {
    const cache = new DecodedEntries(undefined, undefined, false);
    const chunk = Buffer.alloc(64 * 1024);
    const bytes = Buffer.from(encodeEntry(snapshot('{"v":1}', 1)));
    bytes.copy(chunk, 0);
    const view = chunk.subarray(0, bytes.byteLength);
    expect(cache.read('k', view).body.buffer === chunk.buffer).toBe(true);
  });

  it('decodes anew when the bytes under a key change: another process wrote a newer entry', () => {
    const cache = new DecodedEntries();
    const first = cache.read('k', encodeEntry(snapshot('{"v":1}', 1)));
    const second = cache.read('k', encodeEntry(snapshot('{"v":2}', 2)));
    expect(second).not.toBe(first);
    expect(Buffer.from(second.body).toString()).toBe('{"v":2}');
    expect(second.storedAt).toBe(2);
  });

  it('never answers one key with another key’s entry', () => {
    const cache = new DecodedEntries();
    const bytes = encodeEntry(snapshot('{"v":1}', 1));
    const a = cache.read('a', bytes);
    expect(cache.read('b', bytes)).not.toBe(a);
  });

  it('throws EntryError for garbage and remembers nothing for it', () => {
    const cache = new DecodedEntries();
    const good = encodeEntry(snapshot('{"v":1}', 1));
    const first = cache.read('k', good);
    expect(() => cache.read('k', Buffer.from('garbage'))).toThrow(EntryError);
    expect(cache.read('k', good)).toBe(first);
  });

  it('is bounded by count: the least recently read entry is decoded again', () => {
    const cache = new DecodedEntries(2);
    const bytes = (n: number): Uint8Array => encodeEntry(snapshot(`{"v":${n}}`, n));
    const first = cache.read('k1', bytes(1));
    cache.read('k2', bytes(2));
    cache.read('k3', bytes(3)); // evicts k1
    expect(cache.read('k1', bytes(1))).not.toBe(first);
  });

  it('is bounded by bytes: an entry larger than the budget is never kept', () => {
    const cache = new DecodedEntries(1_000, 1_000);
    const big = encodeEntry(snapshot(`"${'x'.repeat(2_000)}"`, 1));
    const first = cache.read('big', big);
    expect(cache.read('big', big)).not.toBe(first);
  });
});
