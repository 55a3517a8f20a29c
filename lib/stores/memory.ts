import { LRUCache } from 'lru-cache';
import { storedAtOf } from '../entry/codec.js';
import { tagLists } from './memory-tags.js';
import type { CacheStore, CacheStoreEntry, StoredValue, StoreIndex } from '../types.js';

export interface MemoryStoreOptions {
  /** Most entries kept (each tier of each URL is one entry); least recently used go first. */
  maxEntries?: number;
  /** Most bytes of keys and values kept. */
  maxBytes?: number;
}

export interface MemoryStore extends CacheStore {
  getSync(key: string): StoredValue | null;
  readonly inProcess: true;
  deletePrefixed(prefixes: ReadonlyArray<string>): Promise<void>;
  setUnlessNewer: NonNullable<CacheStore['setUnlessNewer']>;
  setIndexed: NonNullable<CacheStore['setIndexed']>;
  deleteIndexed: NonNullable<CacheStore['deleteIndexed']>;
  setTagged: NonNullable<CacheStore['setTagged']>;
  deleteTagged: NonNullable<CacheStore['deleteTagged']>;
  /** Entries held now, expired ones included until they are next touched or evicted. */
  readonly size: number;
  /** Removes every entry, or only those under `prefixes` (see CacheStore.clear). */
  clear(prefixes?: ReadonlyArray<string>): Promise<void>;
}

const DEFAULT_MAX_ENTRIES = 10_000;
// Keys one index lists at the most (as the Redis store's): a bound, never a sweep.
const MAX_INDEXED = 1_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
// Live keys one tag lists at the most (as the Redis store's): past it, an answer with that tag is not written.
const MAX_TAGGED = 10_000;

function limit(name: keyof MemoryStoreOptions, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`axios-stale-cache: memoryStore options.${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function byteLength(value: StoredValue): number {
  return typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
}

/**
 * The embedded default: an in-process LRU (lru-cache) bounded by entry count and bytes, holding
 * encoded entries, so no two callers ever share a decoded object.
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('axios-stale-cache: memoryStore options must be an object');
  }
  for (const name of Object.keys(options)) {
    if (name !== 'maxEntries' && name !== 'maxBytes') {
      throw new TypeError(
        `axios-stale-cache: unknown option memoryStore options.${name} (expected maxEntries, maxBytes)`,
      );
    }
  }
  const tags = tagLists(MAX_TAGGED);
  const lru = new LRUCache<string, StoredValue>({
    max: limit('maxEntries', options.maxEntries, DEFAULT_MAX_ENTRIES),
    maxSize: limit('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES),
    sizeCalculation: (value, key) => byteLength(value) + key.length,
    // The clock read at each call, not captured once: fake timers (and any test clock) then apply.
    perf: { now: () => performance.now() },
    // A key that leaves the store leaves its tags' lists (not one replaced by a new value).
    dispose: (_value, key, reason) => {
      if (reason !== 'set') tags.forget(key);
    },
  });
  const write = (entries: ReadonlyArray<CacheStoreEntry>): void => {
    // ttl 0: no expiry for that entry (a stale tier that never expires), only eviction.
    for (const { key, value, ttl } of entries) lru.set(key, value, { ttl: Number.isFinite(ttl) ? ttl : 0 });
  };
  const writeIndexed = (entries: ReadonlyArray<CacheStoreEntry>, index: StoreIndex): void => {
    const held = lru.get(index.key);
    const keys = new Set<string>(typeof held === 'string' ? (JSON.parse(held) as string[]) : []);
    const listed = new Set(index.keys);
    const room = keys.size < MAX_INDEXED;
    write(room ? entries : entries.filter((e) => !listed.has(e.key)));
    if (room) for (const key of [...listed, ...(index.soft ?? [])]) keys.add(key);
    const remaining = lru.getRemainingTTL(index.key); // Infinity: held without expiry
    const ttl = Number.isFinite(index.ttl) && Number.isFinite(remaining) ? Math.max(index.ttl, remaining) : 0;
    lru.set(index.key, JSON.stringify([...keys]), { ttl });
  };
  return {
    get size() {
      return lru.size;
    },
    async clear(prefixes) {
      if (prefixes === undefined) {
        lru.clear();
        tags.clear();
        return;
      }
      for (const key of [...lru.keys()]) if (prefixes.some((p) => key.startsWith(p))) lru.delete(key);
      tags.clear(prefixes);
    },
    async get(key) {
      return lru.get(key) ?? null;
    },
    getSync: (key: string) => lru.get(key) ?? null,
    inProcess: true,
    async set(entries: ReadonlyArray<CacheStoreEntry>) {
      write(entries);
    },
    // In process, the check and the write cannot be split by another write.
    async setUnlessNewer(entries, guard) {
      for (const key of guard.keys) {
        const value = lru.get(key);
        if (value !== undefined && (storedAtOf(value) ?? 0) > guard.storedAt) return false;
      }
      write(entries);
      return true;
    },
    async delete(keys) {
      for (const key of keys) lru.delete(key);
    },
    // An index is a value like any other (a JSON list of keys): bounded and evicted with the rest.
    async setIndexed(entries, index) {
      writeIndexed(entries, index);
    },
    async deleteIndexed(keys, indexes) {
      for (const key of keys) lru.delete(key);
      for (const index of indexes) {
        const held = lru.get(index);
        if (typeof held === 'string') for (const key of JSON.parse(held) as string[]) lru.delete(key);
        lru.delete(index);
      }
    },
    async setTagged(entries, given, index) {
      const now = performance.now();
      const tagKeys = given.map((t) => t.key);
      if (
        !tags.fits(
          tagKeys,
          entries.map((e) => e.key),
          now,
        )
      )
        return false;
      if (index) writeIndexed(entries, index);
      else write(entries);
      const held = entries.map((e) => ({ key: e.key, until: Number.isFinite(e.ttl) ? now + e.ttl : Infinity }));
      tags.list(tagKeys, held);
      return true;
    },
    async deleteTagged(keys) {
      for (const tag of keys) for (const key of tags.take(tag)) lru.delete(key);
    },
    async deletePrefixed(prefixes) {
      for (const key of [...lru.keys()]) {
        if (prefixes.some((p) => key.startsWith(p))) lru.delete(key);
      }
    },
  };
}
