import axios, { type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { BypassReason, UpstreamFailure } from '../types.js';
import { proxyAuth } from './route.js';

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

/**
 * `Surrogate-Control: no-store` (targeted or not). Surrogate-Control speaks to the origin's own caches
 * (a CDN): with cacheControl its no-store is kept (a cache nearer the client does not keep what the
 * origin's own may not); its freshness is not this cache's.
 */
export function surrogateNoStore(headers: unknown): boolean {
  const value = readHeader(headers, 'surrogate-control');
  return value !== undefined && value !== null && hasDirective(String(value).replace(/;[^,]*/g, ''), 'no-store');
}

/**
 * Default `isCacheable`: a success whose status is cacheable by default (RFC 9110 §15.1: 200, 203,
 * 204; not 201 or 202, which report an action, nor a 206 part), that its server does not forbid a
 * shared cache to keep.
 */
export function isCacheableResponse(response: AxiosResponse): boolean {
  return cacheableBy(response.status, readHeader(response.headers, 'cache-control'));
}

const CACHEABLE_SUCCESS = new Set([200, 203, 204]);
// Cacheable by default (RFC 9110 §15.1): may be given heuristic freshness.
const CACHEABLE_BY_DEFAULT = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/**
 * How an answer got its freshness: `seed` (the instance's ttl: successes only), `heuristic`
 * (cacheControl without explicit freshness: statuses cacheable by default) or `explicit` (the
 * server's max-age, s-maxage or Expires: any final status).
 */
export type Freshened = 'seed' | 'heuristic' | 'explicit';

/**
 * The default rule on a status and a Cache-Control value. Never a 206 part, nor a server error:
 * a 5xx is a reason to answer from the stale tier, never an answer to keep.
 */
export function cacheableBy(status: number, cacheControl: unknown, how: Freshened = 'seed'): boolean {
  const allowed =
    how === 'seed'
      ? CACHEABLE_SUCCESS.has(status)
      : how === 'heuristic'
        ? CACHEABLE_BY_DEFAULT.has(status)
        : status >= 200 && status < 500 && status !== 206;
  if (!allowed || status >= 500) return false;
  return !hasDirective(cacheControl, 'no-store') && !hasDirective(cacheControl, 'private');
}

/**
 * The response's `Vary` header names, lower-cased, sorted and unique; '*' when it varies on
 * anything (never answered from the cache); undefined without one.
 */
export function responseVary(headers: unknown): readonly string[] | '*' | undefined {
  const value = readHeader(headers, 'vary');
  if (value === undefined || value === null || value === '' || value === false) return undefined;
  const names = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : String(value)).split(',')) {
    const name = part.trim().toLowerCase();
    if (name === '*') return '*';
    if (name !== '') names.add(name);
  }
  return names.size === 0 ? undefined : [...names].sort();
}

/**
 * Whether an answer may be handed to anyone but the caller who asked: not private or no-store,
 * not `Vary: *`, and (unless `storeSetCookie`) without a cookie, which binds it to one session.
 * Such answers are neither stored nor shared with coalesced waiters.
 */
export function isShareable(headers: unknown, storeSetCookie: boolean): boolean {
  const cc = readHeader(headers, 'cache-control');
  if (hasDirective(cc, 'private') || hasDirective(cc, 'no-store')) return false;
  if (responseVary(headers) === '*') return false;
  return storeSetCookie || !present(readHeader(headers, 'set-cookie'));
}

/** Default `staleIf`: the upstream is down or broken, not merely saying no. */
export function isStaleWorthy(failure: UpstreamFailure): boolean {
  switch (failure.cause) {
    case 'network':
    case 'timeout':
    case 'bad-response':
      return true;
    case 'status': {
      // A server error, not a status outside HTTP's classes (a test origin's 999 says "wrong request").
      const status = failure.status ?? 0;
      return status >= 500 && status <= 599;
    }
    default:
      return false;
  }
}

// Codes that report a mistake in the request itself: serving stale would hide the bug.
const CALLER_ERRORS = new Set([
  'ERR_BAD_OPTION_VALUE',
  'ERR_BAD_OPTION',
  'ERR_DEPRECATED',
  'ERR_NOT_SUPPORT',
  'ERR_INVALID_URL',
  'ERR_FORM_DATA_DEPTH_EXCEEDED',
  'ERR_FR_TOO_MANY_REDIRECTS',
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
  if (status !== undefined && refusedStatus(error.config?.validateStatus, status))
    return { cause: 'status', status, error };
  if (code === 'ERR_BAD_RESPONSE')
    return status === undefined ? { cause: 'bad-response', error } : { cause: 'bad-response', status, error };
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

/**
 * Headers that identify a caller, by exact name: a request carrying one is cached only when the
 * header is in `vary` (then each value gets entries of its own). Beyond the standard three, API-key
 * and session-token headers in wide use. DEFAULT_CREDENTIAL_PATTERN catches the ones this list misses.
 */
export const DEFAULT_CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
  'api-key',
  'apikey', // Kong, Supabase
  'x-auth-token',
  'x-access-token',
  'x-csrf-token',
  'x-csrftoken', // Django
  'x-xsrf-token',
  'private-token', // GitLab
  'x-goog-api-key',
  'ocp-apim-subscription-key', // Azure API Management
  'x-vault-token',
  'x-amz-security-token',
  'x-session-token',
];

/**
 * Header names that look like a credential: a list of names will always trail the APIs in use, and a
 * missed credential hands one user's answer to another, while an extra match only costs a miss (a
 * bypass, its reason `credentials`). A header it catches that is the same for every caller can go in
 * `vary` (one variant); one that is not a credential at all, by replacing `credentialHeaders`.
 */
export const DEFAULT_CREDENTIAL_PATTERN: RegExp =
  /auth|token|secret|passw|credential|session|cookie|csrf|xsrf|signature|jwt|apikey|(?:^|[-_])(?:api[-_]?)?key(?:$|[-_])/i;

/** Whether a lower-cased header name identifies a caller, by the names and patterns of `credentialHeaders`. */
export type CredentialMatcher = (lowerName: string) => boolean;

const MAX_REMEMBERED_NAMES = 1_000;

export function credentialMatcher(list: ReadonlyArray<string | RegExp>): CredentialMatcher {
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  for (const item of list) {
    if (typeof item === 'string') names.add(item.toLowerCase());
    else patterns.push(new RegExp(item.source, item.flags.replace(/[gy]/g, ''))); // no lastIndex state
  }
  if (patterns.length === 0) return (name) => names.has(name);
  // Header names repeat: each is tested against the patterns once.
  const seen = new Map<string, boolean>();
  return (name) => {
    if (names.has(name)) return true;
    let match = seen.get(name);
    if (match === undefined) {
      match = patterns.some((p) => p.test(name));
      if (seen.size >= MAX_REMEMBERED_NAMES) seen.clear();
      seen.set(name, match);
    }
    return match;
  };
}

const DEFAULT_MATCHER = credentialMatcher([...DEFAULT_CREDENTIAL_HEADERS, DEFAULT_CREDENTIAL_PATTERN]);

// Preconditions: the answer (a 412, a part) is for this caller's copy, not the resource. If-None-Match
// and If-Modified-Since are a cache validating its copy: answered from a fresh entry (http/validators.ts).
const PRECONDITIONS = new Set(['if-match', 'if-unmodified-since', 'if-range']);

// Headers that make a GET do something else on servers that honour them.
export const METHOD_OVERRIDE_HEADERS: readonly string[] = [
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
];
const METHOD_OVERRIDES = new Set(METHOD_OVERRIDE_HEADERS);

/** The request headers the cache rules look at, read in one pass over the headers. */
export interface HeaderFacts {
  cacheControl: unknown;
  pragma: unknown;
  range: unknown;
  host: unknown;
  contentType: unknown;
  contentEncoding: unknown;
  methodOverride: boolean;
  /** A precondition (If-Match, If-Unmodified-Since, If-Range). */
  conditional: boolean;
  /** The caller's own validators, a cache's (If-None-Match, If-Modified-Since). */
  ifNoneMatch: unknown;
  ifModifiedSince: unknown;
  /** Lower-cased names of the credential headers the request carries. */
  credentials: string[];
}

export function headerFacts(headers: unknown, isCredential: CredentialMatcher = DEFAULT_MATCHER): HeaderFacts {
  const facts: HeaderFacts = {
    cacheControl: undefined,
    pragma: undefined,
    range: undefined,
    host: undefined,
    contentType: undefined,
    contentEncoding: undefined,
    methodOverride: false,
    conditional: false,
    ifNoneMatch: undefined,
    ifModifiedSince: undefined,
    credentials: [],
  };
  if (headers === null || typeof headers !== 'object') return facts;
  const h = headers as Record<string, unknown>;
  for (const name of Object.keys(h)) {
    const value = h[name];
    // AxiosHeaders methods are on its prototype; plain objects may hold anything
    if (typeof value === 'function') continue;
    const lower = name.toLowerCase();
    if (isCredential(lower)) {
      if (present(value)) facts.credentials.push(lower);
      continue;
    }
    switch (lower) {
      case 'cache-control':
        facts.cacheControl = value;
        break;
      case 'pragma':
        facts.pragma = value;
        break;
      case 'range':
        facts.range = value;
        break;
      case 'host':
        facts.host = value;
        break;
      case 'content-type':
        facts.contentType = value;
        break;
      case 'content-encoding':
        facts.contentEncoding = value;
        break;
      case 'if-none-match':
        if (present(value)) facts.ifNoneMatch = value;
        break;
      case 'if-modified-since':
        if (present(value)) facts.ifModifiedSince = value;
        break;
      default:
        if (METHOD_OVERRIDES.has(lower) && present(value)) facts.methodOverride = true;
        else if (PRECONDITIONS.has(lower) && present(value)) facts.conditional = true;
    }
  }
  return facts;
}

type Credentialed = Pick<InternalAxiosRequestConfig, 'auth' | 'proxy'>;

/**
 * Credentials the request sends: its credential headers, `auth` or URL user info, and the credentials
 * of a proxy set on the request, in any form axios takes (see proxyAuth).
 */
export function credentialsSent(config: Credentialed, facts: HeaderFacts, urlHasUserinfo: boolean): string[] {
  const names = facts.credentials;
  if ((present(config.auth) || urlHasUserinfo) && !names.includes('authorization')) names.push('authorization');
  if (proxyAuth(config.proxy) !== undefined && !names.includes('proxy-authorization')) {
    names.push('proxy-authorization');
  }
  return names;
}

// What axios's adapters can hand over as a body that the cache can rebuild from bytes.
const RESPONSE_TYPES = new Set(['', 'json', 'text', 'arraybuffer', 'blob', 'document']);

/**
 * Why a request must not touch the cache given its final headers, or undefined. Credentials
 * split users: a request carrying them is only cached when they are part of the key.
 */
export function bypassReason(
  config: InternalAxiosRequestConfig,
  vary: readonly string[],
  facts: HeaderFacts,
  credentials: readonly string[],
): BypassReason | undefined {
  const responseType = config.responseType ?? '';
  if (responseType === 'stream') return 'stream';
  if (!RESPONSE_TYPES.has(String(responseType).toLowerCase())) return 'response-type';
  if (facts.methodOverride) return 'method';
  for (const name of credentials) if (!vary.includes(name)) return 'credentials';
  if (present(facts.range)) return 'range';
  if (facts.conditional) return 'conditional';
  if (hasDirective(facts.cacheControl, 'no-store')) return 'no-store';
  return undefined;
}
