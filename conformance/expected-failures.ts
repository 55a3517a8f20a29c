/**
 * The tests of the HTTP cache test suite that do not pass on purpose, per preset: test id -> why.
 *
 * Every test that fails (⛔️ required, ⚠️ optional) or does not run on its own (🔹 a failed setup
 * step, ↻ a retry, ⁉️) in a fresh run of the preset is listed, with the design decision it runs
 * into (not what the test checks: the suite says that, in its tests/*.mjs, or
 * `npm run conformance -- --id <test-id>` prints one test's exchange). A test that did not run
 * because a test it depends on did not pass (⚪️) needs no entry: its dependency has one, or is a
 * `check` that answered N.
 *
 * `npm run conformance` reads a failure or a 🔹 that is not here as unexpected (`--strict` then
 * exits 1); a listed test that passes is only reported (remove it).
 *
 * `UNCLASSIFIED` holds what fails for none of the reasons below: the observed behaviour, with no
 * reason recorded yet. The runner prints those on every run and does not count them as unexpected.
 */

/** `{ [id]: why }` for each id. */
function group(why: string, ids: readonly string[]): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, why]));
}

// --- both presets -------------------------------------------------------------------------------

const AGE_NOT_ONE_VALUE =
  'age-parse-prefix: an Age that is not one delta-seconds value is not trusted (the answer is stale). The suite' +
  ' wants "0,7200" read as 0 here but "0, 0" as stale (age-parse-dup-0); one consistent rule, which passes' +
  ' age-parse-dup-0, -dup-old and -nonnumeric (every published cache fails them) and -negative (only Fastly and' +
  ' Firefox pass it)';

const AGE_TWO_LINES =
  "age-parse-*-twoline: Node's HTTP parser keeps the first of duplicate Age lines (Age: 0); the cache never" +
  ' sees the second';

const STALE_CLOSE =
  'stale-close-*: on a closed connection the cache answers the error (502 through the harness), as Apache' +
  ' does; the suite reads any answer without the origin\'s headers as "from the cache", so every cache that' +
  ' serves stale on a closed connection (stale-close passes) fails these (every published shared cache with a' +
  ' result fails all four)';

const SURROGATE =
  "surrogate-*: Surrogate-Control speaks to the origin's own caches (a CDN); the library honours its no-store" +
  ' but takes no freshness from it (max-age, targets)';

const SERVER_ERROR =
  'status-5xx / heuristic-5xx: a 5xx is a reason to answer from the stale tier, never an answer to keep';

const RANGE = 'partial-*: range requests bypass the cache (a 206 is never stored)';

const VARY_EXACT =
  'vary-normalise-*: varied request headers match on the exact bytes sent (a server may read two spellings' +
  ' differently)';

const CREDENTIALS =
  'other-authorization-* / other-cookie: a request with credentials (Authorization, Cookie) is shared only when' +
  ' the header is in `vary`, whatever public or s-maxage say';

const SET_COOKIE = 'other-set-cookie: answers with Set-Cookie are not stored unless `storeSetCookie`';

const POST = 'method-POST: POST is cached only when listed in `methods` (then keyed by its body)';

const CONTENT_LENGTH =
  "Content-Length: Node's HTTP parser rejects a body longer than its Content-Length (the harness answers 502)";

/** The same in both presets. */
const COMMON: Record<string, string> = {
  ...group(SERVER_ERROR, [
    'heuristic-501-cached',
    'heuristic-599-cached',
    'status-500-fresh',
    'status-502-fresh',
    'status-503-fresh',
    'status-504-fresh',
    'status-599-fresh',
  ]),
  ...group(RANGE, [
    'partial-store-partial-reuse-partial',
    'partial-store-complete-reuse-partial',
    'partial-store-complete-reuse-partial-no-last',
    'partial-store-complete-reuse-partial-suffix',
    'partial-store-partial-reuse-partial-byterange',
    'partial-store-partial-reuse-partial-absent',
    'partial-store-partial-reuse-partial-suffix',
    'partial-store-partial-complete',
  ]),
  ...group(VARY_EXACT, [
    'vary-normalise-lang-order',
    'vary-normalise-lang-case',
    'vary-normalise-lang-space',
    'vary-normalise-lang-select',
    'vary-normalise-space',
  ]),
  ...group(CREDENTIALS, [
    'other-authorization-public',
    'other-authorization-must-revalidate',
    'other-authorization-smaxage',
    'other-cookie',
  ]),
  // headers-store-Set-Cookie: its setup expects the answer from the cache.
  ...group(SET_COOKIE, ['other-set-cookie', 'headers-store-Set-Cookie']),
  ...group(POST, ['method-POST']),
  ...group(CONTENT_LENGTH, ['headers-store-Content-Length']),
  // Surrogate-Control max-age=3600 with Cache-Control no-store: the no-store wins.
  ...group(SURROGATE, ['surrogate-fresh-cc-nostore']),
};

// --- the defaults preset ------------------------------------------------------------------------

const FIXED_TTL =
  'defaults: no Cache-Control semantics by default, a fixed `ttl` (5 s) for 200, 203 and 204: max-age, s-maxage,' +
  ' Expires, no-cache, must-revalidate and proxy-revalidate are not read (no-store and private are), so other' +
  ' statuses are never fresh and a stale 200 is served until the ttl ends';

const NO_HEURISTIC =
  'defaults: no Cache-Control semantics by default, a fixed `ttl` for 200, 203 and 204 only: no heuristic' +
  ' freshness from Last-Modified, so a 404, 405, 410 or 414 is not kept';

const NO_CONDITIONAL =
  'defaults: a fixed `ttl`, and `conditional` off by default: the answer (stale by its max-age or Expires) is' +
  ' served from the primary tier until the ttl ends, then fetched again without validators; the origin never' +
  ' sees a conditional request (If-None-Match / If-Modified-Since)';

// --- the lists ----------------------------------------------------------------------------------

export const EXPECTED_FAILURES: Record<string, Record<string, string>> = {
  /** `attachStaleCache(instance)`: a TTL cache that reads no freshness information. */
  defaults: {
    ...COMMON,
    ...group(FIXED_TTL, [
      'cc-resp-no-cache',
      'status-200-stale',
      'status-203-stale',
      'status-204-stale',
      'status-299-fresh',
      'status-301-fresh',
      'status-302-fresh',
      'status-303-fresh',
      'status-307-fresh',
      'status-308-fresh',
      'status-400-fresh',
      'status-404-fresh',
      'status-410-fresh',
      'status-499-fresh',
      // Served from the primary tier within the ttl: the closed connection is never seen.
      'stale-close-must-revalidate',
      'stale-close-proxy-revalidate',
      'stale-close-no-cache',
      'stale-close-s-maxage=2',
      // Surrogate-Control is read only with cacheControl: by default an answer without no-store is kept.
      'surrogate-no-store',
    ]),
    ...group(NO_HEURISTIC, [
      'heuristic-404-cached',
      'heuristic-405-cached',
      'heuristic-410-cached',
      'heuristic-414-cached',
    ]),
    ...group(NO_CONDITIONAL, [
      'conditional-lm-stale',
      'conditional-etag-strong-generate',
      'conditional-etag-weak-generate-weak',
      // 🔹: their setup expects a conditional request to the origin (request 2 is answered from the cache).
      'conditional-etag-vary-headers',
      '304-lm-use-stored-Test-Header',
    ]),
  },
  /** `{ cacheControl: true, conditional: true }`: HTTP caching as RFC 9111 describes it. */
  rfc9111: {
    ...COMMON,
    ...group(AGE_NOT_ONE_VALUE, ['age-parse-prefix']),
    ...group(AGE_TWO_LINES, ['age-parse-prefix-twoline', 'age-parse-dup-0-twoline']),
    ...group(STALE_CLOSE, [
      'stale-close-must-revalidate',
      'stale-close-proxy-revalidate',
      'stale-close-no-cache',
      'stale-close-s-maxage=2',
    ]),
    ...group(SURROGATE, [
      'surrogate-max-age',
      'surrogate-max-age-max',
      'surrogate-max-age-max-plus',
      'surrogate-max-age-me-target',
    ]),
    // 🔹: the first answer's Content-Length is shorter than its body (the 304 test is run here, as
    // 304-lm-use-stored-Test-Header passes; with defaults it is ⚪️).
    ...group(CONTENT_LENGTH, ['304-etag-update-response-Content-Length']),
    // 🔹: the Set-Cookie answer was not stored, so nothing is revalidated.
    ...group(SET_COOKIE, ['304-etag-update-response-Set-Cookie']),
  },
};

// --- failing for none of the reasons above ------------------------------------------------------

const IMS_WITHOUT_LAST_MODIFIED =
  'answered 200 from the fresh entry. The stored answer has no Last-Modified, so If-Modified-Since' +
  " is evaluated against its Date (RFC 9111 §4.3.2; lib/http/validators.ts); the test's date is 3000 s before" +
  ' that Date, so the entry counts as modified since (RFC 9110 §13.1.3), while the test expects 304. No' +
  ' published cache passes it (Squid, nginx, Varnish, Fastly and nuster answer the same 200)';

const QUALIFIED_NO_CACHE =
  'a check (🔹): no-cache="a" is read as plain no-cache (lib/http/cache-control.ts), so the answer' +
  " is revalidated each time and the test's setup (response 2 from the cache) fails; the same 🔹 for Squid," +
  ' nginx, Varnish, ATS and Firefox';

/**
 * Tests that fail for none of the recorded reasons: what the cache does, awaiting a decision. Known
 * (not unexpected), and printed on every run. None today: the two below were decided (see
 * EXPECTED_FAILURES) and are kept here only as the reasons' home.
 */
export const UNCLASSIFIED: Record<string, Record<string, string>> = {
  defaults: {},
  rfc9111: {},
};

// Decided: the cache follows RFC 9111 §4.3.2 (If-Modified-Since against Date without Last-Modified),
// and takes a qualified no-cache as unqualified (RFC 9111 §5.2.2.4 notes caches commonly do): stricter.
EXPECTED_FAILURES.defaults = {
  ...EXPECTED_FAILURES.defaults,
  'conditional-lm-fresh-no-lm': IMS_WITHOUT_LAST_MODIFIED,
};
EXPECTED_FAILURES.rfc9111 = {
  ...EXPECTED_FAILURES.rfc9111,
  'conditional-lm-fresh-no-lm': IMS_WITHOUT_LAST_MODIFIED,
  'headers-omit-headers-listed-in-Cache-Control-no-cache-single': QUALIFIED_NO_CACHE,
  'headers-omit-headers-listed-in-Cache-Control-no-cache': QUALIFIED_NO_CACHE,
};
