import { createHash } from 'node:crypto';
import type { StoredValue } from '../../types.js';

/*
 * What the Redis store needs of a client, whichever family it is (node-redis, ioredis, iovalkey):
 * each family has a driver of its own beside this file, detected by shape. The store's semantics
 * (bounded calls, fail open, one round trip per hit, one per miss, Cluster slots) live in
 * stores/redis.ts and are the same on every driver.
 */
export interface RedisDriver {
  /** A Redis Cluster: a command or script may only name keys of one slot. */
  readonly cluster: boolean;
  /** Connected and ready now. A store call made otherwise fails at once: never queued offline. */
  ready(): boolean;
  /** One GET, binary-safe. */
  get(key: string): Promise<StoredValue | null>;
  /** SETs (PX when `px` > 0) in one MULTI, routed by the first key (all share its hash tag). */
  setMany(entries: ReadonlyArray<{ key: string; value: StoredValue; px: number }>): Promise<void>;
  /** DEL of keys that share one hash tag. */
  del(keys: ReadonlyArray<string>): Promise<void>;
  /** EVAL of a script over keys that share one hash tag; byte values go as Buffers. */
  eval(script: string, keys: ReadonlyArray<string>, args: ReadonlyArray<string | Uint8Array>): Promise<unknown>;
  /**
   * EVALSHA of a script (EVAL when the server does not know it yet), replies as Buffers: for a script
   * on a request's path, which returns entries.
   */
  evalBytes(script: Script, keys: ReadonlyArray<string>, args: ReadonlyArray<string | Uint8Array>): Promise<unknown>;
  /** Every key beginning with `prefix` (whose hash tag names one slot): a SCAN, or that slot on a Cluster. */
  keysUnder(prefix: string, scanCount: number): Promise<string[]>;
  /**
   * Every key beginning with `prefix` anywhere: a SCAN of the node, or of every master of a Cluster,
   * handed over a batch at a time (awaited before the scan goes on, so memory stays bounded).
   */
  scanAll(prefix: string, scanCount: number, each: (keys: string[]) => Promise<void>): Promise<void>;
  /**
   * A key as a command names it, from one a script saw (ioredis's keyPrefix is in the keys a script
   * gets, and a command adds it again).
   */
  unprefixed(key: string): string;
  /** A key as a script sees it in KEYS (the other way round). */
  prefixed(key: string): string;
  /** The Cluster master a key lives on (by address), for a store breaker each. */
  scopeOf?: ((key: string) => string | undefined) | undefined;
}

/** The `{…}` hash tag of a key, as Redis Cluster reads it (the first `{…}` with something inside). */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

const GLOB = /[*?[\]\\]/g;

/** A SCAN MATCH pattern for keys beginning with `prefix`. */
export function matchPrefix(prefix: string): string {
  return `${prefix.replace(GLOB, '\\$&')}*`;
}

/** A value as bytes for a client that takes Buffers (typed as Uint8Array: no @types/node in our types). */
export function asBuffer(value: StoredValue): string | Uint8Array {
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A Lua script and its SHA-1, for EVALSHA. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Runs `call(sha)`, and `fallback()` (an EVAL, which loads the script) when the server answers NOSCRIPT. */
export async function withScript<T>(run: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return fallback();
    throw error;
  }
}
