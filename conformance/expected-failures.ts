/**
 * Tests of the HTTP cache test suite that fail on purpose, per preset: test id -> why.
 *
 * `npm run conformance` marks each failure (⛔️ required, ⚠️ optional) as listed here or as
 * unexpected, and names the listed tests that no longer fail (remove them). A reason says which
 * design decision the test runs into, not what the test checks (the suite says that: its
 * tests/*.mjs, or `npm run conformance -- --defaults --id <test-id>` for one test's exchange).
 */

// What `attachStaleCache(instance)` does by design (README: How it works; lib/http/rules.ts).
const TTL =
  'every cacheable answer is kept for the fixed `ttl` (5 s); Cache-Control max-age, s-maxage, no-cache, must-revalidate, proxy-revalidate and Expires are not read (only no-store and private are)';
const EVERY_2XX =
  'every 2xx but 206 is cacheable (the default isCacheable), for `ttl`: there is no heuristic-freshness rule to leave out 201 and 202';
const NO_AUTO_INVALIDATION =
  'an unsafe method does not invalidate anything: entries go when their ttl ends or by cache.invalidate()';
const NO_SURROGATE_CONTROL = 'Surrogate-Control is not read (Cache-Control no-store is)';
const ONLY_2XX =
  'only 2xx answers are stored: a 3xx or 4xx passes through, a 5xx is an upstream failure (answered from the stale tier when it holds an entry)';
const METHODS = 'only GET and HEAD are cached (`methods`)';
const VARY_EXACT = 'a variant matches when the varied request headers are equal byte for byte; they are not normalised';
const CONDITIONAL_BYPASS =
  'a request with a precondition (If-None-Match, If-Modified-Since, ...) bypasses the cache (reason `conditional`): it goes upstream and is answered by the origin';
const NO_REVALIDATION =
  'no revalidation: a stored answer is served for the fixed `ttl` (Expires not read), then fetched again without validators';
const RANGE_BYPASS = 'a Range request bypasses the cache (reason `range`) and a 206 is never stored';
const CREDENTIALS =
  'a request carrying credentials (Authorization, Cookie) bypasses the cache unless the header is in `vary`, whatever public or s-maxage say';
const SET_COOKIE = 'an answer with Set-Cookie is not stored (`storeSetCookie: false`)';

export const EXPECTED_FAILURES: Record<string, Record<string, string>> = {
  /** `attachStaleCache(instance)`: a TTL cache that reads no freshness information. */
  defaults: {
    'cc-resp-no-cache': TTL,
    'stale-close-must-revalidate': TTL,
    'stale-close-proxy-revalidate': TTL,
    'stale-close-no-cache': TTL,
    'stale-close-s-maxage=2': TTL,
    'heuristic-201-not_cached': EVERY_2XX,
    'heuristic-202-not_cached': EVERY_2XX,
    'heuristic-404-cached': ONLY_2XX,
    'heuristic-405-cached': ONLY_2XX,
    'heuristic-410-cached': ONLY_2XX,
    'heuristic-414-cached': ONLY_2XX,
    'heuristic-501-cached': ONLY_2XX,
    'heuristic-599-cached': ONLY_2XX,
    'method-POST': METHODS,
    'status-200-stale': TTL,
    'status-203-stale': TTL,
    'status-204-stale': TTL,
    'status-299-stale': TTL,
    'status-301-fresh': ONLY_2XX,
    'status-302-fresh': ONLY_2XX,
    'status-303-fresh': ONLY_2XX,
    'status-307-fresh': ONLY_2XX,
    'status-308-fresh': ONLY_2XX,
    'status-400-fresh': ONLY_2XX,
    'status-404-fresh': ONLY_2XX,
    'status-410-fresh': ONLY_2XX,
    'status-499-fresh': ONLY_2XX,
    'status-500-fresh': ONLY_2XX,
    'status-502-fresh': ONLY_2XX,
    'status-503-fresh': ONLY_2XX,
    'status-504-fresh': ONLY_2XX,
    'status-599-fresh': ONLY_2XX,
    'vary-normalise-lang-order': VARY_EXACT,
    'vary-normalise-lang-case': VARY_EXACT,
    'vary-normalise-lang-space': VARY_EXACT,
    'vary-normalise-lang-select': VARY_EXACT,
    'vary-normalise-space': VARY_EXACT,
    'conditional-lm-fresh': CONDITIONAL_BYPASS,
    'conditional-lm-fresh-earlier': CONDITIONAL_BYPASS,
    'conditional-etag-strong-respond': CONDITIONAL_BYPASS,
    'conditional-etag-weak-respond': CONDITIONAL_BYPASS,
    'conditional-etag-strong-generate': NO_REVALIDATION,
    'conditional-etag-weak-generate-weak': NO_REVALIDATION,
    'invalidate-POST': NO_AUTO_INVALIDATION,
    'invalidate-PUT': NO_AUTO_INVALIDATION,
    'invalidate-DELETE': NO_AUTO_INVALIDATION,
    'invalidate-M-SEARCH': NO_AUTO_INVALIDATION,
    'invalidate-POST-location': NO_AUTO_INVALIDATION,
    'invalidate-PUT-location': NO_AUTO_INVALIDATION,
    'invalidate-DELETE-location': NO_AUTO_INVALIDATION,
    'invalidate-M-SEARCH-location': NO_AUTO_INVALIDATION,
    'invalidate-POST-cl': NO_AUTO_INVALIDATION,
    'invalidate-PUT-cl': NO_AUTO_INVALIDATION,
    'invalidate-DELETE-cl': NO_AUTO_INVALIDATION,
    'invalidate-M-SEARCH-cl': NO_AUTO_INVALIDATION,
    'partial-store-partial-reuse-partial': RANGE_BYPASS,
    'partial-store-complete-reuse-partial': RANGE_BYPASS,
    'partial-store-complete-reuse-partial-no-last': RANGE_BYPASS,
    'partial-store-complete-reuse-partial-suffix': RANGE_BYPASS,
    'partial-store-partial-reuse-partial-byterange': RANGE_BYPASS,
    'partial-store-partial-reuse-partial-absent': RANGE_BYPASS,
    'partial-store-partial-reuse-partial-suffix': RANGE_BYPASS,
    'partial-store-partial-complete': RANGE_BYPASS,
    'other-authorization-public': CREDENTIALS,
    'other-authorization-must-revalidate': CREDENTIALS,
    'other-authorization-smaxage': CREDENTIALS,
    'other-set-cookie': SET_COOKIE,
    'other-cookie': CREDENTIALS,
    'surrogate-no-store': NO_SURROGATE_CONTROL,
    'surrogate-fresh-cc-nostore': NO_SURROGATE_CONTROL,
  },
  /** `{ cacheControl: true, conditional: true }`: to be filled once the library accepts these options. */
  rfc9111: {},
};
