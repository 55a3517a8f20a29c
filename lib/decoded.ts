import { LRUCache } from 'lru-cache';
import { decodeEntry, type Entry } from './entry.js';
import type { StoredValue } from './types.js';

/**
 * Recently read entries, decoded. A hot key read again decodes nothing: if the store returns the
 * same bytes (the same object, for an in-process store; equal bytes, one memcmp, for Redis), the
 * decoded entry and its parsed JSON template are reused. Bounded by count and by bytes (the value
 * counted three times over, for the entry and template kept beside it).
 */
export class DecodedEntries {
  private readonly lru: LRUCache<string, { value: StoredValue; entry: Entry }>;

  constructor(maxEntries = 1_000, maxBytes = 64 * 1024 * 1024) {
    this.lru = new LRUCache({
      max: maxEntries,
      maxSize: maxBytes,
      sizeCalculation: ({ value }) => Math.max(1, (typeof value === 'string' ? value.length : value.byteLength) * 3),
    });
  }

  /** The decoded entry for `value` read at `key`; throws EntryError for anything undecodable. */
  read(key: string, value: StoredValue): Entry {
    const known = this.lru.get(key);
    if (known && (known.value === value || sameBytes(known.value, value))) return known.entry;
    const entry = decodeEntry(value);
    entry.reusable = true;
    this.lru.set(key, { value, entry });
    return entry;
  }
}

function sameBytes(a: StoredValue, b: StoredValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
