import { LRUCache } from 'lru-cache';
import type { StoredValue } from '../../types.js';

/*
 * The near cache: values Redis gave this process, kept here while Redis promises to say when they
 * change (server-assisted client-side caching: CLIENT TRACKING). A read answered here costs no round
 * trip, no promise and no decode (the same bytes object each time, which the cache's decoded entries
 * recognise). What it answers is what Redis would: a value is dropped when Redis says its key was
 * changed, deleted, expired or evicted, and everything is dropped whenever that promise may have
 * been broken (a lost connection, a new one, a Cluster's slots moving). Freshness is not decided
 * here: the cache evaluates every entry it reads, from wherever, against the entry's own freshness.
 *
 * A GET's reply fills it only if no word about its key (nor a flush) arrived since the GET was
 * sent: an invalidation parsed from the socket before the reply's promise resolves must win.
 */

export interface NearCacheOptions {
  /** Values kept at most. @default 10000 */
  maxEntries?: number;
  /** Bytes of values kept at most. @default 64 MiB */
  maxBytes?: number;
}

export interface NearCache {
  /** The value for `key`, when it is here and Redis has not said otherwise. */
  peek(key: string): StoredValue | undefined;
  /** Taken before a GET is sent: what fill() checks. */
  ticket(): number;
  /** Keeps a GET's reply, unless its key (or everything) was invalidated since `ticket`. */
  fill(key: string, value: StoredValue, ticket: number): void;
  /** Redis says `key` changed. */
  invalidate(key: string): void;
  /** Drops everything, and fills nothing from GETs sent before. */
  flush(): void;
  /**
   * Whether Redis tracks this process's reads now: while not, nothing is answered or filled (a
   * tracking connection being set up again).
   */
  coherent: boolean;
  /**
   * Whether Redis tracks this process's reads of `key` now, beyond `coherent` (on a Cluster, each
   * master's connection is tracked on its own, from when it first connects). Unset: every key.
   */
  covers?: ((key: string) => boolean) | undefined;
  readonly size: number;
}

// Keys whose invalidation is remembered for fill()'s check; past it, GETs sent before are not filled.
const REMEMBERED = 10_000;
// A value is kept this long at most, whatever Redis says: a bound on any word that might be lost.
const MAX_AGE_MS = 60_000;

export function nearCache(options: NearCacheOptions = {}): NearCache {
  const values = new LRUCache<string, StoredValue>({
    max: options.maxEntries ?? 10_000,
    maxSize: options.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (value, key) =>
      Math.max(1, key.length + (typeof value === 'string' ? value.length * 2 : value.byteLength)),
    ttl: MAX_AGE_MS,
    ttlAutopurge: false,
  });
  let seq = 0;
  // GETs sent before `floor` (a flush, or a forgotten invalidation) fill nothing.
  let floor = 0;
  const invalidated = new Map<string, number>();
  const near: NearCache = {
    coherent: false,
    peek: (key) => (near.coherent && (near.covers === undefined || near.covers(key)) ? values.get(key) : undefined),
    ticket: () => (near.coherent ? seq : -1),
    fill(key, value, ticket) {
      if (!near.coherent || ticket < floor || (invalidated.get(key) ?? -1) > ticket) return;
      if (near.covers !== undefined && !near.covers(key)) return;
      values.set(key, value);
    },
    invalidate(key) {
      values.delete(key);
      invalidated.set(key, ++seq);
      if (invalidated.size > REMEMBERED) {
        invalidated.clear();
        floor = seq;
      }
    },
    flush() {
      values.clear();
      invalidated.clear();
      floor = ++seq;
    },
    get size() {
      return values.size;
    },
  };
  return near;
}
