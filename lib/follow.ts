import axios, { AxiosError, CanceledError, type InternalAxiosRequestConfig } from 'axios';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import { staleAnswer } from './fallback.js';
import type { Outcome } from './flights.js';
import { settle, toRawResponse, type RawResponse } from './response.js';

type Waited = Outcome | { kind: 'timeout'; error: AxiosError };

/** The error axios's http adapter raises when `timeout` elapses. */
function timeoutError(config: InternalAxiosRequestConfig): AxiosError {
  const message = config.timeoutErrorMessage || `timeout of ${config.timeout}ms exceeded`;
  const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
  return new AxiosError(message, code, config);
}

/**
 * Waits for the leader, but no longer than this caller's own timeout, and not past its own
 * cancellation: a waiter keeps every promise its config makes.
 */
function waitFor(flight: Promise<Outcome>, config: InternalAxiosRequestConfig): Promise<Waited> {
  const { signal, cancelToken } = config;
  const timeout = config.timeout ?? 0;
  if (!signal && !cancelToken && !(timeout > 0)) return flight;
  return new Promise<Waited>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = (): void => {
      cleanup();
      reject(new CanceledError(undefined, config));
    };
    const onCancel = (reason: unknown): void => {
      cleanup();
      reject(reason ?? new CanceledError(undefined, config));
    };
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener?.('abort', onAbort);
      cancelToken?.unsubscribe?.(onCancel);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener?.('abort', onAbort);
    cancelToken?.subscribe?.(onCancel);
    if (timeout > 0) {
      timer = setTimeout(() => {
        cleanup();
        resolve({ kind: 'timeout', error: timeoutError(config) });
      }, timeout);
    }
    void flight.then((outcome) => {
      cleanup();
      resolve(outcome);
    });
  });
}

/** The leader's error, re-addressed to this caller: its own config and its own copy of the response. */
function errorFor(outcome: Extract<Outcome, { kind: 'error' }>, config: InternalAxiosRequestConfig): unknown {
  const { error } = outcome;
  if (!axios.isAxiosError(error)) return error;
  const response = outcome.response && toRawResponse(outcome.response, config);
  return AxiosError.from(error, error.code, config, error.request, response as never);
}

/**
 * A caller whose identical request is already in flight: it takes the leader's outcome (answer,
 * stale answer or error) instead of asking the upstream again. 'alone' and 'retry' send it back.
 */
export async function follow(
  ctx: CacheContext,
  req: CacheRequest,
  flight: Promise<Outcome>,
): Promise<RawResponse | 'alone' | 'retry'> {
  const { config } = req;
  const outcome = await waitFor(flight, config);
  switch (outcome.kind) {
    case 'answer':
      setState(config, { meta: { ...outcome.meta, coalesced: true }, url: req.url });
      return settle(toRawResponse(outcome.entry, config, ctx.opts.zeroCopy));
    case 'error':
      setState(config, { meta: { ...outcome.meta, coalesced: true }, url: req.url });
      throw errorFor(outcome, config);
    case 'timeout': {
      // This caller's own timeout ran out first: a timeout of its own request, answered as such.
      const stale = await staleAnswer(ctx, req, { cause: 'timeout', error: outcome.error });
      if (!stale) {
        setState(config, { meta: { state: 'miss', key: req.keys.primary, coalesced: true }, url: req.url });
        throw outcome.error;
      }
      setState(config, { meta: { ...stale.meta, coalesced: true }, url: req.url });
      return settle(toRawResponse(stale.entry, config, ctx.opts.zeroCopy));
    }
    default:
      return outcome.kind;
  }
}
