import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';
import type { DecodedEntries } from './decoded.js';
import type { Entry } from './entry.js';
import { SYNC_GET, type SyncReadable } from './stores/sync.js';
import type { Emitter } from './events.js';
import type { Flights } from './flights.js';
import type { CacheKeys } from './key.js';
import type { RequestPolicy, ResolvedOptions } from './options.js';
import type { CacheStats, CacheStoreEntry, StaleCacheMeta, CacheOperation, StoredValue } from './types.js';

/** What one attached instance shares between its requests. */
export interface CacheContext {
  readonly opts: ResolvedOptions;
  readonly events: Emitter;
  readonly stats: CacheStats;
  readonly flights: Flights;
  /** Writes and background refreshes not yet settled (see handle.settled()). */
  readonly background: Set<Promise<unknown>>;
  /** Recently read entries, decoded: a hot key is not decoded (nor its JSON parsed) again. */
  readonly decoded: DecodedEntries;
  /** Canonical URL and digest of recent parameter-less requests (see lookup.ts addressOf). */
  readonly addresses: Map<string, { url: string; urlDigest: string }>;
  detached: boolean;
}

/** One request on its way through the cache. */
export interface CacheRequest {
  readonly config: TrackedConfig;
  readonly policy: RequestPolicy;
  readonly method: string;
  readonly url: string;
  readonly keys: CacheKeys;
  readonly upstream: AxiosAdapter;
  /** The request asked for revalidation (Cache-Control / Pragma: no-cache): skip the primary read. */
  readonly revalidate: boolean;
  /**
   * Milliseconds this request may still spend waiting on store reads: one storeTimeout in all, so
   * a slow store delays a request once (primary read + stale read), not once per read.
   */
  storeBudget: number;
}

/** Per-request state, carried on the config under a symbol (dispatchRequest's copy keeps symbols). */
export interface RequestState {
  meta: StaleCacheMeta;
  url: string;
  /** A fresh answer the response interceptor may store once axios has transformed it. */
  pending?: { entry: Entry; keys: CacheKeys; policy: RequestPolicy } | undefined;
}

export const STATE: unique symbol = Symbol('axios-stale-cache.state');
export type TrackedConfig = InternalAxiosRequestConfig & { [STATE]?: RequestState };

export function setState(config: TrackedConfig, state: RequestState): void {
  config[STATE] = state;
}

export class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError';
}

export function storeError(ctx: CacheContext, op: CacheOperation, key: string | undefined, error: unknown): void {
  ctx.stats.storeErrors++;
  ctx.events.emit('error', { op, key, error });
}

/** Runs a user callback; one that throws counts as `false` and is reported, never thrown. */
export function askUser<A>(ctx: CacheContext, op: 'isCacheable' | 'staleIf', key: string, fn: (arg: A) => boolean, arg: A): boolean {
  try {
    return fn(arg) === true;
  } catch (error) {
    ctx.events.emit('error', { op, key, error });
    return false;
  }
}

/** Runs a store call for at most `ms`; a late answer is dropped, a late rejection swallowed. */
export function bounded<T>(call: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreTimeoutError(`store call took longer than ${ms} ms`)), ms);
    timer.unref?.();
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function isStoredValue(value: unknown): value is StoredValue {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/** A store's answer, decoded (or the decoded entry of the same bytes read before); a miss if unusable. */
function decodeValue(ctx: CacheContext, key: string, value: unknown): Entry | null {
  if (value === null || value === undefined) return null;
  try {
    if (!isStoredValue(value)) throw new TypeError(`store returned ${typeof value}, not a string or bytes`);
    return ctx.decoded.read(key, value);
  } catch (error) {
    storeError(ctx, 'decode', key, error);
    return null;
  }
}

/** Reads and decodes one tier within the request's store budget; any failure is a miss. */
export async function readEntry(ctx: CacheContext, req: CacheRequest, key: string): Promise<Entry | null> {
  const syncGet = (ctx.opts.store as SyncReadable)[SYNC_GET];
  if (syncGet) {
    // In process: cannot be slow or down, so no timer and no budget.
    let value: StoredValue | null;
    try {
      value = syncGet(key);
    } catch (error) {
      storeError(ctx, 'get', key, error);
      return null;
    }
    return decodeValue(ctx, key, value);
  }
  const budget = Math.ceil(req.storeBudget);
  if (budget <= 0) return null; // an earlier read used the budget up: the store is too slow today
  const started = performance.now();
  let value: unknown;
  try {
    value = await bounded(() => ctx.opts.store.get(key), budget);
  } catch (error) {
    storeError(ctx, 'get', key, error);
    return null;
  } finally {
    req.storeBudget -= performance.now() - started;
  }
  return decodeValue(ctx, key, value);
}

/** Tracks a background promise so that settled() can wait for it. Never rejects. */
export function track(ctx: CacheContext, job: Promise<unknown>): void {
  const quiet = job.then(
    () => undefined,
    () => undefined,
  );
  ctx.background.add(quiet);
  void quiet.then(() => ctx.background.delete(quiet));
}

export function writeEntries(ctx: CacheContext, entries: CacheStoreEntry[]): void {
  if (entries.length === 0) return;
  const key = entries[0]?.key;
  const { store } = ctx.opts;
  if ((store as SyncReadable)[SYNC_GET]) {
    // In process: done before this returns, so nothing to bound or to wait for.
    store.set(entries).catch((error: unknown) => storeError(ctx, 'set', key, error));
    return;
  }
  track(
    ctx,
    bounded(() => ctx.opts.store.set(entries), ctx.opts.storeTimeout).catch((error: unknown) => storeError(ctx, 'set', key, error)),
  );
}
