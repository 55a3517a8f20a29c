import type { CacheContext, CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import type { Leader, Outcome } from './flights.js';
import { awaitElsewhere, watchOutcomes, type Elsewhere } from './fleet.js';
import { answerTimeout, fitsOutcome, takeOutcome, timeoutError } from './follow.js';
import { answerFrom } from './answer.js';
import { readStale, servesStale, staleMeta } from './stale.js';
import { delay, softApplies, softFetch } from './soft.js';
import { fetchWithFallback, settled, type CallHooks, type LeaderResult } from './upstream.js';

/*
 * Following a flight another process leads (coalesce: 'fleet'): this process's leader waits on it
 * through the store (fleet.ts) and its callers wait on this leader as on any flight. It ends as a
 * waiter in one process does (follow.ts): the other's outcome when it fits, this caller's own
 * timeout, a stale answer at its own softTimeout, or, when the other's lock is free again, a request
 * of its own as the new leader.
 */

/** The leader's result when the flight it leads waits on one led elsewhere. */
export async function followElsewhere(
  ctx: CacheContext,
  req: CacheRequest,
  leader: Leader | undefined,
  hooks: CallHooks,
): Promise<LeaderResult> {
  const since = performance.now();
  const waited = awaitElsewhere(ctx, req, hooks.progress);
  if (!softApplies(req)) return settle(ctx, req, leader, hooks, await waited);
  // Its own softTimeout: answered stale then, as alone, while the flight goes on for the others.
  const staleRead = readStale(ctx, req);
  const soft = delay(req.policy.softTimeout);
  try {
    const first = await Promise.race([waited, soft.fired]);
    if (first === 'soft') {
      const next = await Promise.race([waited, staleRead.then((stale) => ({ stale }))]);
      if ('stale' in next) {
        const entry = next.stale;
        if (entry && servesStale(req, entry, Date.now(), false)) return answerSlow(ctx, req, entry, waited);
        return settle(ctx, req, leader, hooks, await waited, staleRead);
      }
      return settle(ctx, req, leader, hooks, next, staleRead);
    }
    // Its own request, if it comes to one, has only the rest of its softTimeout left.
    const left = Math.max(1, Math.ceil(req.policy.softTimeout - (performance.now() - since)));
    return settle(ctx, req, leader, hooks, first, staleRead, left);
  } finally {
    soft.clear();
  }
}

/** What the caller and the waiters here get once the wait ended. */
async function settle(
  ctx: CacheContext,
  req: CacheRequest,
  leader: Leader | undefined,
  hooks: CallHooks,
  end: Elsewhere,
  staleRead?: Promise<Entry | null>,
  softLeft?: number,
): Promise<LeaderResult> {
  switch (end.kind) {
    case 'lead': {
      const ask = (h: CallHooks): Promise<LeaderResult> => {
        if (!softApplies(req)) return fetchWithFallback(ctx, req, h);
        const policy = softLeft === undefined ? req.policy : { ...req.policy, softTimeout: softLeft };
        return softFetch(ctx, policy === req.policy ? req : { ...req, policy }, h);
      };
      return end.watched.length === 0 ? ask(hooks) : raceWatched(ctx, req, end.watched, hooks, ask);
    }
    case 'timeout':
      return {
        own: await settled(answerTimeout(ctx, req, timeoutError(req.config), staleRead)),
        shared: { kind: 'retry' },
      };
    case 'outcome': {
      const { outcome } = end;
      if ((outcome.kind === 'answer' || outcome.kind === 'error') && fitsOutcome(req, outcome)) {
        return { own: await settled(takeOutcome(ctx, req, outcome)), shared: outcome };
      }
      // Not for this caller (not for sharing, or another variant): the waiters here learn it now, and
      // this caller asks alone.
      leader?.publish(outcome);
      const alone = await fetchWithFallback(ctx, req);
      return { own: alone.own, shared: outcome };
    }
  }
}

/**
 * This leader's own request, raced with the flights whose lock expired under them (silent for
 * flightTimeout): whichever answer lands first is everyone's, and this request is aborted if theirs
 * does (as a second request for a silent flight in one process, see coalesce.ts).
 */
async function raceWatched(
  ctx: CacheContext,
  req: CacheRequest,
  watched: string[],
  hooks: CallHooks,
  ask: (hooks: CallHooks) => Promise<LeaderResult>,
): Promise<LeaderResult> {
  const abort = new AbortController();
  hooks.signal?.addEventListener('abort', () => abort.abort(), { once: true });
  const stop = new AbortController();
  const own = ask({ progress: hooks.progress, signal: abort.signal });
  try {
    const first = await Promise.race([
      own.then((result) => ({ result })),
      watchOutcomes(ctx, req, watched, stop.signal).then((outcome) => ({ outcome })),
    ]);
    if ('result' in first) return first.result;
    const { outcome } = first;
    if ((outcome.kind !== 'answer' && outcome.kind !== 'error') || !fitsOutcome(req, outcome)) return await own;
    abort.abort();
    own.catch(() => undefined);
    return { own: await settled(takeOutcome(ctx, req, outcome)), shared: outcome };
  } finally {
    stop.abort();
  }
}

/** The caller gets its stale entry now; the waiters here get the flight's outcome when it ends. */
async function answerSlow(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
  waited: Promise<Elsewhere>,
): Promise<LeaderResult> {
  const meta = staleMeta(req, entry, 'slow');
  // The lock is this instance's when the wait ends in 'lead': 'retry' releases it, and one waiter here asks.
  const later = waited.then(
    (end): Outcome => (end.kind === 'outcome' ? end.outcome : { kind: 'retry' }),
    (): Outcome => ({ kind: 'retry' }),
  );
  return { own: await settled(answerFrom(ctx, req, entry, meta)), shared: { kind: 'answer', entry, meta }, later };
}
