import { askUser, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { ageOf, mayServeStale } from '../http/freshness.js';
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

// How many storeTimeouts a stale read may take at the most (see staleReadBudget).
const STALE_READ_TIMEOUTS = 10;

/**
 * How long the stale read may take. Its alternative is an error, not a wait on the upstream: a slow
 * store (a paused or busy Redis) should still give the stale answer, as tornado-stale-client's
 * does. So it may take what is left of the caller's own timeout, at least storeTimeout and at most
 * 10 × storeTimeout (1 s by default); 10 × storeTimeout for a caller without a timeout. An open store
 * breaker still skips it at once (store-io.ts).
 */
function staleReadBudget(ctx: CacheContext, req: CacheRequest): number {
  const { storeTimeout } = ctx.opts;
  const most = storeTimeout * STALE_READ_TIMEOUTS;
  const timeout = req.config.timeout ?? 0;
  if (!(timeout > 0)) return most;
  const left = timeout - (performance.now() - req.started);
  return Math.min(most, Math.max(storeTimeout, left));
}

/**
 * Reads the stale tier within a bound of its own (staleReadBudget): a primary read that used the
 * whole storeTimeout (a slow store, a loaded machine) must not turn a stale answer into an error.
 */
export function readStale(ctx: CacheContext, req: CacheRequest): Promise<Entry | null> {
  req.storeBudget = staleReadBudget(ctx, req);
  return readTier(ctx, req, 'stale');
}

/**
 * Whether an entry may be this request's stale answer now, whichever way it leaves (after a failure,
 * a backoff, a soft timeout, a coalesced waiter): what http/freshness.ts allows (`afterError`: the
 * cause is a failure, not a slow upstream), and its redirects fit.
 */
export function servesStale(req: CacheRequest, entry: Entry, now = Date.now(), afterError = true): boolean {
  return mayServeStale(entry, req.policy, now, afterError) && fitsRedirects(req, entry);
}

/**
 * An entry that took more redirects than this caller allows is not its answer (the adapter would have
 * stopped), nor one that took any for a caller whose beforeRedirect might have refused it, nor a
 * redirect itself for a caller that would have followed it.
 */
export function fitsRedirects(req: CacheRequest, entry: Entry): boolean {
  // A kept redirect (cacheControl, maxRedirects: 0) is no answer to a request that follows redirects.
  if (entry.status >= 300 && entry.status < 400 && req.config.maxRedirects !== 0) return false;
  if (entry.redirects === 0) return true;
  if (req.guardsRedirects) return false;
  const max = req.config.maxRedirects;
  return max === undefined || max === null || entry.redirects <= max;
}
