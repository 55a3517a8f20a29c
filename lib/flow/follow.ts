import axios, { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import { fitsRedirects, servesStale, staleAnswer } from './stale.js';
import type { Flight, Outcome } from './flights.js';
import { settleAsync, toRawResponse, type RawResponse } from '../entry/response.js';
import { ageOf } from '../http/freshness.js';
import { fitsVary } from './tiers.js';
import { failedMeta, timeLeft } from './upstream.js';

type Waited = Outcome | { kind: 'timeout'; error: AxiosError };

/** The error axios's http adapter raises when `timeout` elapses. */
function timeoutError(config: InternalAxiosRequestConfig): AxiosError {
  const message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
  const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
  return new AxiosError(message, code, config);
}

/**
 * Waits for the leader, but no longer than this caller's own timeout (then it times out, as it
 * would have alone), nor than flightTimeout (then it goes alone), nor past its own cancellation.
 * A waiter that gives up is removed from the flight: a hung flight holds no one.
 */
function waitFor(ctx: CacheContext, flight: Flight, req: CacheRequest, takesEarly: boolean): Promise<Waited> {
  const { config } = req;
  const { signal, cancelToken } = config;
  const left = timeLeft(req);
  const ownFirst = left !== undefined && left <= ctx.opts.flightTimeout;
  const since = performance.now();
  return new Promise<Waited>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup();
      reject(new CanceledError(undefined, config));
    };
    const onCancel = (reason: unknown): void => {
      cleanup();
      reject(reason ?? new CanceledError(undefined, config));
    };
    const finish = (waited: Waited): void => {
      cleanup();
      resolve(waited);
    };
    const timer = setTimeout(
      () => finish(ownFirst ? { kind: 'timeout', error: timeoutError(config) } : { kind: 'alone' }),
      ownFirst ? left : ctx.opts.flightTimeout,
    );
    const leave = flight.wait(finish, takesEarly);
    function cleanup(): void {
      req.waited += performance.now() - since;
      clearTimeout(timer);
      leave();
      signal?.removeEventListener?.('abort', onAbort);
      cancelToken?.unsubscribe?.(onCancel);
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener?.('abort', onAbort);
    cancelToken?.subscribe?.(onCancel);
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
 * A caller whose identical request is already in flight: it takes the leader's outcome (answer,
 * stale answer or error) instead of asking the upstream again, when that outcome is what it would
 * have got alone. 'alone' and 'retry' send it back.
 */
export async function follow(
  ctx: CacheContext,
  req: CacheRequest,
  flight: Flight,
): Promise<RawResponse | 'alone' | 'retry'> {
  const { config } = req;
  // A caller with a softTimeout of its own takes the leader's early (stale) answer, at once if it is there.
  const takesEarly = req.policy.softTimeout > 0;
  const outcome = takesEarly && flight.early ? flight.early : await waitFor(ctx, flight, req, takesEarly);
  switch (outcome.kind) {
    case 'answer':
      // Another variant (the response varies on a header this caller sends differently), or more
      // redirects than it allows.
      if (!fitsVary(req, outcome.entry) || !fitsRedirects(req, outcome.entry)) return 'alone';
      // A stale answer (the leader's upstream failed, or was slow) within this caller's own staleTtl.
      if (outcome.meta.state === 'stale' && !servesStale(req, outcome.entry)) return 'alone';
      // An early answer may be taken long after the leader got it: the age is this caller's.
      setState(config, { meta: { ...outcome.meta, ...agedNow(outcome), coalesced: true }, url: req.href });
      return settleAsync(toRawResponse(outcome.entry, config, req, ctx.opts.zeroCopy));
    case 'error':
      setState(config, { meta: { ...outcome.meta, coalesced: true }, url: req.href });
      throw errorFor(outcome.error, config);
    case 'timeout': {
      // This caller's own timeout ran out first: a timeout of its own request, answered as such.
      const stale = await staleAnswer(ctx, req, { cause: 'timeout', error: outcome.error });
      if (!stale) {
        const meta = { ...failedMeta(req, { cause: 'timeout' }), coalesced: true };
        setState(config, { meta, url: req.href });
        throw outcome.error;
      }
      setState(config, { meta: { ...stale.meta, coalesced: true }, url: req.href });
      return settleAsync(toRawResponse(stale.entry, config, req, ctx.opts.zeroCopy));
    }
    default:
      return outcome.kind;
  }
}
