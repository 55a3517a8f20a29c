import type { CacheContext, CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { writeUnlessNewer } from './store-io.js';
import { staleLeft } from '../http/freshness.js';
import type { CacheStoreEntry } from '../types.js';
import { encodeForWrite, variantOf } from './write.js';
import { inFlight } from './coalesce.js';

/*
 * Failure backoff (FusionCache's fail-safe throttle, BentoCache's grace backoff, Varnish grace while
 * the backend is sick). After a failure answered from the stale tier, the stale entry is written back
 * into the primary tier as a marker that says until when it is the answer. Every process reading that
 * key gets it with the primary read it makes anyway: shared by the fleet, no extra round trip, no new
 * key. The marker is never a hit (the adapter answers it as stale, cause `backoff`) and never outlives
 * the entry's stale answers (http/freshness.ts staleLeft).
 */

/**
 * Starts a backoff for this request's key with the stale entry just answered. The marker stays in the
 * store a while past its window (up to flightTimeout): while one request of this process probes the
 * upstream, the others still find it and are answered stale instead of waiting on the probe. The
 * promise (none when no marker is written) resolves once the marker's write settled: until then the
 * flight that failed stays open, so that a request of this process finds one or the other.
 */
export function startBackoff(ctx: CacheContext, req: CacheRequest, entry: Entry): Promise<void> | undefined {
  const { failureBackoff } = req.policy;
  if (failureBackoff === 0) return undefined;
  const now = Date.now();
  const left = staleLeft(entry, req.policy, now);
  const window = Math.min(failureBackoff, left);
  if (!(window >= 1)) return undefined;
  const { reusable: _r, template: _t, ...stored } = entry;
  const encoded = encodeForWrite(ctx, req, { ...stored, until: now + window });
  if (!encoded) return undefined;
  const ttl = Math.floor(Math.min(window + ctx.opts.flightTimeout, left));
  const entries: CacheStoreEntry[] = [{ key: req.keys.primary, value: encoded, ttl }];
  const guards = [req.keys.primary, req.keys.stale];
  const variant = variantOf(ctx, req, entry);
  if (variant) {
    entries.push({ key: variant.primary, value: encoded, ttl });
    guards.push(variant.primary, variant.stale);
  }
  // Made from an entry read earlier: another process may have stored a newer one since (in either tier).
  return writeUnlessNewer(ctx, entries, { keys: guards, storedAt: entry.storedAt });
}

/**
 * Whether this process's probe of a key under backoff is still out (a flight for it): a marker past
 * its window still answers the other requests meanwhile (see http/freshness.ts evaluate).
 */
export function probeOut(ctx: CacheContext, req: CacheRequest): boolean {
  return inFlight(ctx, req);
}
