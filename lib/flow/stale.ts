import { askUser, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { ageOf, withinStaleTtl } from '../http/freshness.js';
import { readTier } from './tiers.js';
import type { StaleCacheMeta, UpstreamFailure } from '../types.js';

/** The stale tier's answer to a failed upstream request, when staleIf allows one and the tier has it. */
export async function staleAnswer(
  ctx: CacheContext,
  req: CacheRequest,
  failure: UpstreamFailure,
  staleRead?: Promise<Entry | null>,
): Promise<{ entry: Entry; meta: StaleCacheMeta } | undefined> {
  if (req.policy.staleTtl === 0) return undefined;
  if (!askUser(ctx, 'staleIf', req.keys.primary, ctx.opts.staleIf, failure)) return undefined;
  const entry = await (staleRead ?? readStale(ctx, req));
  if (!entry || !servesStale(req, entry)) return undefined;
  return { entry, meta: staleMeta(req, entry, failure.cause, failure.status) };
}

/** The metadata of a stale answer: the entry's age now, why it was served, the failing status if any. */
export function staleMeta(
  req: CacheRequest,
  entry: Entry,
  cause: NonNullable<StaleCacheMeta['cause']>,
  status?: number,
): StaleCacheMeta {
  const meta: StaleCacheMeta = {
    state: 'stale',
    key: req.keys.primary,
    storedAt: entry.storedAt,
    age: ageOf(entry, Date.now()),
    cause,
  };
  if (status !== undefined) meta.status = status;
  return meta;
}

/**
 * Reads the stale tier within a bound of its own: the alternative to this read is an error, and a
 * primary read that used the whole storeTimeout (a slow store, a loaded machine) must not turn a
 * stale answer into one.
 */
export function readStale(ctx: CacheContext, req: CacheRequest): Promise<Entry | null> {
  req.storeBudget = ctx.opts.storeTimeout;
  return readTier(ctx, req, 'stale');
}

/**
 * Whether an entry may be this request's stale answer now, whichever way it leaves (after a failure,
 * a backoff, a soft timeout, a coalesced waiter): within this request's staleTtl, and its redirects fit.
 */
export function servesStale(req: CacheRequest, entry: Entry, now = Date.now()): boolean {
  return withinStaleTtl(entry, req.policy, now) && fitsRedirects(req, entry);
}

/**
 * An entry that took more redirects than this caller allows is not its answer (the adapter would have
 * stopped), nor one that took any for a caller whose beforeRedirect might have refused it.
 */
export function fitsRedirects(req: CacheRequest, entry: Entry): boolean {
  if (entry.redirects === 0) return true;
  if (req.guardsRedirects) return false;
  const max = req.config.maxRedirects;
  return max === undefined || max === null || entry.redirects <= max;
}
