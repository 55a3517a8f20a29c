import { types } from 'node:util';
import axios, { AxiosHeaders, type GenericAbortSignal, type InternalAxiosRequestConfig } from 'axios';
import { STATE, type CacheRequest, type TrackedConfig } from './context.js';
import { withValidators } from './conditional.js';
import type { Called } from './upstream.js';

/*
 * Every request the cache sends upstream is built here: the adapter's copy of a caller's request
 * (adapterConfig: bytes, what is left of the timeout, a revalidation's validators and its 304, a
 * race's abort), the answer addressed back (rebind), and requests of the cache's own: the upstream
 * request softTimeout lets finish after its caller was answered, and the background refresh
 * (stale-while-revalidate, refreshAhead). Those are captured at dispatch, before the caller is
 * answered: what they send, and everything their answer is bound by (the varied headers an entry is
 * written for, its redirects), comes from that capture, never from the caller's config as later code
 * leaves it (an app's response interceptor may tidy headers, params or auth off it).
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
export function ownRequest(req: CacheRequest, config: TrackedConfig, purpose?: CacheRequest['purpose']): CacheRequest {
  return { ...req, config, purpose };
}

/**
 * The refresh, captured now: the caller's request, detached from the caller (its abort signal and
 * progress hooks stay with it), bounded like any request: by its own timeout, or by flightTimeout
 * when it has none, so that settled() always resolves.
 */
export function refreshRequest(req: CacheRequest, cap: number): CacheRequest {
  const copy = configCopy(req.config);
  // The refresh is everyone's: it asks for the resource as a request without directives would.
  copy.headers.delete('cache-control');
  copy.headers.delete('pragma');
  copy.onDownloadProgress = undefined;
  copy.onUploadProgress = undefined;
  if (!((copy.timeout ?? 0) > 0)) copy.timeout = cap;
  return ownRequest(req, copy, 'refresh');
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

/** The request's own time left, if it has a timeout (a request that waited on another has spent some). */
export function timeLeft(req: CacheRequest): number | undefined {
  const timeout = req.config.timeout ?? 0;
  if (!(timeout > 0)) return undefined;
  return Math.max(1, Math.ceil(timeout - req.waited));
}

/** The upstream's answer, addressed to the caller's own config (the adapter saw a copy). */
export function rebind(called: Called, config: InternalAxiosRequestConfig): Called {
  if (called.ok) called.raw.config = config;
  else if (axios.isAxiosError(called.error)) {
    called.error.config = config;
    if (called.error.response) called.error.response.config = config;
  }
  return called;
}

/** A signal that aborts when either does; `unlink` stops listening to the caller's. */
function either(caller: GenericAbortSignal | undefined, ours: AbortSignal): { signal: AbortSignal; unlink(): void } {
  if (!caller) return { signal: ours, unlink: () => undefined };
  const both = new AbortController();
  const abort = (): void => both.abort();
  if (caller.aborted || ours.aborted) both.abort();
  caller.addEventListener?.('abort', abort);
  ours.addEventListener('abort', abort);
  return {
    signal: both.signal,
    unlink: () => {
      caller.removeEventListener?.('abort', abort);
      ours.removeEventListener('abort', abort);
    },
  };
}

/**
 * The config the upstream adapter is given for `req`: a copy, so that what is set here for it never
 * shows on the caller's config, even while the request is out (a second request racing a silent
 * flight can answer its caller from that flight meanwhile). axios's own adapters are asked for bytes;
 * a request that waited on another caller's flight gets only the rest of its timeout; a revalidation
 * carries the entry's validators and accepts a 304; `signal` (a race's abort) joins the request's.
 * The answer is addressed back to the caller's config by rebind().
 */
export function adapterConfig(
  req: CacheRequest,
  signal: AbortSignal | undefined,
): { config: InternalAxiosRequestConfig; unlink(): void } {
  const config: InternalAxiosRequestConfig = Object.assign(
    Object.create(Object.getPrototypeOf(req.config) as object | null) as InternalAxiosRequestConfig,
    req.config,
  );
  const { timeout, timeoutErrorMessage } = config;
  const left = timeLeft(req);
  if (req.kind !== 'other') config.responseType = 'arraybuffer';
  if (left !== undefined && left < (timeout ?? 0)) {
    config.timeout = left;
    config.timeoutErrorMessage = timeoutErrorMessage ?? `timeout of ${timeout}ms exceeded`;
  }
  if (req.validating) withValidators(config, req.validating);
  if (!signal) return { config, unlink: () => undefined };
  const abort = either(config.signal, signal);
  config.signal = abort.signal;
  return { config, unlink: abort.unlink };
}
