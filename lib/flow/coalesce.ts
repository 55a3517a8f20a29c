import type { RawResponse } from '../entry/response.js';
import type { CacheContext, CacheRequest } from './context.js';
import { flightFor, type Flight, type Outcome } from './flights.js';
import { track } from './store-io.js';
import { fitsOutcome, follow, takeOutcome } from './follow.js';
import { fetchWithFallback, type CallHooks, type LeaderResult } from './upstream.js';
import { ledElsewhere, takeLock } from './fleet.js';
import { followElsewhere } from './follow-fleet.js';
import { softApplies, softFetch } from './soft.js';

/*
 * The coalescing protocol, in one place: a miss joins an identical in-flight request it may share
 * (flights.ts: not silent for too long, not overtaken by an invalidation) and follows it (follow.ts:
 * bounded, answered as it would be alone), or leads one and publishes its outcome to the waiters.
 * The flights are behind the Coalescer interface (flights.ts). With coalesce: 'fleet', a leader whose
 * lock another process holds follows that process's flight instead of asking (follow-fleet.ts), and
 * a leader's end releases the lock its process holds (fleet.ts).
 *
 * A flight that stays silent (no byte of its answer) for flightTimeout is not given up on: its
 * waiters ask again, once between them (the first leads a second flight, the others join it), and
 * that second flight is a race: whichever answer lands first is everyone's. A slow but healthy
 * upstream then costs two requests, not one per waiter, and no caller waits longer than the first
 * answer; a leader stuck on a dead connection costs its waiters flightTimeout, not their timeout.
 */

type Final = Extract<Outcome, { kind: 'answer' | 'error' }>;

/** Goes upstream, sharing one request among identical concurrent misses when coalescing is on. */
export async function ask(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  let silent: Flight | undefined;
  for (;;) {
    const flight = ctx.opts.coalesce ? joinFlight(ctx, req) : undefined;
    if (!flight) return lead(ctx, req, ctx.opts.coalesce, silent);
    const result = await follow(ctx, req, flight);
    if (result === 'alone') return lead(ctx, req, false);
    if (result === 'stalled') silent = flight;
    else if (result !== 'retry') return result;
  }
}

/**
 * An identical request in flight that this caller may follow: one not silent for longer than
 * flightTimeout and not overtaken by an invalidation; or, for a caller that takes early answers
 * (softTimeout), one that has an early answer, however old: following it costs no wait, and leading
 * another would send one more request to an upstream already known to be slow.
 */
function joinFlight(ctx: CacheContext, req: CacheRequest): Flight | undefined {
  const flight = flightFor(ctx, req, ctx.opts.flightTimeout);
  if (flight || req.policy.softTimeout === 0) return flight;
  return flightFor(ctx, req, Number.POSITIVE_INFINITY, (f) => f.early !== undefined);
}

/** The final answer or error of `flight` that this caller may take; never settles otherwise. */
function finalOf(req: CacheRequest, flight: Flight): { outcome: Promise<Final>; leave(): void } {
  let leave = (): void => undefined;
  const outcome = new Promise<Final>((resolve) => {
    leave = flight.wait((o) => {
      if ((o.kind === 'answer' || o.kind === 'error') && fitsOutcome(req, o)) resolve(o);
    });
  });
  return { outcome, leave };
}

/**
 * Leads a flight (or goes alone). With `silent` (a flight its waiters stopped relying on), the
 * request races that flight: if the silent flight answers first, this caller and this flight's
 * waiters take its answer, and this request is aborted.
 */
async function lead(ctx: CacheContext, req: CacheRequest, share: boolean, silent?: Flight): Promise<RawResponse> {
  const leader = share ? ctx.flights.lead(req.keys.primary, req.epoch, silent) : undefined;
  // Across the fleet: the lock, unless the primary read already tried, or found the URL's answers
  // vary (a flight for another variant would not answer this one).
  if (leader && ctx.fleet && req.fleetHolder === undefined && !req.varies) await takeLock(ctx, req, true);
  const abort = silent ? new AbortController() : undefined;
  const hooks: CallHooks = { progress: leader && (() => leader.progress()), signal: abort?.signal };
  const call = (): Promise<LeaderResult> => {
    if (leader && ledElsewhere(ctx, req)) return followElsewhere(ctx, req, leader, hooks);
    return softApplies(req) ? softFetch(ctx, req, hooks) : fetchWithFallback(ctx, req, hooks);
  };
  const own = call().then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  let first: Awaited<typeof own> | { outcome: Final };
  if (silent) {
    const earlier = finalOf(req, silent);
    first = await Promise.race([own, earlier.outcome.then((outcome) => ({ outcome }))]);
    earlier.leave();
  } else {
    first = await own;
  }
  if ('outcome' in first) {
    // The silent flight answered first: everyone's answer; this request is aborted.
    abort?.abort();
    leader?.publish(first.outcome);
    return takeOutcome(ctx, req, first.outcome);
  }
  if ('error' in first) {
    leader?.publish({ kind: 'retry' });
    throw first.error;
  }
  const { result } = first;
  const { shared, later, settling } = result;
  if (later) {
    // Answered early (softTimeout): the flight stays open until the upstream request it waits on ends.
    leader?.early(shared);
    void later.then((outcome) => leader?.publish(outcome));
  } else if (settling && leader) {
    // A backoff marker is being written: the flight stays open until it is in the store.
    void settling.then(() => leader.publish(shared));
  } else {
    leader?.publish(shared);
  }
  if (result.own.ok) return result.own.value;
  throw result.own.error;
}

/** True while a request of this process for this key is in flight, and joinable (see flightFor). */
export function inFlight(ctx: CacheContext, req: CacheRequest): boolean {
  return flightFor(ctx, req, ctx.opts.flightTimeout) !== undefined;
}

/**
 * Runs a request of the cache's own (a refresh) once per key however many callers ask: as a flight
 * that true misses can join, and across the fleet once per fleet (a process whose lock another holds
 * leaves the refresh to that one). False when one is already out here. `own()` captures the request
 * (only when it will run); `run` resolves with the outcome for the flight's waiters; its rejection is
 * published as 'retry' and handed to `failed`.
 */
export function leadInBackground(
  ctx: CacheContext,
  req: CacheRequest,
  own: () => CacheRequest,
  run: (own: CacheRequest, progress: () => void) => Promise<Outcome>,
  failed: (error: unknown) => void,
): boolean {
  if (inFlight(ctx, req)) return false;
  const leader = ctx.flights.lead(req.keys.primary, req.epoch);
  const captured = own();
  const job = (async (): Promise<Outcome> => {
    // A URL whose answers vary: no fleet lock (a refresh of another variant elsewhere is not this one's).
    if (ctx.fleet && !captured.varies) {
      await takeLock(ctx, captured, false);
      if (ledElsewhere(ctx, captured)) return { kind: 'retry' };
    }
    return run(captured, () => leader.progress());
  })().then(
    (outcome) => leader.publish(outcome),
    (error: unknown) => {
      leader.publish({ kind: 'retry' });
      failed(error);
    },
  );
  track(ctx, job);
  return true;
}
