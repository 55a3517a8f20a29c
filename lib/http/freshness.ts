/*
 * The one place that decides what an entry may answer: how old it is, whether it is fresh, may be
 * answered while it is refreshed, must be revalidated first, or may be a stale answer, for this
 * request now. Every path that answers from an entry asks here (a hit, stale-while-revalidate, a
 * backoff marker, a stale answer after a failure or a soft timeout, a coalesced waiter taking
 * another's stale answer), and the store TTLs an entry is written with follow from the same facts.
 *
 * An entry carries its own freshness, recorded when it was written (by the seed's options, or from
 * the response's Cache-Control with `cacheControl: true`, see cache-control.ts); the store's TTL only
 * bounds storage (a store may keep an entry longer than a request allows, and an entry written with
 * a longer ttl is read by requests that ask for a shorter one). Pure: no I/O, the time is an argument.
 */

import type { Headers } from '../entry/codec.js';
import { serverFreshness } from './cache-control.js';
import { hasDirective } from './rules.js';

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** What an entry records of its own freshness when it is written. */
export interface Freshness {
  /** Epoch ms at which it was stored. */
  storedAt: number;
  /** Milliseconds after storedAt it is fresh for (its primary ttl, or the server's lifetime less its Age). */
  ttl: number;
  /** The lifetime is the server's (Cache-Control, Expires): a request's `ttl` does not shorten it. */
  explicit?: boolean;
  /** The server's stale-while-revalidate, ms after freshness (it replaces the request's window). */
  swr?: number;
  /** The server's stale-if-error, ms after freshness: how long it may answer a failure. */
  sie?: number;
  /** must-revalidate, proxy-revalidate or s-maxage: never a stale answer past freshness, unless `sie`. */
  mustRevalidate?: boolean;
  /** no-cache: stored, but never answered without revalidation. */
  noCache?: boolean;
  /** A backoff marker (flow/backoff.ts): answered stale until this epoch ms. */
  until?: number;
}

/** An entry as this module judges it: its freshness, its status and its headers (for validators). */
export type Stored = Freshness & { status: number; headers: Headers };

// The statuses the seed's options keep (http/rules.ts cacheableBy): any other was kept by cacheControl.
const SEED_STATUSES = new Set([200, 203, 204]);

/** What a request asks of freshness: its policy. */
export interface Asked {
  ttl: number;
  staleTtl: number;
  staleWhileRevalidate: number;
  failureBackoff: number;
  /** Fraction of the freshness after which a hit starts a background refresh; 0 never. */
  refreshAhead: number;
  /** Freshness from the response's Cache-Control (cache-control.ts). */
  cacheControl: boolean;
  /** An expired entry with validators is revalidated with a conditional request. */
  conditional: boolean;
}

/** The request's own Cache-Control (RFC 9111 §5.2.1), and Pragma: no-cache. */
export interface Directives {
  noCache: boolean;
  onlyIfCached: boolean;
  /** Seconds. */
  maxAge?: number;
  minFresh?: number;
  /** Seconds; Infinity for a bare `max-stale` (any staleness). */
  maxStale?: number;
}

export const NO_DIRECTIVES: Directives = Object.freeze({ noCache: false, onlyIfCached: false });

function hasDirectives(d: Directives): boolean {
  return (
    d !== NO_DIRECTIVES &&
    (d.noCache || d.onlyIfCached || d.maxAge !== undefined || d.minFresh !== undefined || d.maxStale !== undefined)
  );
}

/**
 * How far a writer's clock may run ahead of this process's (clocks of a fleet differ by a little)
 * before an entry stored "in the future" is taken for what it is: written before this clock stepped
 * back, or by a writer whose clock is wrong. Such an entry is never fresh: its age is unknown.
 */
export const CLOCK_SKEW_MS = 1_000;

/** Milliseconds since the entry was stored, never below 0 (a writer's clock a little ahead). */
export function ageOf(entry: Pick<Freshness, 'storedAt'>, now: number): number {
  return Math.max(0, now - entry.storedAt);
}

/** The `Age` an answer from the cache carries (RFC 9111 §5.1): the upstream's Age plus the time stored, in seconds. */
export function ageHeader(entry: Pick<Freshness, 'storedAt'>, upstreamAge: unknown, now: number): string {
  const stored = Math.floor(ageOf(entry, now) / 1000);
  if (upstreamAge === undefined) return String(stored);
  const initial = Number.parseInt(String(upstreamAge), 10);
  return String((Number.isFinite(initial) && initial > 0 ? initial : 0) + stored);
}

/** Milliseconds the entry is fresh for this request: the server's lifetime, or the shorter of both ttls. */
export function lifetime(entry: Freshness, asked: Asked): number {
  if (entry.noCache) return 0;
  return entry.explicit && asked.cacheControl ? entry.ttl : Math.min(asked.ttl, entry.ttl);
}

/** Milliseconds after freshness in which the entry is answered while it is refreshed. */
function revalidatingWindow(entry: Freshness, asked: Asked): number {
  if (entry.swr !== undefined && asked.cacheControl) return entry.swr;
  return entry.mustRevalidate || entry.noCache ? 0 : asked.staleWhileRevalidate;
}

/** The stored answer's validators (ETag, Last-Modified), read from its headers. */
export function validatorsOf(entry: { headers: Headers }): { etag?: string; lastModified?: string } {
  const out: { etag?: string; lastModified?: string } = {};
  const etag = first(entry.headers.etag);
  if (etag) out.etag = etag;
  const lastModified = first(entry.headers['last-modified']);
  if (lastModified) out.lastModified = lastModified;
  return out;
}

export function hasValidators(entry: { headers: Headers }): boolean {
  return entry.headers.etag !== undefined || entry.headers['last-modified'] !== undefined;
}

/**
 * What a primary-tier entry is to this request now:
 * - `fresh`: a hit; `refresh-ahead`: a hit past the refreshAhead fraction of its freshness, which
 *   starts one background refresh;
 * - `revalidating`: answered stale while it is refreshed in the background (stale-while-revalidate);
 * - `max-stale`: answered stale because the request accepts that much staleness;
 * - `backoff`: a backoff marker inside its window (or while this process's probe is out: `probeOut`);
 * - `revalidate`: expired (or no-cache) with validators, and conditional: ask the upstream with them;
 * - `miss`: ask the upstream.
 * An entry from the future is never fresh.
 */
export type Use = 'fresh' | 'refresh-ahead' | 'revalidating' | 'max-stale' | 'backoff' | 'revalidate' | 'miss';

export function evaluate(
  entry: Stored,
  asked: Asked,
  directives: Directives,
  now: number,
  probeOut: () => boolean = () => false,
): Use {
  // An answer kept only by the server's word (an explicitly fresh 404) answers only who takes it.
  if (!SEED_STATUSES.has(entry.status) && !asked.cacheControl) return 'miss';
  const expired = (): Use => (asked.conditional && hasValidators(entry) ? 'revalidate' : 'miss');
  if (entry.until !== undefined) {
    if (directives.noCache || asked.failureBackoff === 0) return expired();
    return (now < entry.until || probeOut()) && mayServeStale(entry, asked, now) ? 'backoff' : expired();
  }
  if (directives.noCache || entry.storedAt > now + CLOCK_SKEW_MS) return expired();
  // ttl 0: the primary tier is read for backoff markers (and validators) only.
  if (asked.ttl === 0 && !(entry.explicit && asked.cacheControl)) return expired();
  const age = ageOf(entry, now);
  const life = lifetime(entry, asked);
  // max-age=0 asks for an answer no older than now: every stored one is (as browsers mean it on reload).
  const maxAge = directives.maxAge === undefined ? Number.POSITIVE_INFINITY : directives.maxAge * 1000 || -1;
  const minFresh = (directives.minFresh ?? 0) * 1000;
  if (age < life && age <= maxAge && life - age >= minFresh) {
    const ahead = asked.refreshAhead;
    // Only a request without directives of its own refreshes ahead: the refresh asks for the resource
    // as anyone would (a max-stale or only-if-cached caller's would ask for, or store, something else).
    return ahead > 0 && age >= life * ahead && !hasDirectives(directives) ? 'refresh-ahead' : 'fresh';
  }
  const { maxStale } = directives;
  if (maxStale !== undefined && age >= life && age <= maxAge && age - life <= maxStale * 1000) {
    if (!entry.mustRevalidate && !entry.noCache) return 'max-stale';
  }
  // A request that bounds the age it takes wants no stale answer it did not ask for.
  const bounded = directives.maxAge !== undefined || directives.minFresh !== undefined || directives.onlyIfCached;
  const window = revalidatingWindow(entry, asked);
  if (!bounded && age >= life && age < life + window && mayServeStale(entry, asked, now, false)) {
    return 'revalidating';
  }
  return expired();
}

/**
 * Whether an entry may be this request's stale answer now, whichever way it leaves (after a failure,
 * a backoff, a soft timeout, a coalesced waiter, while it is refreshed): within this request's
 * staleTtl; and, when the entry keeps the server's word (cacheControl), past its freshness not at all
 * after must-revalidate or no-cache, except `afterError` (a failure, a backoff) while stale-if-error
 * allows, which also bounds every answer after an error. An entry from the future may (it is the
 * newest the cache has, and a stale answer says its age).
 */
export function mayServeStale(
  entry: Freshness,
  asked: Pick<Asked, 'staleTtl'>,
  now: number,
  afterError = true,
): boolean {
  const age = ageOf(entry, now);
  if (!(asked.staleTtl > 0) || age >= asked.staleTtl) return false;
  const past = age - (entry.noCache ? 0 : entry.ttl);
  if (past < 0) return true;
  const forbidden = entry.mustRevalidate || entry.noCache;
  // stale-if-error speaks of errors only: a slow answer or a revalidating window is not one.
  if (entry.sie !== undefined && afterError) return past < entry.sie;
  return !forbidden;
}

/**
 * Milliseconds this entry may still answer a failure from now (Infinity for a stale tier that never
 * expires): what is left of staleTtl, and of the server's stale-if-error. A backoff marker never
 * outlives it.
 */
export function staleLeft(entry: Freshness, asked: Pick<Asked, 'staleTtl'>, now: number): number {
  let left = entry.storedAt + asked.staleTtl - now;
  if (entry.sie !== undefined)
    left = Math.min(left, entry.storedAt + (entry.noCache ? 0 : entry.ttl) + entry.sie - now);
  return left;
}

/**
 * How long each tier keeps an entry, from its own freshness and the writer's policy (0: not written).
 * The primary tier keeps it while a request may answer from it: fresh, then its revalidating window;
 * an entry with validators, when conditional is on, longer (twice its freshness, a minute at least),
 * so that the request after it expired can revalidate it instead of downloading it again. The stale
 * tier keeps it for staleTtl, cut to what the server's stale-if-error allows, and not at all when
 * the server forbids every stale answer, or for an error or a redirect the server let the cache keep.
 */
export function storeTtls(entry: Stored, asked: Asked): { primary: number; stale: number } {
  const life = lifetime(entry, asked);
  let primary = life > 0 ? life + revalidatingWindow(entry, asked) : 0;
  if (asked.conditional && hasValidators(entry)) primary = Math.max(primary, 2 * life, life + 60_000);
  let stale = asked.staleTtl;
  const past = entry.noCache ? 0 : entry.ttl;
  if (entry.sie !== undefined) stale = Math.min(stale, past + entry.sie);
  else if (entry.mustRevalidate || entry.noCache) stale = 0;
  if (entry.status >= 300) stale = 0; // the stale tier keeps the last good answer: no error, no redirect
  return { primary, stale: Math.max(stale, 0) };
}

/**
 * Whether the primary tier is read at all: not for a request that will not take its answer (no-cache,
 * unless validators may come from it) nor for one with ttl 0 and nothing else to find there.
 */
export function readsPrimary(asked: Asked, directives: Directives): boolean {
  if (directives.noCache) return asked.conditional;
  return asked.ttl > 0 || asked.failureBackoff > 0 || asked.cacheControl || asked.conditional;
}

/**
 * What an answer's entry records of its freshness, by the writer's policy: the seed's (its `ttl`),
 * or the server's (`cacheControl`, see cache-control.ts). Its validators stay in its headers.
 */
export function freshnessOf(
  asked: Asked,
  request: { method: string; url: string },
  response: { status: number; headers: Headers },
): Omit<Freshness, 'storedAt'> {
  return asked.cacheControl ? serverFreshness(request, response, asked.ttl) : { ttl: asked.ttl };
}

/** Reads a request's Cache-Control and Pragma values into its directives. */
export function requestDirectives(cacheControl: unknown, pragma: unknown): Directives {
  const noCachePragma = hasDirective(pragma, 'no-cache');
  if (cacheControl === undefined || cacheControl === null || cacheControl === '') {
    return noCachePragma ? { noCache: true, onlyIfCached: false } : NO_DIRECTIVES;
  }
  const out: Directives = { noCache: noCachePragma, onlyIfCached: false };
  const text = Array.isArray(cacheControl) ? cacheControl.join(',') : String(cacheControl);
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? undefined : seconds(part.slice(eq + 1));
    switch (name) {
      case 'no-cache':
        out.noCache = true;
        break;
      case 'only-if-cached':
        out.onlyIfCached = true;
        break;
      case 'max-age':
        if (value !== undefined) out.maxAge = Math.min(out.maxAge ?? value, value);
        break;
      case 'min-fresh':
        if (value !== undefined) out.minFresh = Math.max(out.minFresh ?? value, value);
        break;
      case 'max-stale':
        out.maxStale = eq === -1 ? Number.POSITIVE_INFINITY : (value ?? 0);
        break;
    }
  }
  return out;
}

/** A delta-seconds value (RFC 9111 §1.2.2), quoted or not; undefined when it is not one. */
function seconds(raw: string): number | undefined {
  const text = raw.trim().replace(/^"(.*)"$/, '$1');
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
