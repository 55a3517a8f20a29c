import { memoryStore, type MemoryStore } from '../../lib/stores/memory';
import type { CacheStore, CacheStoreEntry } from '../../lib/types';

/** The real memory store, with a log of every call made to it. */
export interface RecordingStore extends CacheStore {
  readonly inner: MemoryStore;
  readonly gets: string[];
  readonly sets: CacheStoreEntry[][];
  readonly deletes: string[][];
}

export function recordingStore(inner: MemoryStore = memoryStore()): RecordingStore {
  const gets: string[] = [];
  const sets: CacheStoreEntry[][] = [];
  const deletes: string[][] = [];
  return {
    inner,
    gets,
    sets,
    deletes,
    get(key) {
      gets.push(key);
      return inner.get(key);
    },
    set(entries) {
      sets.push([...entries]);
      return inner.set(entries);
    },
    delete(keys) {
      deletes.push([...keys]);
      return inner.delete(keys);
    },
    deletePrefixed: (prefixes) => inner.deletePrefixed(prefixes),
  };
}

/** A store whose every call fails: what opens the store breaker. */
export function downStore(): CacheStore {
  const down = (): Promise<never> => Promise.reject(new Error('down'));
  return { get: down, set: down, delete: down };
}
