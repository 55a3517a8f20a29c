import axios, { type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { BypassReason, UpstreamFailure } from './types.js';

/** True when a Cache-Control value holds `directive` (case-insensitive, with or without `=value`). */
export function hasDirective(header: unknown, directive: string): boolean {
  if (header === undefined || header === null) return false;
  const text = Array.isArray(header) ? header.join(',') : String(header);
  if (text.length < directive.length) return false;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if ((eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase() === directive) return true;
  }
  return false;
}

/** Default `isCacheable`: a 2xx answer its server does not forbid a shared cache to keep. */
export function isCacheableResponse(response: AxiosResponse): boolean {
  return cacheableBy(response.status, readHeader(response.headers, 'cache-control'));
}

/** The default rule on a status and a Cache-Control value. */
export function cacheableBy(status: number, cacheControl: unknown): boolean {
  if (status < 200 || status > 299) return false;
  return !hasDirective(cacheControl, 'no-store') && !hasDirective(cacheControl, 'private');
}

/** Private and no-store answers belong to one caller: coalesced waiters must ask for their own. */
export function isShareable(headers: unknown): boolean {
  const cc = readHeader(headers, 'cache-control');
  return !hasDirective(cc, 'private') && !hasDirective(cc, 'no-store');
}

/** Default `staleIf`: the upstream is down or broken, not merely saying no. */
export function isStaleWorthy(failure: UpstreamFailure): boolean {
  switch (failure.cause) {
    case 'network':
    case 'timeout':
    case 'bad-response':
      return true;
    case 'status':
      return (failure.status ?? 0) >= 500;
    default:
      return false;
  }
}

// Codes that report a mistake in the request itself: serving stale would hide the bug.
const CALLER_ERRORS = new Set([
  'ERR_BAD_OPTION_VALUE', 'ERR_BAD_OPTION', 'ERR_DEPRECATED', 'ERR_NOT_SUPPORT', 'ERR_INVALID_URL',
  'ERR_FORM_DATA_DEPTH_EXCEEDED', 'ERR_FR_TOO_MANY_REDIRECTS',
]);

function refusedStatus(validate: ((status: number) => boolean) | null | undefined, status: number): boolean {
  if (!validate) return false;
  try {
    return !validate(status);
  } catch {
    return true;
  }
}

/**
 * What kind of failure an adapter rejection is; `undefined` for a cancellation, which is the
 * caller's own doing and must reach it unchanged.
 */
export function classifyRejection(error: unknown): UpstreamFailure | undefined {
  if (axios.isCancel(error)) return undefined;
  if (!axios.isAxiosError(error)) return { cause: 'other', error };
  const code = error.code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return { cause: 'timeout', error };
  const status = error.response?.status;
  // A status the caller's validateStatus refused, as axios's settle() (and any mock) rejects it.
  if (status !== undefined && refusedStatus(error.config?.validateStatus, status)) return { cause: 'status', status, error };
  if (code === 'ERR_BAD_RESPONSE') return status === undefined ? { cause: 'bad-response', error } : { cause: 'bad-response', status, error };
  if (code !== undefined && CALLER_ERRORS.has(code)) return { cause: 'other', error };
  // Refused, reset, DNS, socket hang up. (A body cut off mid-stream is ERR_BAD_RESPONSE above.)
  return { cause: 'network', error };
}

/** Case-insensitive read of a header from AxiosHeaders or a plain object. */
export function readHeader(headers: unknown, name: string): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  const h = headers as { get?: unknown } & Record<string, unknown>;
  if (typeof h.get === 'function') return (h.get as (n: string) => unknown).call(headers, name);
  if (name in h) return h[name];
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '';
}

/** The request headers the cache rules look at, read in one pass over the headers. */
export interface HeaderFacts {
  authorization: unknown;
  cookie: unknown;
  cacheControl: unknown;
  pragma: unknown;
}

export function headerFacts(headers: unknown): HeaderFacts {
  const facts: HeaderFacts = { authorization: undefined, cookie: undefined, cacheControl: undefined, pragma: undefined };
  if (headers === null || typeof headers !== 'object') return facts;
  const h = headers as Record<string, unknown>;
  for (const name of Object.keys(h)) {
    switch (name.length) {
      case 6:
        if (name.toLowerCase() === 'cookie') facts.cookie = h[name];
        else if (name.toLowerCase() === 'pragma') facts.pragma = h[name];
        break;
      case 13:
        if (name.toLowerCase() === 'authorization') facts.authorization = h[name];
        else if (name.toLowerCase() === 'cache-control') facts.cacheControl = h[name];
        break;
    }
  }
  return facts;
}

/**
 * Why a request must not touch the cache given its final headers, or undefined. Credentials
 * split users: a request carrying them is only cached when they are part of the key.
 */
export function bypassReason(
  config: InternalAxiosRequestConfig,
  vary: readonly string[],
  facts: HeaderFacts = headerFacts(config.headers),
): BypassReason | undefined {
  if (config.responseType === 'stream') return 'stream';
  // `auth` becomes an Authorization header inside the adapter, out of sight of config.headers.
  const authorized = present(facts.authorization) || present(config.auth);
  if (authorized && !vary.includes('authorization')) return 'credentials';
  if (present(facts.cookie) && !vary.includes('cookie')) return 'credentials';
  if (hasDirective(facts.cacheControl, 'no-store')) return 'no-store';
  return undefined;
}

/** Request `Cache-Control: no-cache` (or `Pragma: no-cache`): skip the primary read, still refresh. */
export function wantsRevalidation(facts: HeaderFacts): boolean {
  return hasDirective(facts.cacheControl, 'no-cache') || hasDirective(facts.pragma, 'no-cache');
}
