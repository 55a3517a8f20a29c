import { randomBytes } from 'node:crypto';
import type { CacheContext, CacheRequest, TrackedConfig } from './context.js';
import type { Coalescer, Flight, Leader, Outcome } from './flights.js';
import { decodeOutcome, encodeOutcome } from './outcome-codec.js';
import { whenCancelled } from './cancel.js';
import { isStoredValue, readValue, storeCall, track } from './store-io.js';
import { storeError } from './store-errors.js';
import { timeLeft } from './own-request.js';
import { decodeValue, fitsVary } from './tiers.js';
import { fitsRedirects } from './stale.js';
import { ageOf, evaluate } from '../http/freshness.js';
import type { CacheStore, LockedRead, StoredValue, StoreLock } from '../types.js';

/*
 * Fleet coalescing (`coalesce: 'fleet'`): identical misses in every process sharing the store reach
 * the upstream once. In each process, flights coalesce as before (flights.ts); across processes, a
 * lock beside the URL's entries (same hash tag, same Cluster slot) says which process's flight leads:
 *
 * - the primary read takes it when it misses, in its own round trip (CacheStore.getOrLock): a
 *   leader's miss still costs a read and a write;
 * - a process whose read found it held by another leads a flight of its own that asks the store,
 *   not the upstream: it polls (every tenth of its wait so far, 3 to 50 ms) until that flight's
 *   outcome (or a fresh entry: a flight it never saw came and went) is in the store,
 *   the lock is free again (it takes it and asks the upstream itself), its caller's own timeout runs
 *   out, or its caller cancels; the callers of its process wait on it as on any flight;
 * - a leader that ends (publish, whatever the outcome) releases the lock; when someone waited on it,
 *   it leaves its outcome first (serialised, outcome-codec.ts), so that waiters never re-fire one by
 *   one; a leader that dies is replaced when its lock expires (flightTimeout: the silence after which
 *   a flight in one process is no longer relied on alone either).
 *
 * A store that fails or is slow turns this off for the request (it goes on as if in process only):
 * the fleet is an economy, never a new way to fail.
 */

/**
 * Polls of a flight led elsewhere: every tenth of the time waited so far, within these bounds. A
 * waiter answers at most about a tenth later than its leader did (measured: 3 instances, a 100 ms
 * upstream: doubling intervals from 5 ms made callers wait 133 ms at p50, against 112 ms each alone).
 */
const MIN_POLL_MS = 3;
const MAX_POLL_MS = 50;
const pollAfter = (waited: number): number => Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, waited / 10));
/** Flights led elsewhere one waiter watches at the most (a lock retaken after expiry adds one). */
const MAX_WATCHED = 4;

/** This instance's side of the fleet's locks. */
export interface FleetLocks {
  /** A new token of this instance: `<instance>.<n>`. */
  next(): string;
  /** True for a token of this instance. */
  mine(token: string): boolean;
  /** Locks this instance holds, by primary key: released by whichever of its flights ends for that key. */
  readonly held: Map<string, string>;
  /** The last write of each primary key not yet settled: its lock is released after it (see releaseLock). */
  readonly writing: Map<string, Promise<void>>;
}

export function fleetLocks(): FleetLocks {
  const instance = randomBytes(9).toString('base64url');
  let n = 0;
  return {
    next: () => `${instance}.${++n}`,
    mine: (token) => token.startsWith(`${instance}.`),
    held: new Map(),
    writing: new Map(),
  };
}

type FleetStore = CacheStore & Required<Pick<CacheStore, 'getOrLock' | 'unlock'>>;

/** The store, when this cache coalesces across the fleet. */
function fleetStore(ctx: CacheContext): FleetStore | undefined {
  return ctx.fleet ? (ctx.opts.store as FleetStore) : undefined;
}

/** The lock of a primary key, beside it (`:l`: no other key of the cache ends so). */
export function lockKeyOf(primary: string): string {
  return `${primary}:l`;
}

function outcomeKeyOf(primary: string, token: string): string {
  return `${primary}:l.${token}`;
}

/** One getOrLock, bounded and through the breaker; rejects when the store fails or is slow. */
function lockCall(
  ctx: CacheContext,
  store: FleetStore,
  key: string,
  lock: StoreLock,
  budget: number,
): Promise<LockedRead> {
  return storeCall(ctx, { op: 'get', key, keys: 1, bytes: 0 }, () => store.getOrLock(key, lock), budget);
}

function lockOf(
  ctx: CacheContext,
  key: string,
  token: string,
  read: boolean,
  wait: boolean,
  outcomes: string[] = [],
): StoreLock {
  return { key: lockKeyOf(key), token, ttl: ctx.opts.flightTimeout, read, wait, outcomes };
}

/**
 * The primary read with the lock (see CacheStore.getOrLock), for readValue to bound and report: the
 * value, and the lock's holder noted on the request.
 */
export async function lockingGet(ctx: CacheContext, req: CacheRequest): Promise<StoredValue | null> {
  const store = ctx.opts.store as FleetStore;
  const key = req.keys.primary;
  const token = (ctx.fleet as FleetLocks).next();
  const read = await store.getOrLock(key, lockOf(ctx, key, token, true, true));
  noteHolder(ctx, req, read.holder, token);
  return read.value;
}

function noteHolder(ctx: CacheContext, req: CacheRequest, holder: string | null, token: string): void {
  req.fleetHolder = holder ?? undefined;
  if (holder === token) ctx.fleet?.held.set(req.keys.primary, token);
}

/**
 * Takes the lock for a request whose primary read found an entry it may not use (an expired one, a
 * backoff marker past its window): one more round trip, only then. With `wait`, a lock another owner
 * holds is marked as waited on (this request will follow that flight). Nothing when the store fails.
 */
export async function takeLock(ctx: CacheContext, req: CacheRequest, wait: boolean): Promise<void> {
  const store = fleetStore(ctx);
  const fleet = ctx.fleet;
  if (!store || !fleet || req.fleetHolder !== undefined) return;
  const key = req.keys.primary;
  const token = fleet.next();
  try {
    const read = await lockCall(ctx, store, key, lockOf(ctx, key, token, false, wait), ctx.opts.storeTimeout);
    noteHolder(ctx, req, read.holder, token);
  } catch (error) {
    storeError(ctx, 'get', key, error);
  }
}

/** True when another process's flight holds this request's lock: its leader here waits on that flight. */
export function ledElsewhere(ctx: CacheContext, req: CacheRequest): boolean {
  const holder = req.fleetHolder;
  return ctx.fleet !== undefined && holder !== undefined && !ctx.fleet.mine(holder);
}

/** How a wait on a flight led elsewhere ended. */
export type Elsewhere =
  | { kind: 'outcome'; outcome: Outcome }
  /**
   * This leader asks the upstream: the lock is this instance's now, or the store cannot tell.
   * `watched`: flights whose lock expired under them, whose outcome may still land first.
   */
  | { kind: 'lead'; watched: string[] }
  /** The caller's own timeout ran out first. */
  | { kind: 'timeout' };

/**
 * Waits on the flight another process leads for this request's key (see the top of this file);
 * rejects when the caller cancels. `alive` is called after each poll that finds it still going.
 */
export async function awaitElsewhere(ctx: CacheContext, req: CacheRequest, alive?: () => void): Promise<Elsewhere> {
  const store = fleetStore(ctx);
  const fleet = ctx.fleet;
  const holder = req.fleetHolder;
  if (!store || !fleet || holder === undefined) return { kind: 'lead', watched: [] };
  const key = req.keys.primary;
  let watched = [holder];
  const left = timeLeft(req);
  const since = performance.now();
  const deadline = left === undefined ? Number.POSITIVE_INFINITY : since + left;
  let delay = MIN_POLL_MS;
  // The entry is read too, until one turns out of no use to this request: a flight that came and went
  // between two polls (its lock expired under this waiter, a successor answered) left it there.
  let reads = true;
  try {
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) return { kind: 'timeout' };
      if (delay > 0) await pause(Math.ceil(Math.min(delay, remaining)), req.config);
      delay = pollAfter(performance.now() - since);
      const token = fleet.next();
      const lock = lockOf(
        ctx,
        key,
        token,
        reads,
        true,
        watched.map((t) => outcomeKeyOf(key, t)),
      );
      let read: LockedRead;
      try {
        read = await lockCall(ctx, store, key, lock, ctx.opts.storeTimeout);
      } catch (error) {
        storeError(ctx, 'get', key, error);
        return { kind: 'lead', watched: [] };
      }
      if (read.outcome !== null) {
        const outcome = outcomeOf(ctx, key, read.outcome);
        if (outcome.kind !== 'retry') return { kind: 'outcome', outcome };
        // That leader gave up on its own limits (or left what does not decode): the lock is free, and
        // the next poll, at once, may take it.
        delay = 0;
        watched = [];
        continue;
      }
      if (read.value !== null) {
        const found = freshOutcome(ctx, req, read.value);
        if (found) return { kind: 'outcome', outcome: found };
        reads = false; // of no use here (expired, another variant): the next poll, at once, is for the lock
        delay = 0;
        continue;
      }
      const now = read.holder;
      if (now === null) return { kind: 'lead', watched: [] }; // a store that answered neither
      if (now === token) {
        fleet.held.set(key, token);
        return { kind: 'lead', watched };
      }
      // Another request of this instance took the lock (the one before expired): it joins this flight,
      // whose leader asks now, under that lock (released when this flight ends).
      if (fleet.mine(now)) return { kind: 'lead', watched };
      if (!watched.includes(now)) watched.push(now);
      if (watched.length > MAX_WATCHED) watched.shift();
      alive?.();
    }
  } finally {
    req.waited += performance.now() - since;
  }
}

/** An entry a poll found, as a hit, when it is a fresh answer to this request; else undefined. */
function freshOutcome(ctx: CacheContext, req: CacheRequest, value: StoredValue): Outcome | undefined {
  const entry = decodeValue(ctx, req, req.keys.primary, value);
  const now = Date.now();
  if (!entry || !fitsVary(req, entry) || !fitsRedirects(req, entry)) return undefined;
  if (evaluate(entry, req.policy, req.directives, now) !== 'fresh') return undefined;
  return {
    kind: 'answer',
    entry,
    meta: { state: 'hit', key: req.keys.primary, storedAt: entry.storedAt, age: ageOf(entry, now) },
  };
}

/** A stored outcome; one that does not decode is a retry (reported): the lock is free, one waiter asks. */
function outcomeOf(ctx: CacheContext, key: string, value: StoredValue): Outcome {
  try {
    return decodeOutcome(value);
  } catch (error) {
    storeError(ctx, 'decode', key, error);
    return { kind: 'retry' };
  }
}

/**
 * The outcome one of `tokens` left, polled (plain reads) until `stop` aborts: a flight whose lock
 * expired under it may still answer first, and its answer is everyone's (as a silent flight's in
 * process, see coalesce.ts). Never resolves otherwise.
 */
export function watchOutcomes(
  ctx: CacheContext,
  req: CacheRequest,
  tokens: string[],
  stop: AbortSignal,
): Promise<Outcome> {
  const key = req.keys.primary;
  return new Promise<Outcome>((resolve) => {
    const since = performance.now();
    let timer: NodeJS.Timeout | undefined;
    stop.addEventListener('abort', () => clearTimeout(timer), { once: true });
    const poll = async (): Promise<void> => {
      for (const token of tokens) {
        if (stop.aborted) return;
        const value = await readValue(ctx, outcomeKeyOf(key, token), ctx.opts.storeTimeout);
        if (stop.aborted) return;
        if (isStoredValue(value)) {
          const outcome = outcomeOf(ctx, key, value);
          if (outcome.kind !== 'retry') return resolve(outcome);
        }
      }
      timer = setTimeout(() => void poll(), pollAfter(performance.now() - since));
    };
    timer = setTimeout(() => void poll(), MIN_POLL_MS);
  });
}

/** Waits `ms`; rejects as axios would when the caller cancels meanwhile. */
function pause(ms: number, config: TrackedConfig): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, ms);
    const stop = whenCancelled(config, (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Releases the lock this instance holds for `key`, if any, leaving `outcome` for the processes that
 * waited on it (encoded only when one did, or when the lock expired under this flight: its waiters
 * may still watch it). In the background, once the answer's write settled. A failure is an 'error'
 * event; the lock then expires on its own.
 */
export function releaseLock(ctx: CacheContext, key: string, outcome: Outcome): void {
  const store = fleetStore(ctx);
  const token = ctx.fleet?.held.get(key);
  if (!store || token === undefined) return;
  ctx.fleet?.held.delete(key);
  const lock = { key: lockKeyOf(key), token };
  const release = async (): Promise<void> => {
    // The answer's write, which the response interceptor starts meanwhile, settles first (a two-step
    // write on a Cluster included): a newcomer then finds the entry rather than a free lock.
    await new Promise((resolve) => setImmediate(resolve));
    await ctx.fleet?.writing.get(key);
    const unlocked = () => store.unlock(lock);
    const ended = await storeCall(ctx, { op: 'set', key, keys: 1, bytes: 0 }, unlocked, ctx.opts.storeTimeout);
    if (ended === 'released') return;
    const value = encodeOutcome(outcome);
    const left = { key: outcomeKeyOf(key, token), value, ttl: Math.max(1_000, ctx.opts.flightTimeout) };
    const what = { op: 'set' as const, key, keys: 1, bytes: value.byteLength };
    await storeCall(ctx, what, () => store.unlock({ ...lock, outcome: left }), ctx.opts.storeTimeout);
  };
  track(
    ctx,
    release().catch((error: unknown) => storeError(ctx, 'set', key, error)),
  );
}

/**
 * Releases a lock a request took but handed to no flight (it was answered from elsewhere: a max-stale
 * entry, only-if-cached): its waiters, if any, ask again and one of them takes it.
 */
export function releaseUnused(ctx: CacheContext, req: CacheRequest): void {
  const key = req.keys.primary;
  if (req.fleetHolder === undefined || ctx.fleet?.held.get(key) !== req.fleetHolder) return;
  if (ctx.flights.active(key)) return; // the flight of this key releases it when it ends
  releaseLock(ctx, key, { kind: 'retry' });
}

/**
 * Keeps this instance's lock for `key` while its flight shows progress (bytes of the answer arriving),
 * at most once a third of flightTimeout: a leader whose answer is arriving is waited on across the
 * fleet as in its own process, however long it takes.
 */
function extendLock(ctx: CacheContext, key: string): void {
  const store = ctx.opts.store;
  const token = ctx.fleet?.held.get(key);
  if (!store.extendLock || token === undefined) return;
  const ttl = ctx.opts.flightTimeout;
  const lock = { key: lockKeyOf(key), token, ttl };
  const what = { op: 'set' as const, key, keys: 1, bytes: 0 };
  track(
    ctx,
    storeCall(ctx, what, () => store.extendLock?.(lock) ?? Promise.resolve(false), ctx.opts.storeTimeout).catch(
      (error: unknown) => storeError(ctx, 'set', key, error),
    ),
  );
}

/** In-process flights whose leaders release this instance's fleet lock when they end, and keep it while they progress. */
export function fleetCoalescer(ctx: () => CacheContext, inner: Coalescer): Coalescer {
  return {
    join: (key, maxSilence, accept) => inner.join(key, maxSilence, accept),
    active: (key) => inner.active(key),
    lead(key, epoch, silent?: Flight): Leader {
      const leader = inner.lead(key, epoch, silent);
      let done = false;
      let extended = performance.now();
      return {
        early: (outcome) => leader.early(outcome),
        progress: () => {
          leader.progress();
          const now = performance.now();
          if (done || now - extended < ctx().opts.flightTimeout / 3) return;
          extended = now;
          extendLock(ctx(), key);
        },
        publish(outcome) {
          leader.publish(outcome);
          if (done) return;
          done = true;
          releaseLock(ctx(), key, outcome);
        },
      };
    },
  };
}
