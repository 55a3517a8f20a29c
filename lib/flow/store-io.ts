import { types } from 'node:util';
import { BreakerOpenError, StoreBusyError, StoreTimeoutError } from '../errors.js';
import { storeError } from './store-errors.js';
import type { CacheContext } from './context.js';
import { storedAtOf } from '../entry/codec.js';
import { active, storeChannel, tracedStoreCall } from '../observe/channels.js';
import type { CacheStoreEntry, StoreGuard, StoreIndex, StoredValue, StoreMessage, StoreTag } from '../types.js';

/*
 * The one place store calls go through. Every call is bounded in time (a late answer is dropped),
 * and the calls still unanswered are bounded in number and bytes: a store that accepts commands and
 * never answers (a paused or partitioned Redis) would otherwise hold every request's entry forever.
 */

// Unanswered store calls kept at most; past either bound a call is skipped (a miss, or a dropped write).
const MAX_PENDING_CALLS = 1_000;
const MAX_PENDING_BYTES = 32 * 1024 * 1024;

/**
 * How late a store call's timer may run before its timeout is taken for this process's slowness
 * rather than the store's: a quarter of the bound, and never under 20 ms (the timers of a healthy
 * process run a millisecond or two late). Measured on the suite's load run (10,000 requests against
 * a healthy local Redis, both cores kept busy by another process): the breaker opened 1 and 2 times
 * (3,468 and 3,797 store calls skipped) before this rule, 0 times after, in two runs each.
 */
function processLateBound(ms: number): number {
  return Math.max(20, ms / 4);
}

/**
 * Runs a store call for at most `ms`; a late answer is dropped, a late rejection swallowed. The
 * timer keeps the process alive (not unref'd): someone is waiting on it, and a process that exited
 * under a request waiting on its store would be worse than no cache.
 *
 * When the timer fires, the rejection waits one turn of the event loop (setImmediate): timers run
 * before I/O in each turn, so after this process was busy (a GC, a burst of requests) an answer
 * that arrived in time is still unread in the socket. That turn reads it; only a store that really
 * did not answer times out (and counts against the store breaker).
 */
export function bounded<T>(call: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const due = performance.now() + ms;
    const timer = setTimeout(() => {
      const late = performance.now() - due;
      const error = new StoreTimeoutError(`store call took longer than ${ms} ms`, late > processLateBound(ms));
      setImmediate(() => reject(error));
    }, ms);
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

/** What a store call is, for the store channel. */
interface StoreOp {
  op: StoreMessage['op'];
  key: string | undefined;
  keys: number;
  /** Bytes the call writes (bounded by MAX_PENDING_BYTES while unanswered). */
  bytes: number;
}

/**
 * A store call through the breaker (when there is one): bounded, counted as pending until the store
 * answers however late; a timeout counts as a failure. On the store channel when someone listens.
 */
export function storeCall<T>(ctx: CacheContext, what: StoreOp, call: () => Promise<T>, ms: number): Promise<T> {
  if (!active(storeChannel)) return guardedCall(ctx, what.key, call, ms, what.bytes);
  return tracedStoreCall(ctx.source, what.op, what.key, what.keys, what.bytes, () =>
    guardedCall(ctx, what.key, call, ms, what.bytes),
  );
}

/** An in-process store's call (CacheStore.inProcess): no bound, no breaker; on the store channel. */
function inProcessCall<T>(ctx: CacheContext, what: StoreOp, call: () => Promise<T>): Promise<T> {
  if (!active(storeChannel)) return call();
  return tracedStoreCall(ctx.source, what.op, what.key, what.keys, what.bytes, call);
}

function guardedCall<T>(
  ctx: CacheContext,
  key: string | undefined,
  call: () => Promise<T>,
  ms: number,
  bytes: number,
): Promise<T> {
  const breaker = ctx.breakers?.for(key);
  if (!breaker) return pendingCall(ctx, call, ms, bytes);
  return breaker
    .run(() => pendingCall(ctx, call, ms, bytes))
    .catch((error: unknown) => {
      if (error instanceof BreakerOpenError) ctx.stats.storeSkipped++;
      throw error;
    });
}

function pendingCall<T>(ctx: CacheContext, call: () => Promise<T>, ms: number, bytes: number): Promise<T> {
  const pending = ctx.pending;
  if (pending.calls >= MAX_PENDING_CALLS || (bytes > 0 && pending.bytes + bytes > MAX_PENDING_BYTES)) {
    ctx.stats.storeSkipped++;
    return Promise.reject(new StoreBusyError(`${pending.calls} store calls (${pending.bytes} bytes) still unanswered`));
  }
  pending.calls++;
  pending.bytes += bytes;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    pending.calls--;
    pending.bytes -= bytes;
  };
  return bounded(() => {
    const p = call();
    p.then(release, release);
    return p;
  }, ms).catch((error: unknown) => {
    if (!(error instanceof StoreTimeoutError)) release(); // threw synchronously, or rejected: nothing pending
    throw error;
  });
}

export function isStoredValue(value: unknown): value is StoredValue {
  return typeof value === 'string' || types.isUint8Array(value);
}

/** A store in this process (CacheStore.inProcess): no bound, no breaker, writes done at once. */
export function isSync(ctx: CacheContext): boolean {
  return ctx.opts.store.inProcess === true;
}

/**
 * Reads one key within `budget` ms; undefined (reported) when the store fails, is slow or busy.
 * `read` replaces the store's get for a read of the store's (the fleet's, which takes a lock when it
 * misses); a near cache's value is answered first either way.
 */
export async function readValue(
  ctx: CacheContext,
  key: string,
  budget: number,
  read?: () => Promise<unknown>,
): Promise<unknown> {
  const { store } = ctx.opts;
  try {
    // Read synchronously (CacheStore.getSync): cannot be slow, so no timer and no budget.
    const getSync = store.getSync;
    if (getSync) {
      if (!active(storeChannel)) return getSync.call(store, key);
      return await tracedStoreCall(ctx.source, 'get', key, 1, 0, async () => getSync.call(store, key));
    }
    // A near cache's value (CacheStore.peekSync): current, here, at once.
    const near = store.peekSync?.(key);
    if (near !== undefined) {
      if (!active(storeChannel)) return near;
      return await tracedStoreCall(ctx.source, 'get', key, 1, 0, async () => near);
    }
    if (budget <= 0) return undefined; // an earlier read used the budget up: the store is too slow today
    return await storeCall(ctx, { op: 'get', key, keys: 1, bytes: 0 }, read ?? (() => store.get(key)), budget);
  } catch (error) {
    storeError(ctx, 'get', key, error);
    return undefined;
  }
}

/** Tracks a background promise so that settled() can wait for it; resolves when it settles, never rejects. */
export function track(ctx: CacheContext, job: Promise<unknown>): Promise<void> {
  const quiet = job.then(
    () => undefined,
    () => undefined,
  );
  ctx.background.add(quiet);
  void quiet.then(() => ctx.background.delete(quiet));
  return quiet;
}

function bytesOf(entries: CacheStoreEntry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += typeof e.value === 'string' ? e.value.length : e.value.byteLength;
  return bytes;
}

const DONE: Promise<void> = Promise.resolve();

/** An answer's tags for CacheStore.setTagged, and what to do when a tag's list is full (nothing was written). */
export interface Tagged {
  tags: StoreTag[];
  full(): void;
  /** Whether the entries are still to be written, asked between a two-step store's steps (and reported when not). */
  stillWanted(): boolean;
}

/**
 * Writes entries in one store call, in the background, bounded; a failure is an 'error' event. The
 * promise resolves once the write settled (written, failed or given up), never rejects.
 */
export function writeEntries(
  ctx: CacheContext,
  entries: CacheStoreEntry[],
  index?: StoreIndex,
  tagged?: Tagged,
): Promise<void> {
  if (entries.length === 0) return DONE;
  const { store } = ctx.opts;
  const failed = (error: unknown): void => storeError(ctx, 'set', entries[0]?.key, error);
  const setIndexed = index && store.setIndexed?.bind(store);
  const setTagged = tagged && store.setTagged?.bind(store);
  const set = async (): Promise<void> => {
    if (setTagged && tagged) {
      if (!(await setTagged(entries, tagged.tags, index, tagged.stillWanted))) tagged.full();
    } else if (setIndexed && index) await setIndexed(entries, index);
    else await store.set(entries);
  };
  const what: StoreOp = { op: 'set', key: entries[0]?.key, keys: entries.length, bytes: bytesOf(entries) };
  if (isSync(ctx)) {
    // In process: done before this returns, so nothing to bound or to wait for.
    inProcessCall(ctx, what, set).catch(failed);
    return DONE;
  }
  return track(ctx, storeCall(ctx, what, set, ctx.opts.storeTimeout).catch(failed));
}

/**
 * Writes entries made from an earlier read (a backoff marker), in the background, unless a value
 * under one of the guard keys was stored after `guard.storedAt`: in the store's one round trip where
 * it can (setUnlessNewer), else after reading the guards, and not at all when they cannot be read.
 * The promise resolves once that settled, never rejects.
 */
export function writeUnlessNewer(ctx: CacheContext, entries: CacheStoreEntry[], guard: StoreGuard): Promise<void> {
  if (entries.length === 0) return DONE;
  const { store, storeTimeout } = ctx.opts;
  const failed = (error: unknown): void => storeError(ctx, 'set', entries[0]?.key, error);
  const setUnlessNewer = store.setUnlessNewer?.bind(store);
  if (setUnlessNewer) {
    const write = (): Promise<boolean> => setUnlessNewer(entries, guard);
    const what: StoreOp = { op: 'set', key: entries[0]?.key, keys: entries.length, bytes: bytesOf(entries) };
    if (isSync(ctx)) {
      inProcessCall(ctx, what, write).catch(failed);
      return DONE;
    }
    return track(ctx, storeCall(ctx, what, write, storeTimeout).catch(failed));
  }
  const guarded = Promise.all(guard.keys.map((key) => readValue(ctx, key, storeTimeout))).then((values) => {
    const newer = values.some((v) => v === undefined || (isStoredValue(v) && (storedAtOf(v) ?? 0) > guard.storedAt));
    return newer ? undefined : writeEntries(ctx, entries);
  });
  return track(ctx, guarded);
}

/** Deletes keys, every key the indexes hold, and the indexes, within storeTimeout (see CacheStore.deleteIndexed). */
export function deleteIndexed(ctx: CacheContext, keys: string[], indexes: string[]): Promise<void> {
  const { store } = ctx.opts;
  const deleteIndexed = store.deleteIndexed?.bind(store);
  const call = deleteIndexed ? () => deleteIndexed(keys, indexes) : () => store.delete(keys);
  const what: StoreOp = { op: 'delete', key: keys[0], keys: keys.length + indexes.length, bytes: 0 };
  return storeCall(ctx, what, call, ctx.opts.storeTimeout);
}

/** Deletes every key the tags list, and the lists, within storeTimeout (CacheStore.deleteTagged). */
export function deleteTagged(ctx: CacheContext, tagKeys: string[]): Promise<void> {
  const { store } = ctx.opts;
  const remove = store.deleteTagged?.bind(store);
  if (!remove) return Promise.reject(new Error('axios-stale-cache: this store has no tags (no deleteTagged)'));
  const what: StoreOp = { op: 'delete', key: tagKeys[0], keys: tagKeys.length, bytes: 0 };
  return storeCall(ctx, what, () => remove(tagKeys), ctx.opts.storeTimeout);
}

/** Deletes keys (and, where the store can list them, every key under `prefixes`) within storeTimeout. */
export function deleteKeys(ctx: CacheContext, keys: string[], prefixes: string[]): Promise<void> {
  const { store } = ctx.opts;
  return storeCall(
    ctx,
    { op: 'delete', key: keys[0], keys: keys.length + prefixes.length, bytes: 0 },
    async () => {
      await Promise.all([
        keys.length > 0 ? store.delete(keys) : undefined,
        prefixes.length > 0 && store.deletePrefixed ? store.deletePrefixed(prefixes) : undefined,
      ]);
    },
    ctx.opts.storeTimeout,
  );
}
