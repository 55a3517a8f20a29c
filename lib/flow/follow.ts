import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import { fitsRedirects, servesStale, staleAnswer } from './stale.js';
import { aliveUntil, type Flight, type Outcome } from './flights.js';
import type { RawResponse } from '../entry/response.js';
import type { Entry } from '../entry/codec.js';
import { answerFrom } from './answer.js';
import { ageOf } from '../http/freshness.js';
import { fitsVary } from './tiers.js';
import { failedMeta } from './upstream.js';
import { timeLeft } from './own-request.js';
import { whenCancelled } from './cancel.js';

type Waited = Outcome | { kind: 'timeout'; error: AxiosError } | { kind: 'stalled' };

/** The error axios's http adapter raises when `timeout` elapses. */
export function timeoutError(config: InternalAxiosRequestConfig): AxiosError {
  const message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
  const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
  return new AxiosError(message, code, config);
}

/**
 * When this caller's own request would have timed out, had it gone alone: its `timeout` after it
 * started, as axios's adapters count it until an answer arrives; and for the http adapter, whose
 * timer is a socket-idle one once the answer is arriving, not before `timeout` has passed without
 * a byte of the flight's answer (a body that trickles in never times out).
 */
function ownDeadline(req: CacheRequest, flight: Flight, since: number, left: number): number {
  const deadline = since + left;
  const arriving = req.kind === 'http' && flight.progressed > flight.started;
  return arriving ? Math.max(deadline, aliveUntil(flight, left)) : deadline;
}

/**
 * Waits for the leader, but no longer than this caller's own timeout as axios means it (then it
 * times out, as it would have alone), nor than the flight stays silent for flightTimeout (then it is
 * `stalled`: the caller asks again, still taking the flight's answer if it lands first), nor past
 * its own cancellation. A waiter that gives up is removed from the flight: a hung flight holds no one.
 */
function waitFor(ctx: CacheContext, flight: Flight, req: CacheRequest, takesEarly: boolean): Promise<Waited> {
  const { config } = req;
  const left = timeLeft(req);
  const since = performance.now();
  return new Promise<Waited>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let stop = (): void => undefined;
    const finish = (waited: Waited): void => {
      cleanup();
      resolve(waited);
    };
    // Re-armed while the flight shows progress: both bounds move with it.
    const check = (): void => {
      const now = performance.now();
      const timeoutAt = left === undefined ? Number.POSITIVE_INFINITY : ownDeadline(req, flight, since, left);
      const stalledAt = aliveUntil(flight, ctx.opts.flightTimeout);
      if (timeoutAt <= stalledAt && now >= timeoutAt) finish({ kind: 'timeout', error: timeoutError(config) });
      else if (now >= stalledAt) finish({ kind: 'stalled' });
      else {
        const next = Math.min(timeoutAt, stalledAt);
        // Neither bound (no timeout, a racing flight): the flight's outcome or a cancellation ends the wait.
        if (next !== Number.POSITIVE_INFINITY) timer = setTimeout(check, Math.ceil(next - now));
      }
    };
    const leave = flight.wait(finish, takesEarly);
    let settled = false;
    function cleanup(): void {
      settled = true;
      req.waited += performance.now() - since;
      clearTimeout(timer);
      leave();
      stop();
    }
    stop = whenCancelled(config, (error) => {
      cleanup();
      reject(error);
    });
    if (!settled) check();
  });
}

/** The leader's error (one with no HTTP answer: those are shared as answers), re-addressed to this caller. */
function errorFor(error: unknown, config: InternalAxiosRequestConfig): unknown {
  if (!axios.isAxiosError(error)) return error;
  return AxiosError.from(error, error.code, config, error.request);
}

/** The answer's age now, when its metadata has one (a stale answer). */
function agedNow(outcome: Extract<Outcome, { kind: 'answer' }>): { age?: number } {
  return outcome.meta.age === undefined ? {} : { age: ageOf(outcome.entry, Date.now()) };
}

/**
 * Whether this caller may take a flight's answer as its own: the variant it would have got (the
 * response varies on a header this caller sends differently), no more redirects than it allows, and
 * a stale answer (the leader's upstream failed, or was slow) within this caller's own staleTtl.
 */
export function fitsOutcome(req: CacheRequest, outcome: Outcome): boolean {
  if (outcome.kind === 'error') return true;
  if (outcome.kind !== 'answer') return false;
  if (!fitsVary(req, outcome.entry)) return false;
  if (outcome.meta.state !== 'stale') return fitsRedirects(req, outcome.entry);
  const cause = outcome.meta.cause;
  return servesStale(req, outcome.entry, Date.now(), cause !== 'slow' && cause !== 'revalidating');
}

/** A flight's answer or error (one fitsOutcome accepts) as this caller's own. */
export async function takeOutcome(
  ctx: CacheContext,
  req: CacheRequest,
  outcome: Extract<Outcome, { kind: 'answer' | 'error' }>,
): Promise<RawResponse> {
  const { config } = req;
  if (outcome.kind === 'error') {
    setState(config, { meta: { ...outcome.meta, coalesced: true }, url: req.href });
    throw errorFor(outcome.error, config);
  }
  // An early answer may be taken long after the leader got it: the age is this caller's.
  return answerFrom(ctx, req, outcome.entry, { ...outcome.meta, ...agedNow(outcome), coalesced: true });
}

/**
 * A caller whose identical request is already in flight: it takes the leader's outcome (answer,
 * stale answer or error) instead of asking the upstream again, when that outcome is what it would
 * have got alone. 'alone' and 'retry' send it back; 'stalled' sends it to ask again for a flight
 * that went silent, still taking that flight's answer if it lands first.
 */
export async function follow(
  ctx: CacheContext,
  req: CacheRequest,
  flight: Flight,
): Promise<RawResponse | 'alone' | 'retry' | 'stalled'> {
  // A caller with a softTimeout of its own takes the leader's early (stale) answer, at once if it is there.
  const takesEarly = req.policy.softTimeout > 0;
  const outcome = takesEarly && flight.early ? flight.early : await waitFor(ctx, flight, req, takesEarly);
  switch (outcome.kind) {
    case 'answer':
    case 'error':
      return fitsOutcome(req, outcome) ? takeOutcome(ctx, req, outcome) : 'alone';
    case 'timeout':
      return answerTimeout(ctx, req, outcome.error);
    default:
      return outcome.kind;
  }
}

/**
 * This caller's own timeout ran out while it waited on another's flight: a timeout of its own
 * request, answered as such (stale when it may be; `staleRead`, a read of the stale tier under way).
 */
export async function answerTimeout(
  ctx: CacheContext,
  req: CacheRequest,
  error: AxiosError,
  staleRead?: Promise<Entry | null>,
): Promise<RawResponse> {
  const stale = await staleAnswer(ctx, req, { cause: 'timeout', error }, staleRead);
  if (!stale) {
    const meta = { ...failedMeta(req, { cause: 'timeout' }), coalesced: true };
    setState(req.config, { meta, url: req.href });
    throw error;
  }
  return answerFrom(ctx, req, stale.entry, { ...stale.meta, coalesced: true });
}
