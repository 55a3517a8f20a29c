import { AxiosError } from 'axios';
import { whenCancelled } from './cancel.js';
import { askUser, type CacheContext, type CacheRequest, type TrackedConfig } from './context.js';
import type { Entry } from '../entry/codec.js';
import type { Outcome } from './flights.js';
import { answerFrom } from './answer.js';
import { keep } from './revalidate.js';
import { detachedRequest, rebind } from './own-request.js';
import { readStale, servesStale, staleMeta } from './stale.js';
import { startBackoff } from './backoff.js';
import { track } from './store-io.js';
import {
  callUpstream,
  settleCalled,
  upstreamsFault,
  type Called,
  type CallHooks,
  type LeaderResult,
  settled,
} from './upstream.js';

/*
 * softTimeout (FusionCache's soft timeout, nginx's proxy_cache_use_stale updating): when the upstream
 * has not answered within it and the stale tier holds an entry, the caller is answered stale now and
 * the upstream request goes on in the background, bounded, and refreshes both tiers if it succeeds.
 *
 * The stale tier is read beside the upstream request, not when the timer fires: the answer is then
 * ready at the soft timeout instead of a store round trip (up to storeTimeout) after it, and a
 * failure finds it already read. The cost is one more store read per upstream request with
 * softTimeout on (none on the memory store); a miss already costs a read and a write.
 *
 * The upstream request runs on a copy of the caller's config with a signal of its own: the caller's
 * signal or cancelToken aborts it only while the caller is still waiting for it.
 */

/** True when softTimeout applies to this request. */
export function softApplies(req: CacheRequest): boolean {
  return req.policy.softTimeout > 0 && req.policy.staleTtl > 0;
}

/** Rejects when the caller cancels (aborting the upstream request with it), until unlinked. */
function callerLink(config: TrackedConfig, controller: AbortController): { gone: Promise<never>; unlink(): void } {
  let unlink = (): void => undefined;
  const gone = new Promise<never>((_resolve, reject) => {
    unlink = whenCancelled(config, (error) => {
      controller.abort();
      reject(error);
    });
  });
  gone.catch(() => undefined); // raced while the caller waits; nobody listens once it is answered
  return { gone, unlink: () => unlink() };
}

export function delay(ms: number): { fired: Promise<'soft'>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const fired = new Promise<'soft'>((resolve) => {
    timer = setTimeout(() => resolve('soft'), ms);
  });
  return { fired, clear: () => clearTimeout(timer) };
}

/** The leader's upstream request under a softTimeout. */
export async function softFetch(ctx: CacheContext, req: CacheRequest, hooks: CallHooks = {}): Promise<LeaderResult> {
  const staleRead = readStale(ctx, req);
  const controller = new AbortController();
  hooks.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  let progressed = performance.now();
  const progress = (): void => {
    progressed = performance.now();
    hooks.progress?.();
  };
  let waiting = true;
  const own = detachedRequest(req, controller.signal, () => waiting);
  const call: Promise<Called> = callUpstream(ctx, own, { progress }).catch((error: unknown) => ({
    ok: false,
    error,
    entry: undefined,
  }));
  const caller = callerLink(req.config, controller);
  const soft = delay(req.policy.softTimeout);
  try {
    let first = await Promise.race([call, soft.fired, caller.gone]);
    if (first === 'soft') {
      // The stale read may still be out (a slow store): an upstream answer that lands first wins.
      const read = staleRead.then((stale) => ({ stale }));
      const next = await Promise.race([call, read, caller.gone]);
      const entry = 'stale' in next ? next.stale : null;
      if (entry && servesStale(req, entry, Date.now(), false)) {
        waiting = false;
        caller.unlink();
        return answerSlow(
          ctx,
          req,
          own,
          entry,
          capped(call, controller, own, ctx.opts.flightTimeout, () => progressed),
        );
      }
      first = 'stale' in next ? await Promise.race([call, caller.gone]) : next;
    }
    caller.unlink();
    return await settleCalled(ctx, req, rebind(first, req.config), staleRead);
  } finally {
    soft.clear();
  }
}

/** The caller gets the stale entry now; the upstream request goes on in the background, bounded. */
async function answerSlow(
  ctx: CacheContext,
  req: CacheRequest,
  own: CacheRequest,
  entry: Entry,
  call: Promise<Called>,
): Promise<LeaderResult> {
  const meta = staleMeta(req, entry, 'slow');
  // From here on only `own` (captured at dispatch) is read: the caller's config is the caller's.
  const later = call.then((called) => finish(ctx, own, called, entry));
  track(ctx, later);
  return { own: await settled(answerFrom(ctx, req, entry, meta)), shared: { kind: 'answer', entry, meta }, later };
}

/**
 * The background request, bounded as axios bounds it. axios's own adapters enforce a `timeout`
 * themselves, as axios means it (a body still arriving does not time out), so such a request gets no
 * other bound. Without a timeout, or with an adapter of another kind, it is aborted (and counts as a
 * timeout) once it has gone its timeout, or flightTimeout without one, from the moment its caller was
 * answered, and for axios's adapters without progress: settled() always resolves, even if the adapter
 * ignores the abort.
 */
function capped(
  call: Promise<Called>,
  controller: AbortController,
  own: CacheRequest,
  flightTimeout: number,
  progressed: () => number,
): Promise<Called> {
  const timeout = own.config.timeout ?? 0;
  if (own.kind !== 'other' && timeout > 0) return call;
  const bound = timeout > 0 ? timeout : flightTimeout;
  const answered = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<Called>((resolve) => {
    const check = (): void => {
      const since = own.kind === 'other' ? answered : Math.max(answered, progressed());
      const due = since + bound - performance.now();
      if (due > 0) {
        timer = setTimeout(check, Math.ceil(due));
        return;
      }
      controller.abort();
      const error = new AxiosError(`background request exceeded ${bound} ms`, AxiosError.ECONNABORTED, own.config);
      resolve({ ok: false, error, entry: undefined });
    };
    timer = setTimeout(check, bound);
  });
  return Promise.race([call, cap]).finally(() => clearTimeout(timer));
}

/**
 * The background end of a request answered early: a success refreshes both tiers and is what later
 * waiters get; a failure of the upstream's making starts a backoff, and waiters get the stale entry.
 */
async function finish(ctx: CacheContext, req: CacheRequest, called: Called, stale: Entry): Promise<Outcome> {
  const key = req.keys.primary;
  const kept = keep(ctx, req, called);
  if (!('failure' in kept)) {
    return kept.entry ? { kind: 'answer', entry: kept.entry, meta: { state: 'miss', key } } : { kind: 'alone' };
  }
  const { failure } = kept;
  // The flight stays open until the marker is in the store: a request of this process finds one or the other.
  if (upstreamsFault(failure)) await startBackoff(ctx, req, stale);
  if (!askUser(ctx, 'staleIf', key, ctx.opts.staleIf, failure)) return { kind: 'retry' };
  return { kind: 'answer', entry: stale, meta: staleMeta(req, stale, failure.cause, failure.status) };
}
