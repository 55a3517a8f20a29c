import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/**
 * Milliseconds, or a string with its unit: `'500ms'`, `'30s'`, `'5m'`, `'12h'`, `'7d'` (decimals
 * allowed: `'1.5s'`). A number is always milliseconds.
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

/** A value as a store keeps it: the encoded entry, text or bytes. */
export type StoredValue = string | Uint8Array;

export interface CacheStoreEntry {
  key: string;
  value: StoredValue;
  /** Milliseconds until the store may forget the entry; always > 0; Infinity for an entry that never expires. */
  ttl: number;
}

/**
 * Where entries live. Every method may reject or hang: the cache bounds each call by
 * `storeTimeout` and treats a failure as a miss, so a store never needs to swallow errors.
 */
export interface CacheStore {
  /** One round trip; `null` when absent or expired. */
  get(key: string): Promise<StoredValue | null>;
  /**
   * The value now, synchronously (`null` when absent or expired): a store in this process answers a
   * read without a promise, a timer or a bound. Optional. Return the same value object for an entry
   * until it is rewritten, and the cache keeps its decoding beside it (no decode, no JSON parse).
   */
  getSync?(key: string): StoredValue | null;
  /**
   * A value this store holds in this process for `key` and knows to be current (a near cache kept
   * coherent by the server's invalidations), synchronously; undefined: ask `get`. Optional.
   */
  peekSync?(key: string): StoredValue | undefined;
  /**
   * True for a store in this process, which can be neither slow nor down: its calls get no bound and
   * no store breaker, and a write is done when `set` returns. Optional (false: a store across a network).
   */
  readonly inProcess?: boolean;
  /** Writes all entries in one round trip (both tiers of one response). */
  set(entries: ReadonlyArray<CacheStoreEntry>): Promise<void>;
  delete(keys: ReadonlyArray<string>): Promise<void>;
  /**
   * Removes every key beginning with one of `prefixes`: all `vary` variants of one URL.
   * Optional; without it `invalidate` removes only the variant it can name.
   */
  deletePrefixed?(prefixes: ReadonlyArray<string>): Promise<void>;
  /**
   * Writes `entries` in one round trip, unless a value under one of `guard.keys` was stored after
   * `guard.storedAt` (an entry's stored time is the number after the version at its start: `[2,<ms>,`);
   * resolves with whether it wrote. For writes made from an earlier read (a backoff marker), which
   * must never replace a newer entry. Optional: without it the cache reads the guard keys first, and
   * a newer entry written between that read and the write can still be replaced.
   */
  setUnlessNewer?(entries: ReadonlyArray<CacheStoreEntry>, guard: StoreGuard): Promise<boolean>;
  /**
   * The part of the store a key lives on (a Redis Cluster master, by address), synchronously: each part
   * gets a store breaker of its own, so that one sick node turns the cache off for its keys only.
   * Optional: without it (or when it returns undefined) one breaker covers the whole store.
   */
  scopeOf?(key: string): string | undefined;
  /**
   * Writes `entries` as `set` does and adds `index.keys` (some of theirs) to the set of keys named
   * `index.key` (which shares their hash tag), kept at least `index.ttl` ms, in the same round trip.
   * While the index already lists 1,000 keys, the entries it would list are not written (nothing
   * could reach them). The cache lists the keys of a URL it cannot name from the URL alone (response
   * variants, other routes), so that deleteIndexed reaches them without a sweep. Optional, with
   * deleteIndexed.
   */
  setIndexed?(entries: ReadonlyArray<CacheStoreEntry>, index: StoreIndex): Promise<void>;
  /**
   * Deletes `keys`, every key each of `indexes` holds, and the indexes, in one round trip per hash tag.
   * Optional, with setIndexed: without them, an unsafe method removes only the keys it can name.
   */
  deleteIndexed?(keys: ReadonlyArray<string>, indexes: ReadonlyArray<string>): Promise<void>;
  /**
   * Writes the entries and lists their keys under each tag (a set per tag key, kept as long as its
   * longest-lived key), so that deleteTagged reaches them from any process: in the write's own round
   * trip where the store can. Resolves false, having written nothing, when a tag already lists
   * 10,000 live keys (an entry its tag could not remove is never written). `index` as in setIndexed.
   * Optional: without it, answers with tags are not written (and the `tags` option is refused).
   */
  setTagged?(
    entries: ReadonlyArray<CacheStoreEntry>,
    tags: ReadonlyArray<StoreTag>,
    index?: StoreIndex,
    /** For a store that lists the tags and writes the entries in two steps: asked in between. */
    stillWanted?: () => boolean,
  ): Promise<boolean>;
  /** Deletes every key the tags list, and the tags' lists. */
  deleteTagged?(tags: ReadonlyArray<string>): Promise<void>;
  /**
   * Removes every key that begins with one of `prefixes`, wherever it lives (every master of a
   * Cluster), in batches: what `handle.clear()` calls. Optional; without it `clear()` rejects.
   */
  clear?(prefixes: ReadonlyArray<string>): Promise<void>;
  /**
   * Fleet coalescing (`coalesce: 'fleet'`), in one round trip: the first of `lock.outcomes` that holds
   * a value; else `key`'s value (unless `lock.read` is false); else the lock at `lock.key`, taken
   * for `lock.token` for `lock.ttl` ms when no one holds it, and marked as waited on (with
   * `lock.wait`) when another owner's token does. Every key shares `key`'s hash tag. Optional, with
   * `unlock`: without them `'fleet'` coalesces in process only.
   */
  getOrLock?(key: string, lock: StoreLock): Promise<LockedRead>;
  /**
   * Ends the flight of `lock.token`: removes the lock if that token holds it. When someone waited on
   * it and `outcome` is given, the outcome is stored first (under `outcome.key`, for `outcome.ttl` ms);
   * when someone waited and no outcome is given, resolves `'waited'` and keeps the lock, so that the
   * caller encodes its outcome only when a waiter will read it. `'lost'`: the token no longer holds
   * it (it expired); an outcome given is stored all the same, for whoever still watches the flight.
   */
  unlock?(lock: StoreUnlock): Promise<'released' | 'waited' | 'lost'>;
  /**
   * Keeps the lock of `lock.token` for `lock.ttl` ms more from now, if that token still holds it: a
   * leader whose answer is arriving is not raced. Optional: without it a lock lasts the ttl it was
   * taken with.
   */
  extendLock?(lock: { key: string; token: string; ttl: number }): Promise<boolean>;
}

/** See CacheStore.getOrLock. */
export interface StoreLock {
  key: string;
  /** `<owner>.<n>`: the owner is one cache instance; a lock held by the caller's own owner is never marked. */
  token: string;
  ttl: number;
  /** Read the entry key first, and take the lock only when it holds nothing. */
  read: boolean;
  /** Mark the lock as waited on when another owner holds it (the caller will wait for its outcome). */
  wait: boolean;
  /** Where the flights this caller waits on leave their outcomes. */
  outcomes: ReadonlyArray<string>;
}

/** See CacheStore.getOrLock: at most one of `outcome` and `value` is set; `holder` only when neither is. */
export interface LockedRead {
  outcome: StoredValue | null;
  value: StoredValue | null;
  /** The token that holds the lock after the call (the caller's own when it took it). */
  holder: string | null;
}

/** See CacheStore.unlock. */
export interface StoreUnlock {
  key: string;
  token: string;
  outcome?: { key: string; value: StoredValue; ttl: number } | undefined;
}

/** See CacheStore.setIndexed. */
export interface StoreIndex {
  key: string;
  ttl: number;
  /** Which of the entries' keys it lists; while it is full, those entries are not written. */
  keys: ReadonlyArray<string>;
  /** Keys it lists while it has room, written either way (many may exist: one per vary value). */
  soft?: ReadonlyArray<string>;
}

/** See CacheStore.setTagged: a tag's list, and how long it must last (ms; Infinity: no expiry). */
export interface StoreTag {
  key: string;
  ttl: number;
}

/** See CacheStore.setUnlessNewer. */
export interface StoreGuard {
  keys: ReadonlyArray<string>;
  storedAt: number;
}

/**
 * How a request was answered: `miss` went upstream and got its answer; `failed` went upstream, failed
 * (network, timeout, a status >= 400, an unreadable body) and had no stale answer, so the caller got
 * the upstream's own response or error.
 */
export type CacheState = 'miss' | 'hit' | 'stale' | 'bypass' | 'failed';

/** Why an upstream attempt counts as failed. */
export type FailureCause =
  | 'network' // refused, reset, DNS, socket hang up
  | 'timeout' // the axios `timeout` elapsed
  | 'status' // an HTTP status the caller's validateStatus rejected, or any status >= 500
  // unreadable body: truncated mid-stream, malformed JSON under a JSON content type, over maxContentLength
  | 'bad-response'
  | 'other'; // anything else a custom adapter threw

/** Why a request did not use the cache at all. */
export type BypassReason =
  | 'opt-out' // `staleCache: false`
  | 'method' // not one of `methods`, or an X-HTTP-Method-Override header (the server may do something else)
  | 'credentials' // a credential header (see `credentialHeaders`), `auth` or URL user info, not listed in `vary`
  | 'no-store' // request Cache-Control: no-store
  | 'range' // a Range request: its 206 is a part, not the resource
  // If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since or If-Range: the answer (a 304, a
  // 412) is about the caller's own copy, so it is neither shared nor answered from another's
  | 'conditional'
  | 'stream' // responseType 'stream'
  | 'response-type' // a responseType the cache cannot rebuild from bytes ('formdata')
  | 'url' // a URL or params the adapter could not serialise either
  | 'body'; // a body the key cannot include (a stream or a form)

export interface UpstreamFailure {
  cause: FailureCause;
  /** HTTP status, when the upstream answered. */
  status?: number;
  /** What the adapter rejected with, when it rejected. */
  error?: unknown;
}

/** `response.staleCache`: how the cache answered. */
export interface StaleCacheMeta {
  state: CacheState;
  /** Primary-tier key of the request; absent for `bypass`. */
  key?: string;
  /** Epoch ms at which the answer was stored (hit, stale). */
  storedAt?: number;
  /** Milliseconds since `storedAt`. */
  age?: number;
  /**
   * Why a stale answer was served instead of the upstream's (`slow`: softTimeout; `backoff`: a recent
   * failure, see failureBackoff; `max-stale`: the request's Cache-Control accepts it), or why a
   * `failed` request failed (`only-if-cached`: the request asked for a stored answer and none fits: 504).
   */
  cause?: FailureCause | 'revalidating' | 'slow' | 'backoff' | 'max-stale' | 'only-if-cached';
  /** The upstream's HTTP status, when it answered (miss, failed, and stale after a failure status). */
  status?: number;
  /** A background refresh was started (stale-while-revalidate, refreshAhead). */
  revalidating?: boolean;
  /**
   * The stored answer was revalidated with the upstream (`conditional`): it answered 304 and the
   * stored body was answered (state `hit`, status 304), both tiers refreshed.
   */
  revalidated?: boolean;
  /** The answer came from another caller's identical in-flight request. */
  coalesced?: boolean;
  /** Why the cache was bypassed. */
  reason?: BypassReason;
}

/** Per-request overrides: `axios.get(url, { staleCache: { ttl: 1000 } })`. */
export interface StaleCacheRequestOptions {
  /** Milliseconds in the primary tier, for this request. @default the instance's `ttl` */
  ttl?: Duration;
  /**
   * Milliseconds in the stale tier, for this request; `Infinity` never expires.
   * @default the instance's `staleTtl`
   */
  staleTtl?: Duration;
  /**
   * Request header names whose values are part of this request's key; replaces the instance's list.
   * @default the instance's `vary`
   */
  vary?: ReadonlyArray<string>;
  /** Replaces the URL in the key: requests with the same method and key share an entry. @default the wire URL */
  key?: string;
  /** The label metrics and events group this request under (see the instance's `route`). */
  route?: string;
  /** Tags of this request's answer, beside the instance's and the response's (see `tags`). */
  tags?: ReadonlyArray<string>;
  /**
   * Milliseconds after primary expiry in which the entry is answered and refreshed in the background.
   * @default the instance's `staleWhileRevalidate`
   */
  staleWhileRevalidate?: Duration;
  /** See the instance option; 0 turns it off for this request. @default the instance's `softTimeout` */
  softTimeout?: Duration;
  /** See the instance option; 0 turns it off for this request. @default the instance's `failureBackoff` */
  failureBackoff?: Duration;
  /** See the instance option. @default the instance's `cacheControl` */
  cacheControl?: boolean;
  /** See the instance option. @default the instance's `conditional` */
  conditional?: boolean;
  /** See the instance option; 0 turns it off for this request. @default the instance's `refreshAhead` */
  refreshAhead?: number;
}

/** HTTP caching options, per instance and per request (see the README's HTTP semantics). */
export interface HttpSemanticsOptions {
  /**
   * Freshness as the server gives it: `s-maxage`, `max-age` or `Expires` (less `Age`); `ttl` for
   * answers without explicit freshness. `no-cache` answers are stored but revalidated before use,
   * `must-revalidate` / `proxy-revalidate` / `s-maxage` forbid stale answers past freshness unless
   * `stale-if-error` allows them, `stale-if-error` bounds the stale tier, `stale-while-revalidate`
   * opens a background window, `private` is never stored.
   * @default false
   */
  cacheControl?: boolean;
  /**
   * An expired entry with an `ETag` or `Last-Modified` is revalidated with `If-None-Match` /
   * `If-Modified-Since`; a 304 answers the stored body (state `hit`, `revalidated: true`) and
   * refreshes both tiers. Off by default: it adds request headers.
   * @default false
   */
  conditional?: boolean;
  /**
   * Fraction (0 to 1) of an entry's freshness after which a hit starts one background refresh
   * (coalesced, bounded), so that a hot key never misses; 0 never.
   * @default 0
   */
  refreshAhead?: number;
}

/** The store breaker's settings (see `storeBreaker`). */
export interface StoreBreakerOptions {
  /** Consecutive failed or timed-out store calls that open the breaker. @default 5 */
  failures?: number;
  /** Milliseconds the breaker stays open before one store call probes the store. @default 5000 */
  cooldown?: Duration;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface StaleCacheOptions extends HttpSemanticsOptions {
  /** Where entries live. @default memoryStore() */
  store?: CacheStore;
  /**
   * Milliseconds an entry stays in the primary tier (answered without asking the upstream); 0 disables it.
   * @default 5000
   */
  ttl?: Duration;
  /**
   * Milliseconds an entry stays in the stale tier (answered when the upstream fails); >= ttl.
   * `Infinity` never expires it (tornado-stale-client's default).
   * @default 86400000 (24 h)
   */
  staleTtl?: Duration;
  /** Prefix of primary-tier keys. @default "primary_http" */
  primaryKeyPrefix?: string;
  /** Prefix of stale-tier keys; must differ from primaryKeyPrefix. @default "stale_http" */
  staleKeyPrefix?: string;
  /** Request header names (case-insensitive) whose values are part of the key. @default [] */
  vary?: ReadonlyArray<string>;
  /** Methods that are cached; for methods with a body, the body is part of the key. @default ['get', 'head'] */
  methods?: ReadonlyArray<string>;
  /** Which answers are written; receives the final, parsed response. @default defaultIsCacheable */
  isCacheable?: (response: AxiosResponse) => boolean;
  /** Which failures are answered from the stale tier. @default defaultStaleIf */
  staleIf?: (failure: UpstreamFailure) => boolean;
  /**
   * Milliseconds a request may wait on its lookup; after an upstream failure the stale read gets as
   * long again. Also the bound of every write and of invalidate().
   * @default 100
   */
  storeTimeout?: Duration;
  /** Encoded entries larger than this are not stored (a `skip` event says so). @default 5242880 (5 MiB) */
  maxEntryBytes?: number;
  /**
   * Concurrent identical misses share one upstream request: in this process (`true`), or in every
   * process sharing the store (`'fleet'`: a lock beside the entries, taken by the primary read; a
   * store without `getOrLock`, such as the memory store, coalesces in process). @default true
   */
  coalesce?: boolean | 'fleet';
  /**
   * Milliseconds an identical in-flight request may stay silent (no byte of its answer arriving)
   * before the callers waiting on it stop relying on it alone: one of them asks again, the others
   * wait on that second request too, and each takes whichever answer lands first. A flight whose
   * answer is arriving is waited on and joined however long it takes. Also the bound of a background
   * request that has no `timeout` of its own. A waiter never waits past its own axios `timeout`, as
   * axios counts it (for the http adapter, a body still arriving does not time out).
   * @default 3000
   */
  flightTimeout?: Duration;
  /**
   * Request headers that identify a caller, as names (case-insensitive) and RegExps tested on the
   * lower-cased name: a request with one of them is not cached unless the header is listed in `vary`
   * (then each value has entries of its own). `auth` and URL user info count as `authorization`, a
   * proxy's credentials (in any form axios takes) as `proxy-authorization`. Replaces the default list,
   * pattern included: `[...DEFAULT_CREDENTIAL_HEADERS, /^x-my-/]` keeps the names and drops the pattern.
   * @default [...DEFAULT_CREDENTIAL_HEADERS, DEFAULT_CREDENTIAL_PATTERN]: authorization,
   * proxy-authorization, cookie, the API-key and session-token headers in wide use, and any name that
   * contains auth, token, secret, passw, credential, session, cookie, csrf, xsrf, signature, jwt or
   * apikey, or has a `key` segment (x-goog-api-key, ocp-apim-subscription-key)
   */
  credentialHeaders?: ReadonlyArray<string | RegExp>;
  /**
   * Store and share answers that carry `Set-Cookie` (the cookie itself is never stored). Off by default,
   * as in Varnish: such an answer usually belongs to one session (a CSRF token, a login page).
   * @default false
   */
  storeSetCookie?: boolean;
  /**
   * Cached JSON answers (from any store) hand every caller the same deep-frozen data instead of a
   * copy of its own: fastest, and any attempt to change `response.data` throws. Text and binary
   * bodies are still copied.
   * @default false
   */
  zeroCopy?: boolean;
  /**
   * Milliseconds after primary expiry in which an entry is answered at once (state `stale`, cause
   * `revalidating`) while it is refreshed in the background; ttl + staleWhileRevalidate <= staleTtl.
   * @default 0 (off)
   */
  staleWhileRevalidate?: Duration;
  /**
   * Milliseconds to wait for the upstream when the stale tier holds an entry; then the caller is
   * answered stale (cause `slow`) while the upstream request finishes in the background (bounded by
   * its axios `timeout`, or flightTimeout when it has none) and refreshes both tiers if it succeeds.
   * No stale entry: no effect. 0 turns it off.
   * @default 0 (off)
   */
  softTimeout?: Duration;
  /**
   * After a failure answered from the stale tier, milliseconds in which requests for that key are
   * answered stale (cause `backoff`) without asking the upstream; then one request probes it. Shared
   * by every process using the store (the stale entry is written back into the primary tier, marked);
   * never past the entry's staleTtl. 0 turns it off.
   * @default 0 (off)
   */
  failureBackoff?: Duration;
  /**
   * After `failures` consecutive failed or timed-out store calls, while more than half of the last 20
   * failed, requests skip the store at once (a miss, no wait, no `error` event each) for `cooldown`
   * ms; then one store call probes it. A timeout while this process's own event loop ran late (a GC
   * pause, a long synchronous task) is not counted: a slow process is not a sick store. A Redis Cluster
   * gets a breaker per master. `false` turns it off. The in-process memory store never fails, so never
   * trips it.
   * @default { failures: 5, cooldown: 5000 }
   */
  storeBreaker?: StoreBreakerOptions | false;
  /**
   * The label metrics, events and diagnostics channels group requests by (a request's own
   * `staleCache.route` comes first). Never a secret, and few distinct values: a dashboard pays per
   * label. @default the host and the path, with segments that hold a digit or are over 32 characters
   * as `:id` (`api.example.com/users/:id`); no query
   */
  route?: (request: RouteInfo) => string;
  /**
   * Tags of an answer, from the final response, for `invalidateTags()`; with the tags of its
   * response's `Cache-Tag` (comma-separated) and `Surrogate-Key` (space-separated) headers (see
   * `tagHeaders`) and of the request's own `staleCache.tags`. Needs a store with tags (memory, Redis).
   */
  tags?: (response: AxiosResponse) => ReadonlyArray<string>;
  /** Read tags from the response's `Cache-Tag` and `Surrogate-Key` headers (on a store with tags). @default true */
  tagHeaders?: boolean;
}

/** What the `route` option is given. */
export interface RouteInfo {
  method: string;
  /** The URL as sent, secrets in it redacted. */
  url: string;
  config: InternalAxiosRequestConfig;
}

/**
 * What failed: a store call, an entry that would not decode or encode, a background refresh, or a
 * user callback that threw.
 */
export type CacheOperation =
  | 'get'
  | 'set'
  | 'delete'
  | 'decode'
  | 'encode'
  | 'revalidate'
  | 'isCacheable'
  | 'staleIf'
  | 'route'
  | 'tags';

export interface CacheEvent {
  key: string | undefined;
  method: string;
  /**
   * The URL as sent, for logs: user info, the values of query parameters named like secrets (token,
   * key, secret, password, sig, code, auth…) and any fragment replaced by `***`.
   */
  url: string;
  meta: StaleCacheMeta;
  /** Milliseconds from dispatch to the answer (before response interceptors). */
  duration: number;
  /** The upstream's HTTP status, when it answered (the same as `meta.status`). */
  status?: number;
  /** The request's route label (see the `route` option): what a metric may carry, unlike the URL. */
  route: string;
}

export interface CacheBreakerEvent {
  target: 'store';
  state: BreakerState;
  /** The part of the store (a Cluster master's address) when each part has a breaker of its own. */
  node?: string;
}

export interface CacheErrorEvent {
  op: CacheOperation;
  key: string | undefined;
  error: unknown;
  /**
   * Store errors are collapsed: the first of a kind (op and error name) is emitted at once, the ones
   * like it in the next second become one event, the last of them, with how many it stands for here;
   * and so on while they go on. stats().storeErrors counts every one.
   */
  repeated?: number;
}

/** Why a cacheable answer was not written. */
export type SkipReason =
  | 'too-large' // its encoded entry is over maxEntryBytes
  | 'invalidated' // invalidate() of its URL was called while it was in flight
  | 'detached' // the cache was detached while it was in flight
  // its key has a body, route or response-shape segment, and the store has no deletePrefixed with
  // which invalidate(url) could remove it; or it has tags the store cannot list (no setTagged, more
  // than 64 tags, a tag that lists 10,000 keys already, or a tags function that threw)
  | 'cannot-invalidate';

export interface CacheSkipEvent {
  key: string;
  reason: SkipReason;
  /** For 'too-large': the size of the encoded entry, or of its body alone when that is too large already. */
  bytes?: number;
}

/** Events of `handle.on()`; every request emits exactly one of hit, miss, stale, bypass, failed. */
export interface CacheEvents {
  /** Answered from the primary tier. */
  hit: CacheEvent;
  /** Went upstream and got its answer. */
  miss: CacheEvent;
  /** Went upstream, failed, and had no stale answer: the caller got the upstream's own response or error. */
  failed: CacheEvent;
  /** Answered from the stale tier: the upstream failed, or stale-while-revalidate. */
  stale: CacheEvent;
  /** The cache was not used; `meta.reason` says why. */
  bypass: CacheEvent;
  /** A store call, a decode or encode, a background refresh or a user callback failed; never thrown at a caller. */
  error: CacheErrorEvent;
  /** A cacheable answer that was not written, and why. */
  skip: CacheSkipEvent;
  /** The store breaker changed state (see `storeBreaker`). */
  breaker: CacheBreakerEvent;
}

export type CacheEventName = keyof CacheEvents;

export interface CacheStats {
  hits: number;
  misses: number;
  stale: number;
  bypass: number;
  /** Requests that failed upstream with no stale answer (state `failed`). */
  failed: number;
  /** Store calls that failed, timed out or returned undecodable data. */
  storeErrors: number;
  /** Misses answered by another caller's in-flight request. */
  coalesced: number;
  /**
   * Store calls not made (a miss, or a write dropped): the store breaker was open, or too many earlier
   * calls were still unanswered.
   */
  storeSkipped: number;
  /** The store breaker's state; `off` when `storeBreaker: false` or the store is in process. */
  breaker: BreakerState | 'off';
  /** Cacheable answers not written: too large, or invalidated or detached while in flight (see the `skip` event). */
  writesSkipped: number;
}

export interface InvalidateTarget {
  url?: string;
  baseURL?: string;
  method?: string;
  params?: unknown;
  headers?: Record<string, unknown>;
  /**
   * The request body, for a method whose body is part of the key: only that body's entries are
   * removed. Without it, every body's are (on a store with deletePrefixed).
   */
  data?: unknown;
  staleCache?: StaleCacheRequestOptions | false;
}

/** What `handle.peek()` finds for a URL: read from the store, without touching the upstream. */
export type CachePeek = CachePeekEntry | CachePeekBypass;

/** A request with this config would not use the cache at all. */
export interface CachePeekBypass {
  state: 'bypass';
  reason: BypassReason;
}

/** What is stored for a URL, and what a request would get now. */
export interface CachePeekEntry {
  /** The primary-tier key. */
  key: string;
  /** The URL the stored answer is for, as its entry records it (secrets redacted). */
  url: string | undefined;
  /**
   * What a request without directives of its own would get now: `hit`; `stale` (stale-while-
   * revalidate, or a backoff in place); `miss` (it goes upstream, and the stale tier answers a failure).
   */
  state: 'hit' | 'stale' | 'miss';
  /** The upstream's status of the stored answer. */
  status: number;
  /** Epoch ms at which the answer was stored (the primary tier's entry, else the stale tier's). */
  storedAt: number;
  /** Milliseconds since storedAt. */
  age: number;
  /** Milliseconds it stays fresh (0 when expired, or only in the stale tier). */
  freshFor: number;
  /** Milliseconds the stale tier may still answer a failure with it (0: it may not; Infinity: no end). */
  staleFor: number;
  /** Bytes its entry takes in the store (headers and body, once per tier). */
  bytes: number;
  /** Which tiers hold it. */
  tiers: { primary: boolean; stale: boolean };
  /** The response's Vary names: other variants may be stored beside this one. */
  vary?: readonly string[];
  /** A failureBackoff is in place until this epoch ms (stale answers, no upstream). */
  backoffUntil?: number;
  /** The tags it was written with (see invalidateTags). */
  tags?: readonly string[];
}

export interface ClearOptions {
  /** Milliseconds clear() may take before it rejects. @default 30000 */
  timeout?: Duration;
}

export interface StaleCacheHandle {
  /** Removes both tiers of a URL (every `vary` variant, where the store can list them). */
  invalidate(target: string | InvalidateTarget): Promise<void>;
  /**
   * What the cache holds for a URL (or request config: method, headers for `vary`, data) and would
   * answer now, without touching the upstream; undefined when nothing is stored.
   */
  peek(target: string | InvalidateTarget): Promise<CachePeek | undefined>;
  /**
   * Removes every entry that carries one of these tags (both tiers, every variant), for every process
   * sharing the store; writes in flight with them are dropped. Bounded by storeTimeout.
   */
  invalidateTags(tags: string | ReadonlyArray<string>): Promise<void>;
  /** Removes every entry of this cache (both prefixes) from its store, for every process sharing it. */
  clear(options?: ClearOptions): Promise<void>;
  on<E extends CacheEventName>(event: E, listener: (info: CacheEvents[E]) => void): StaleCacheHandle;
  off<E extends CacheEventName>(event: E, listener: (info: CacheEvents[E]) => void): StaleCacheHandle;
  stats(): CacheStats;
  /** Resolves once every write and background refresh started so far has settled. */
  settled(): Promise<void>;
  /** Ejects both interceptors; the instance behaves as before. */
  detach(): void;
}

// The type parameters must repeat axios's own declarations exactly for the interfaces to merge.
declare module 'axios' {
  // biome-ignore lint/suspicious/noExplicitAny: axios's own defaults
  interface AxiosRequestConfig<D = any, P = any> {
    /** Per-request cache settings, or `false` to neither read nor write the cache. */
    staleCache?: StaleCacheRequestOptions | false;
  }

  // biome-ignore lint/suspicious/noExplicitAny lint/complexity/noBannedTypes: axios's own defaults
  interface AxiosResponse<T = any, D = any, H = {}, P = any> {
    /** Set by axios-stale-cache on every response of an attached instance (see cacheMeta()). */
    staleCache?: StaleCacheMeta;
  }
}

/** Diagnostics channel messages (see CHANNELS). Which attached cache a message is about: the handle attachStaleCache returned. */
export interface ChannelSource {
  readonly cache: StaleCacheHandle;
}

/**
 * On `axios-stale-cache:request`. `start` carries method, url and route; by `asyncEnd` (and `error`,
 * when the request rejects) the answer's fields are set: the metadata of `response.staleCache`, and
 * `duration`.
 */
export interface RequestMessage extends ChannelSource, Partial<StaleCacheMeta> {
  readonly method: string;
  /** The request's URL (its baseURL and url, without its params), secrets redacted. */
  readonly url: string;
  readonly route: string;
  /** Milliseconds from dispatch to the answer (set by asyncEnd). */
  duration?: number;
  /** Set by node:diagnostics_channel: what the adapter resolved or rejected with. */
  result?: unknown;
  error?: unknown;
}

/** What a store call did: `skipped` when the breaker was open or too many calls were unanswered. */
export type StoreOutcome = 'ok' | 'error' | 'timeout' | 'skipped';

/** On `axios-stale-cache:store`: one store call (`set` writes both tiers of an answer in one call). */
export interface StoreMessage extends ChannelSource {
  readonly op: 'get' | 'set' | 'delete' | 'clear';
  /** The first key of the call. */
  readonly key: string | undefined;
  /** Keys the call names (for `get`, 1). */
  readonly keys: number;
  /** Bytes written, or read (a `get` that found a value). */
  bytes: number;
  /** Set by asyncEnd. */
  outcome?: StoreOutcome;
  /** For `get`: whether a value was there. */
  found?: boolean;
  duration?: number;
  error?: unknown;
}

/** On `axios-stale-cache:upstream`: a request the cache sent upstream. */
export interface UpstreamMessage extends ChannelSource {
  readonly method: string;
  readonly url: string;
  readonly route: string;
  /** `request`: a caller's (softTimeout's included); `refresh`: the cache's own, in the background. */
  readonly purpose: 'request' | 'refresh';
  /** The stored entry's validators were sent (a 304 may answer). */
  readonly revalidation: boolean;
  /** Set by asyncEnd: the status, when the upstream answered, and how it ended. */
  status?: number;
  outcome?: 'success' | 'failure' | 'cancelled';
  cause?: FailureCause;
  duration?: number;
}

export interface BreakerMessage extends ChannelSource, CacheBreakerEvent {}
export interface SkipMessage extends ChannelSource, CacheSkipEvent {}
export interface ErrorMessage extends ChannelSource, CacheErrorEvent {}
