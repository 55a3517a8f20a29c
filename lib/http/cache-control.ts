import CachePolicy from 'http-cache-semantics';
import type { Headers } from '../entry/codec.js';
import type { Freshness } from './freshness.js';

/*
 * `cacheControl: true`: an answer's freshness as its server gives it (RFC 9111 §4.2, §5.2.2), read by
 * http-cache-semantics' CachePolicy, the library npm's own cache is built on, as a shared cache. What
 * the entry keeps of it is the small record http/freshness.ts judges by; never the policy object,
 * whose serialisation keeps the request's headers (credentials included) when the answer has Vary.
 */

/** A header value as CachePolicy reads it: one string (list headers joined), or the array Set-Cookie is. */
function plain(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = Array.isArray(value) && name !== 'set-cookie' ? value.join(', ') : value;
  }
  return out;
}

function deltaSeconds(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Number(value) * 1000;
}

/**
 * The freshness record of an answer, from its status and headers (names lower-cased), received now.
 * Freshness: s-maxage, max-age or Expires (against Date), less the Age it arrived with. Without any
 * of them, the heuristic RFC 9111 §4.2.2 allows: a tenth of the time since Last-Modified, at most
 * `heuristicCap` (the instance's ttl); and none without Last-Modified: such an answer is stored for
 * the stale tier (and revalidation), never a hit. A server that says nothing of freshness is usually
 * dynamic; and a cache that invents freshness for it cannot be told apart from one that ignores the
 * server (the HTTP cache test suite runs most of its tests only on caches that do not).
 */
export function serverFreshness(
  request: { method: string; url: string },
  response: { status: number; headers: Headers },
  heuristicCap: number,
): Omit<Freshness, 'storedAt'> {
  const headers = plain(response.headers);
  const given = headers['cache-control'];
  if (typeof given === 'string') {
    // Directive names are case-insensitive (RFC 9111 §5.2); CachePolicy reads them as written.
    // CachePolicy takes proxy-revalidate for "never fresh"; RFC 9111 §5.2.2.8 makes it must-revalidate
    // for a shared cache, which is how it is recorded below.
    headers['cache-control'] = given.toLowerCase().replace(/proxy-revalidate/g, 'must-revalidate');
  }
  // Which statuses are kept is decided in http/rules.ts cacheableBy (an explicitly fresh 404 or 299
  // included); CachePolicy, which knows fewer, is asked only how long: for a status it understands.
  const policy = new CachePolicy(
    { method: request.method.toUpperCase(), url: request.url, headers: {} },
    { status: 200, headers: headers as Record<string, string> },
    { shared: true, immutableMinTimeToLive: 0 },
  );
  const cc = policy.toObject().rescc as Record<string, string | true>;
  const explicit = cc['s-maxage'] !== undefined || cc['max-age'] !== undefined || headers.expires !== undefined;
  // An Age that is not one delta-seconds value (two values, a sign, a fraction) is no age the cache
  // can trust: the answer is taken as stale (RFC 9111 §5.1 leaves it to the cache; the test suite asks this).
  const age = headers.age;
  const trusted = age === undefined || (typeof age === 'string' && /^\d+$/.test(age.trim()));
  const lifetime = trusted ? Math.max(0, Math.round((policy.maxAge() - policy.age()) * 1000)) : 0;
  const record: Omit<Freshness, 'storedAt'> = explicit
    ? { ttl: lifetime, explicit: true }
    : { ttl: Math.min(lifetime, heuristicCap) };
  if (cc['no-cache'] !== undefined) record.noCache = true;
  // s-maxage: "a shared cache MUST NOT serve it stale" as must-revalidate says (RFC 9111 §5.2.2.10).
  if (cc['must-revalidate'] || cc['s-maxage'] !== undefined) record.mustRevalidate = true;
  const swr = deltaSeconds(cc['stale-while-revalidate']);
  if (swr !== undefined) record.swr = swr;
  const sie = deltaSeconds(cc['stale-if-error']);
  if (sie !== undefined) record.sie = sie;
  return record;
}
