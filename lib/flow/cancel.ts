import { CanceledError, type InternalAxiosRequestConfig } from 'axios';

/**
 * Calls `cancelled` once, with the error axios raises, when the caller cancels (its `signal` or its
 * `cancelToken`), at once when the signal has already fired. Returns what stops listening. The one
 * place a wait of the cache's (on a flight, on the fleet, on a soft timeout) hears of a cancellation.
 */
export function whenCancelled(config: InternalAxiosRequestConfig, cancelled: (error: unknown) => void): () => void {
  const { signal, cancelToken } = config;
  let done = false;
  const stop = (): void => {
    done = true;
    signal?.removeEventListener?.('abort', onAbort);
    cancelToken?.unsubscribe?.(onCancel);
  };
  const fire = (error: unknown): void => {
    if (done) return;
    stop();
    cancelled(error);
  };
  const onAbort = (): void => fire(new CanceledError(undefined, config));
  const onCancel = (reason: unknown): void => fire(reason ?? new CanceledError(undefined, config));
  if (signal?.aborted) {
    onAbort();
    return stop;
  }
  signal?.addEventListener?.('abort', onAbort);
  cancelToken?.subscribe?.(onCancel);
  return stop;
}
