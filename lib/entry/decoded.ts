import { LRUCache } from 'lru-cache';
import { decodeEntry, type Entry } from './codec.js';
import type { StoredValue } from '../types.js';
import { compact, pinsMore } from './compact.js';

/**
 * Heap an entry may come to hold here: its stored bytes, and the parsed JSON template kept beside
 * them. Parsed JSON can weigh far more than its text (measured: `[{},{},…]` 21×, `[[],…]` 13×,
 * `[1,2,…]` 4×, objects of one shape about 2×), so a body that opens like JSON is weighed by its
 * structure: every object or array 64 bytes, every comma or colon 16, every string 8, on top of twice
 * its length. That bounds the worst cases measured and over-counts ordinary API JSON about 3×.
 */
export function weigh(value: StoredValue, entry: Entry): number {
  const stored = typeof value === 'string' ? value.length * 2 : value.byteLength;
  const body = entry.body;
  const first = body.length > 0 ? body[0] : undefined;
  if (first !== 0x7b && first !== 0x5b) return Math.max(1, stored + body.byteLength * 2);
  let structure = 0;
  for (let i = 0; i < body.length; i++) {
    switch (body[i]) {
      case 0x7b:
      case 0x5b:
        structure += 64;
        break; // { [
      case 0x2c:
      case 0x3a:
        structure += 16;
        break; // , :
      case 0x22:
        structure += 4;
        break; // " (two per string)
    }
  }
  return stored + body.byteLength * 2 + structure;
}

/**
 * Recently read entries, decoded. A hot key read again decodes nothing: if the store returns the
 * same bytes (the same object, for an in-process store; equal bytes, one memcmp, for Redis), the
 * decoded entry and its parsed JSON template are reused. Bounded by count and by weight (see weigh()).
 */
export class DecodedEntries {
  private readonly lru: LRUCache<string, { value: StoredValue; entry: Entry; weight: number }>;

  /**
   * `keepsOwn`: values come from across a network (a Redis reply may be a view of a whole socket
   * chunk) and are kept as bytes of their own; an in-process store's are kept as they are (the store
   * holds that same object: a copy would hold the bytes twice).
   */
  constructor(
    maxEntries = 1_000,
    maxBytes = 64 * 1024 * 1024,
    private readonly keepsOwn = true,
  ) {
    this.lru = new LRUCache({ max: maxEntries, maxSize: maxBytes, sizeCalculation: ({ weight }) => weight });
  }

  /** The decoded entry for `value` read at `key`; throws EntryError for anything undecodable. */
  read(key: string, value: StoredValue): Entry {
    const known = this.lru.get(key);
    if (known && known.value === value) return known.entry;
    if (known && sameBytes(known.value, value)) {
      // The same bytes in a new object of their own (a near cache's): keep that one and let the older
      // go, so that the two never hold the bytes twice. A view of a larger buffer is not kept.
      if (typeof value !== 'string' && (!this.keepsOwn || !pinsMore(value))) {
        const body = known.entry.body;
        known.entry.body = value.subarray(value.byteLength - body.byteLength);
        known.value = value;
      }
      return known.entry;
    }
    if (this.keepsOwn) value = compact(value); // kept, maybe long: not as a view of a socket's whole chunk
    const entry = decodeEntry(value);
    entry.reusable = true;
    this.lru.set(key, { value, entry, weight: weigh(value, entry) });
    return entry;
  }

  /** Weight held now (for tests and diagnostics). */
  get weight(): number {
    return this.lru.calculatedSize;
  }
}

function sameBytes(a: StoredValue, b: StoredValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
