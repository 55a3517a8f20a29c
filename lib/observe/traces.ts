import axios, { type InternalAxiosRequestConfig } from 'axios';
import { STATE, type CacheContext, type TrackedConfig } from '../flow/context.js';
import { classifyRejection } from '../http/rules.js';
import { redactUrl } from '../http/wire.js';
import type { RequestMessage, UpstreamMessage } from '../types.js';
import { requestChannel, traced, upstreamChannel } from './channels.js';
import { requestUrl, routeOf } from './route.js';

/** A request through the cache adapter on the request channel (callers ask `active(requestChannel)` first). */
export function traceRequest<T>(ctx: CacheContext, config: TrackedConfig, run: () => Promise<T>): Promise<T> {
  const url = requestUrl(config);
  const started = performance.now();
  const message: RequestMessage = {
    cache: ctx.source.cache,
    method: config.method ?? 'get',
    url,
    route: routeOf(ctx, config),
  };
  return traced(requestChannel, message, run, (m) => {
    const state = config[STATE];
    if (state) Object.assign(m, state.meta);
    // A request refused before the cache decided (an invalid staleCache, a cancellation) has no state.
    m.duration = state?.duration ?? performance.now() - started;
  });
}

function statusOf(value: unknown, error: unknown): number | undefined {
  if (error === undefined) return (value as { status?: number } | undefined)?.status;
  return axios.isAxiosError(error) ? error.response?.status : undefined;
}

/** What the upstream channel says of a request sent upstream. */
export interface UpstreamCall {
  config: InternalAxiosRequestConfig;
  method: string;
  /** The URL as sent (redacted here). */
  url: string;
  purpose: UpstreamMessage['purpose'];
  revalidation: boolean;
}

/** An upstream request on the upstream channel (callers ask `active(upstreamChannel)` first). */
export function traceUpstream<T>(ctx: CacheContext, call: UpstreamCall, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const message: UpstreamMessage = {
    cache: ctx.source.cache,
    method: call.method,
    url: redactUrl(call.url),
    route: routeOf(ctx, call.config),
    purpose: call.purpose,
    revalidation: call.revalidation,
  };
  return traced(upstreamChannel, message, run, (m, value, error) => {
    m.duration = performance.now() - started;
    const status = statusOf(value, error);
    if (status !== undefined) m.status = status;
    if (error === undefined && (status ?? 0) < 400) {
      m.outcome = 'success';
      return;
    }
    const failure = error === undefined ? { cause: 'status' as const } : classifyRejection(error);
    m.outcome = failure ? 'failure' : 'cancelled';
    if (failure) m.cause = failure.cause;
  });
}
