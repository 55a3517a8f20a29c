import { types } from 'node:util';
import { AxiosHeaders } from 'axios';
import { STATE, type CacheRequest, type TrackedConfig } from './context.js';

/*
 * Requests of the cache's own: the upstream request softTimeout lets finish after its caller was
 * answered, and the background refresh (stale-while-revalidate, refreshAhead; with `conditional`,
 * a revalidation carrying the entry's validators, which callUpstream adds as it does for a caller's
 * revalidation). They are captured at dispatch, before the caller is answered: what they send, and everything their answer is bound by (the varied headers an entry
 * is written for, its redirects), comes from that capture, never from the caller's config as later
 * code leaves it (an app's response interceptor may tidy headers, params or auth off it).
 */

const PRECONDITIONS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range'];

/** A copy of what a request body may be, that later changes to the caller's buffer do not reach. */
function copyBody(data: unknown): unknown {
  if (types.isUint8Array(data)) return Buffer.from(data);
  if (types.isArrayBuffer(data)) return data.slice(0);
  if (data instanceof URLSearchParams) return new URLSearchParams(data);
  return data; // a string, or a body the cache never keys (such requests bypass)
}

function copyParams(params: unknown): unknown {
  if (params === null || typeof params !== 'object') return params;
  if (params instanceof URLSearchParams) return new URLSearchParams(params);
  try {
    return structuredClone(params);
  } catch {
    return params; // holds functions or class instances: taken as they are
  }
}

function copyObject<T>(value: T): T {
  return value !== null && typeof value === 'object' ? ({ ...value } as T) : value;
}

/**
 * A copy of the caller's request: no cache state, no cancellation (the caller's signal and
 * cancelToken stay with the caller), and headers, auth, proxy, params and body of its own: the
 * adapter adds headers (not to the caller's object), and the caller's changes after dispatch do not
 * reach it.
 */
export function configCopy(config: TrackedConfig): TrackedConfig {
  const copy = Object.assign(Object.create(null) as TrackedConfig, config);
  delete copy[STATE];
  copy.signal = undefined;
  copy.cancelToken = undefined;
  copy.headers = new AxiosHeaders(config.headers);
  // The caller's own validators are about the caller's copy: the cache's request asks for the resource
  // (or sends the entry's validators, which callUpstream adds for a revalidation).
  for (const name of PRECONDITIONS) copy.headers.delete(name);
  copy.auth = copyObject(config.auth);
  const proxy = copyObject(config.proxy);
  if (proxy) proxy.auth = copyObject(proxy.auth);
  copy.proxy = proxy;
  copy.params = copyParams(config.params);
  copy.data = copyBody(config.data);
  return copy;
}

/**
 * The request of the cache's own made from `req` now: it sends `config` (a configCopy of the
 * caller's, made now), and its answer is keyed and bound by that copy.
 */
export function ownRequest(req: CacheRequest, config: TrackedConfig): CacheRequest {
  return { ...req, config };
}

/**
 * The refresh, captured now: the caller's request, detached from the caller (its abort signal and
 * progress hooks stay with it), bounded like any request: by its own timeout, or by flightTimeout
 * when it has none, so that settled() always resolves.
 */
export function refreshRequest(req: CacheRequest, cap: number): CacheRequest {
  const copy = configCopy(req.config);
  copy.onDownloadProgress = undefined;
  copy.onUploadProgress = undefined;
  if (!((copy.timeout ?? 0) > 0)) copy.timeout = cap;
  return ownRequest(req, copy);
}

/**
 * The caller's request as a request of the cache's own, captured now, with a signal of its own; its
 * progress hooks hear of the request only while `waiting()` (the caller still waits on it).
 */
export function detachedRequest(req: CacheRequest, signal: AbortSignal, waiting: () => boolean): CacheRequest {
  const { config } = req;
  const copy = configCopy(config);
  copy.signal = signal;
  for (const hook of ['onDownloadProgress', 'onUploadProgress'] as const) {
    const own = config[hook];
    if (own) copy[hook] = (event) => (waiting() ? own.call(config, event) : undefined);
  }
  return ownRequest(req, copy);
}
