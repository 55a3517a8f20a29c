import { askUser, readEntry, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from './entry.js';
import { ageOf } from './response.js';
import type { StaleCacheMeta, UpstreamFailure } from './types.js';

/** The stale tier's answer to a failed upstream request, when staleIf allows one and the tier has it. */
export async function staleAnswer(
  ctx: CacheContext,
  req: CacheRequest,
  failure: UpstreamFailure,
): Promise<{ entry: Entry; meta: StaleCacheMeta } | undefined> {
  if (req.policy.staleTtl === 0) return undefined;
  if (!askUser(ctx, 'staleIf', req.keys.primary, ctx.opts.staleIf, failure)) return undefined;
  const entry = await readEntry(ctx, req, req.keys.stale);
  if (!entry) return undefined;
  return {
    entry,
    meta: { state: 'stale', key: req.keys.primary, storedAt: entry.storedAt, age: ageOf(entry, Date.now()), cause: failure.cause },
  };
}
