import type { RawResponse } from '../entry/response.js';
import type { CacheContext, CacheRequest } from './context.js';
import { flightFor, type Flight } from './flights.js';
import { follow } from './follow.js';
import { fetchWithFallback } from './upstream.js';
import { softApplies, softFetch } from './soft.js';

/*
 * The coalescing protocol, in one place: a miss joins an identical in-flight request it may share
 * (flights.ts: not too old, not overtaken by an invalidation) and follows it (follow.ts: bounded,
 * answered as it would be alone), or leads one and publishes its outcome to the waiters. The
 * flights are behind the Coalescer interface (flights.ts), so a store-backed, fleet-wide one can
 * take the in-process one's place.
 */

/** Goes upstream, sharing one request among identical concurrent misses when coalescing is on. */
export async function ask(ctx: CacheContext, req: CacheRequest): Promise<RawResponse> {
  for (;;) {
    const flight = ctx.opts.coalesce ? joinFlight(ctx, req) : undefined;
    if (!flight) return lead(ctx, req, ctx.opts.coalesce);
    const result = await follow(ctx, req, flight);
    if (result === 'alone') return lead(ctx, req, false);
    if (result !== 'retry') return result;
  }
}

/**
 * An identical request in flight that this caller may follow: one younger than flightTimeout and not
 * overtaken by an invalidation; or, for a caller that takes early answers (softTimeout), one that has
 * an early answer, however old: following it costs no wait, and leading another would send one more
 * request to an upstream already known to be slow.
 */
function joinFlight(ctx: CacheContext, req: CacheRequest): Flight | undefined {
  const flight = flightFor(ctx, req, ctx.opts.flightTimeout);
  if (flight || req.policy.softTimeout === 0) return flight;
  return flightFor(ctx, req, Number.POSITIVE_INFINITY, (f) => f.early !== undefined);
}

async function lead(ctx: CacheContext, req: CacheRequest, share: boolean): Promise<RawResponse> {
  const leader = share ? ctx.flights.lead(req.keys.primary, req.epoch) : undefined;
  let result: Awaited<ReturnType<typeof fetchWithFallback>>;
  try {
    result = softApplies(req) ? await softFetch(ctx, req) : await fetchWithFallback(ctx, req);
  } catch (error) {
    leader?.publish({ kind: 'retry' });
    throw error;
  }
  if (result.later) {
    // Answered early (softTimeout): the flight stays open until the upstream request it waits on ends.
    leader?.early(result.shared);
    void result.later.then((outcome) => leader?.publish(outcome));
  } else {
    leader?.publish(result.shared);
  }
  if (result.own.ok) return result.own.value;
  throw result.own.error;
}
