// Apart from channels.ts: the public declarations must not need node's types (a consumer may have none).

/**
 * The diagnostics channels the cache publishes on (node:diagnostics_channel). `request`, `store` and
 * `upstream` are tracing channels (subscribe with `tracingChannel(name).subscribe({ start, asyncEnd,
 * error })`); the others are plain channels. Nothing is built for a channel nobody subscribes to.
 */
export const CHANNELS = {
  /** Every request through an attached instance: RequestMessage. */
  request: 'axios-stale-cache:request',
  /** Every store call: StoreMessage. */
  store: 'axios-stale-cache:store',
  /** Every request the cache sends upstream (a caller's, a background refresh): UpstreamMessage. */
  upstream: 'axios-stale-cache:upstream',
  /** The store breaker changed state: BreakerMessage. */
  breaker: 'axios-stale-cache:breaker',
  /** A cacheable answer was not written: SkipMessage. */
  skip: 'axios-stale-cache:skip',
  /** A store call, decode, encode, refresh or user callback failed (collapsed as the `error` event): ErrorMessage. */
  error: 'axios-stale-cache:error',
} as const;
