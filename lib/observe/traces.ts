import axios, { type InternalAxiosRequestConfig } from 'axios';
import { STATE, type CacheContext, type CacheRequest, type TrackedConfig } from '../flow/context.js';
import { classifyRejection } from '../http/rules.js';
import { redactUrl } from '../http/wire.js';
import type { RequestMessage, UpstreamMessage } from '../types.js';
import { requestChannel, traced, upstreamChannel } from './channels.js';
import { routeOf } from './route.js';

/** The URL of a request not yet described (its params serialised as axios would), redacted. */
function urlOf(config: InternalAxiosRequestConfig): string {
  try {
    return redactUrl(axios.getUri(config));
  } catch {
    return redactUrl(config.url ?? '');
  }
}

/** A request through the cache adapter on the request channel (callers ask `active(requestChannel)` first). */
export function traceRequest<T>(ctx: CacheContext, config: TrackedConfig, run: () => Promise<T>): Promise<T> {
  const url = urlOf(config);
  const message: RequestMessage = {
    cache: ctx.source.cache,
    method: config.method ?? 'get',
    url,
    route: routeOf(ctx, config, url),
  };
  return traced(requestChannel, message, run, (m) => {
    const state = config[STATE];
    if (!state) return;
    Object.assign(m, state.meta);
    m.duration = state.duration;
  });
}

function statusOf(value: unknown, error: unknown): number | undefined {
  if (error === undefined) return (value as { status?: number } | undefined)?.status;
  return axios.isAxiosError(error) ? error.response?.status : undefined;
}

/** An upstream request on the upstream channel (callers ask `active(upstreamChannel)` first). */
export function traceUpstream<T>(ctx: CacheContext, req: CacheRequest, run: () => Promise<T>): Promise<T> {
  const url = redactUrl(req.href);
  const started = performance.now();
  const message: UpstreamMessage = {
    cache: ctx.source.cache,
    method: req.method,
    url,
    route: routeOf(ctx, req.config, url),
    purpose: req.purpose ?? 'request',
    revalidation: req.validating !== undefined,
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
