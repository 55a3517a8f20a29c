import { types } from 'node:util';
import type { AxiosResponse } from 'axios';
import { memoryStore } from './stores/memory.js';
import {
  credentialMatcher,
  DEFAULT_CREDENTIAL_HEADERS,
  DEFAULT_CREDENTIAL_PATTERN,
  isCacheableResponse,
  isStaleWorthy,
  type CredentialMatcher,
} from './http/rules.js';
import { parseDuration, warnIfSuspicious } from './duration.js';
import { isTag } from './http/tags.js';
import type { CacheStore, RouteInfo, StaleCacheOptions, StaleCacheRequestOptions, UpstreamFailure } from './types.js';

export interface ResolvedOptions {
  store: CacheStore;
  primaryKeyPrefix: string;
  staleKeyPrefix: string;
  methods: ReadonlySet<string>;
  isCacheable: (response: AxiosResponse) => boolean;
  staleIf: (failure: UpstreamFailure) => boolean;
  storeTimeout: number;
  maxEntryBytes: number;
  coalesce: boolean;
  /** coalesce: 'fleet' on a store that can lock (getOrLock and unlock): flights shared by every process. */
  fleet: boolean;
  flightTimeout: number;
  credentialHeaders: CredentialMatcher;
  storeSetCookie: boolean;
  zeroCopy: boolean;
  storeBreaker: { failures: number; cooldown: number } | false;
  route: ((request: RouteInfo) => string) | undefined;
  tags: ((response: AxiosResponse) => ReadonlyArray<string>) | undefined;
  /** Tags from Cache-Tag / Surrogate-Key: on when the store has tags and tagHeaders is not false. */
  tagHeaders: boolean;
  /** The request policy of a request without `staleCache` overrides. */
  policy: RequestPolicy;
}

/** What may differ per request. */
export interface RequestPolicy {
  ttl: number;
  staleTtl: number;
  staleWhileRevalidate: number;
  /** Lower-cased header names, sorted. */
  vary: readonly string[];
  key: string | undefined;
  softTimeout: number;
  failureBackoff: number;
  refreshAhead: number;
  cacheControl: boolean;
  conditional: boolean;
}

export const DEFAULTS = {
  ttl: 5_000,
  staleTtl: 86_400_000,
  primaryKeyPrefix: 'primary_http',
  staleKeyPrefix: 'stale_http',
  methods: ['get', 'head'],
  storeTimeout: 100,
  maxEntryBytes: 5_242_880,
  coalesce: true,
  flightTimeout: 3_000,
  zeroCopy: false,
  storeSetCookie: false,
  staleWhileRevalidate: 0,
  softTimeout: 0,
  failureBackoff: 0,
  storeBreaker: { failures: 5, cooldown: 5_000 },
} as const;

const OPTION_NAMES = new Set<string>([
  'store',
  'ttl',
  'staleTtl',
  'primaryKeyPrefix',
  'staleKeyPrefix',
  'vary',
  'methods',
  'isCacheable',
  'staleIf',
  'storeTimeout',
  'maxEntryBytes',
  'coalesce',
  'zeroCopy',
  'staleWhileRevalidate',
  'flightTimeout',
  'credentialHeaders',
  'storeSetCookie',
  'softTimeout',
  'failureBackoff',
  'storeBreaker',
  'cacheControl',
  'conditional',
  'refreshAhead',
  'route',
  'tags',
  'tagHeaders',
]);
const REQUEST_OPTION_NAMES = new Set<string>([
  'route',
  'tags',
  'ttl',
  'staleTtl',
  'vary',
  'key',
  'staleWhileRevalidate',
  'softTimeout',
  'failureBackoff',
  'cacheControl',
  'conditional',
  'refreshAhead',
]);
const BREAKER_OPTION_NAMES = new Set<string>(['failures', 'cooldown']);
/** The methods axios knows, lower-cased (also the per-method header defaults of an instance). */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'get',
  'head',
  'options',
  'post',
  'put',
  'patch',
  'delete',
  'query',
]);
// RFC 9110 token: what a header name may be.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(where: string, name: string, rule: string, value: unknown): never {
  throw new TypeError(`axios-stale-cache: ${where}.${name} ${rule}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(value)) {
    if (!allowed.has(name)) {
      throw new TypeError(
        `axios-stale-cache: unknown option ${where}.${name} (expected one of ${[...allowed].join(', ')})`,
      );
    }
  }
}

function integer(
  where: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
  unit = 'milliseconds',
): number {
  if (value === undefined) return fallback;
  if (unit === 'milliseconds' && typeof value === 'string') {
    const ms = parseDuration(value);
    if (ms === undefined || ms < min) {
      fail(where, name, `must be a duration such as '500ms', '30s', '5m', '12h', '7d' (>= ${min} ms)`, value);
    }
    return ms;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    fail(
      where,
      name,
      `must be an integer >= ${min} (${unit})${unit === 'milliseconds' ? " or a duration such as '30s'" : ''}`,
      value,
    );
  }
  return value;
}

/** Node's timers fire at once past this (a 32-bit delay): a duration a timer waits must stay under it. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A duration the cache waits with a timer: at most MAX_TIMER_MS (about 24.8 days). */
function timer(where: string, name: string, value: unknown, fallback: number, min = 0): number {
  const ms = integer(where, name, value, fallback, min);
  if (ms > MAX_TIMER_MS)
    fail(where, name, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days: Node's timers wait no longer)`, value);
  return ms;
}

function flag(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(where, name, 'must be a boolean', value);
  return value;
}

/** A fraction of an entry's freshness: 0 (off) up to 1 excluded (1 would be the end of freshness). */
function fraction(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1))
    fail(where, name, 'must be a number >= 0 and < 1', value);
  return value;
}

/** A duration that may be Infinity: a stale tier that never expires, as tornado-stale-client's default. */
function duration(where: string, name: string, value: unknown, fallback: number): number {
  if (value === Infinity) return value;
  if (typeof value === 'string') return integer(where, name, value, fallback);
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
    fail(
      where,
      name,
      "must be an integer >= 0 (milliseconds), a duration such as '30s', or Infinity (never expires)",
      value,
    );
  }
  return integer(where, name, value, fallback);
}

/** A cache lifetime (ttl, staleTtl): a duration, with a warning for a suspiciously short bare number. */
function lifetimeOption(where: string, name: string, value: unknown, fallback: number): number {
  const ms = name === 'staleTtl' ? duration(where, name, value, fallback) : integer(where, name, value, fallback);
  warnIfSuspicious(where, name, value);
  return ms;
}

function prefix(where: string, name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || /[{}\s]/.test(value)) {
    // Braces would move the Redis Cluster hash tag off the digest.
    fail(where, name, 'must be a non-empty string without braces or spaces', value);
  }
  return value;
}

function headerNames(where: string, name: string, value: unknown, fallback: readonly string[]): readonly string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) fail(where, name, 'must be an array of header names', value);
  const names = new Set<string>();
  for (const item of value as unknown[]) {
    if (typeof item !== 'string' || !HEADER_NAME.test(item)) {
      fail(where, name, 'must hold header names only', item);
    }
    names.add(item.toLowerCase());
  }
  return [...names].sort();
}

/** `credentialHeaders`: header names and patterns; by default the known names and the pattern. */
function credentialList(value: unknown): ReadonlyArray<string | RegExp> {
  if (value === undefined) return [...DEFAULT_CREDENTIAL_HEADERS, DEFAULT_CREDENTIAL_PATTERN];
  if (!Array.isArray(value))
    fail('options', 'credentialHeaders', 'must be an array of header names and RegExps', value);
  const names = (value as unknown[]).filter((item) => !(item instanceof RegExp));
  headerNames('options', 'credentialHeaders', names, []);
  return value as ReadonlyArray<string | RegExp>;
}

/**
 * ttl <= staleTtl and ttl + staleWhileRevalidate <= staleTtl. `given` says which of the three the
 * caller set here: a per-request ttl over the instance's staleTtl names the instance's, not a
 * staleCache.staleTtl the caller never wrote.
 */
function ttlPair(
  where: string,
  ttl: number,
  staleTtl: number,
  swr: number,
  given: { ttl: boolean; staleTtl: boolean; swr: boolean },
): void {
  const name = (field: 'ttl' | 'staleTtl' | 'swr', label: string): string =>
    given[field] ? `${where}.${label}` : `the instance's ${label}`;
  if (staleTtl < ttl) {
    throw new TypeError(
      `axios-stale-cache: ${name('ttl', 'ttl')} (${ttl}) must be <= ${name('staleTtl', 'staleTtl')} (${staleTtl})`,
    );
  }
  if (ttl + swr > staleTtl) {
    throw new TypeError(
      `axios-stale-cache: ${name('ttl', 'ttl')} + ${name('swr', 'staleWhileRevalidate')} (${ttl + swr}) ` +
        `must be <= ${name('staleTtl', 'staleTtl')} (${staleTtl})`,
    );
  }
}

function breakerSettings(value: unknown): ResolvedOptions['storeBreaker'] {
  if (value === undefined) return { ...DEFAULTS.storeBreaker };
  if (value === false) return false;
  if (!isPlainObject(value)) fail('options', 'storeBreaker', 'must be false or { failures, cooldown }', value);
  checkKeys('options.storeBreaker', value, BREAKER_OPTION_NAMES);
  const where = 'options.storeBreaker';
  return {
    failures: integer(where, 'failures', value.failures, DEFAULTS.storeBreaker.failures, 1, 'store calls'),
    cooldown: timer(where, 'cooldown', value.cooldown, DEFAULTS.storeBreaker.cooldown, 1),
  };
}

function isStore(value: unknown): value is CacheStore {
  // A Map has get, set and delete, but synchronous and of another shape: it would silently never cache.
  if (value === null || typeof value !== 'object' || types.isMap(value) || types.isWeakMap(value)) return false;
  const s = value as Record<string, unknown>;
  return typeof s.get === 'function' && typeof s.set === 'function' && typeof s.delete === 'function';
}

/** Validates attach-time options; throws a TypeError naming the first bad option. */
export function resolveOptions(input: unknown): ResolvedOptions {
  const where = 'options';
  if (input === undefined) input = {};
  if (!isPlainObject(input)) fail('attachStaleCache', 'options', 'must be a plain object', input);
  const o = input as Record<string, unknown> & StaleCacheOptions;
  checkKeys(where, o, OPTION_NAMES);

  if (o.store !== undefined && !isStore(o.store)) {
    fail(
      where,
      'store',
      'must be a CacheStore (async get(key), set(entries), delete(keys)), such as memoryStore() or redisStore(client)',
      o.store,
    );
  }
  const ttl = lifetimeOption(where, 'ttl', o.ttl, DEFAULTS.ttl);
  const staleTtl = lifetimeOption(where, 'staleTtl', o.staleTtl, DEFAULTS.staleTtl);
  const swr = integer(where, 'staleWhileRevalidate', o.staleWhileRevalidate, DEFAULTS.staleWhileRevalidate);
  ttlPair(where, ttl, staleTtl, swr, { ttl: true, staleTtl: true, swr: true });

  const primaryKeyPrefix = prefix(where, 'primaryKeyPrefix', o.primaryKeyPrefix, DEFAULTS.primaryKeyPrefix);
  const staleKeyPrefix = prefix(where, 'staleKeyPrefix', o.staleKeyPrefix, DEFAULTS.staleKeyPrefix);
  if (primaryKeyPrefix === staleKeyPrefix) {
    fail(
      where,
      'staleKeyPrefix',
      'must differ from primaryKeyPrefix (the tiers would overwrite each other)',
      staleKeyPrefix,
    );
  }

  let methods: ReadonlySet<string> = new Set(DEFAULTS.methods);
  if (o.methods !== undefined) {
    if (!Array.isArray(o.methods) || o.methods.length === 0) {
      fail(where, 'methods', 'must be a non-empty array of HTTP methods', o.methods);
    }
    const set = new Set<string>();
    for (const m of o.methods as unknown[]) {
      if (typeof m !== 'string' || !HTTP_METHODS.has(m.toLowerCase())) {
        fail(where, 'methods', `must hold only ${[...HTTP_METHODS].join(', ')}`, m);
      }
      set.add(m.toLowerCase());
    }
    methods = set;
  }

  for (const name of ['isCacheable', 'staleIf', 'route', 'tags'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') fail(where, name, 'must be a function', o[name]);
  }
  for (const name of ['zeroCopy', 'storeSetCookie', 'tagHeaders'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') fail(where, name, 'must be a boolean', o[name]);
  }
  if (o.coalesce !== undefined && typeof o.coalesce !== 'boolean' && o.coalesce !== 'fleet') {
    fail(where, 'coalesce', "must be a boolean or 'fleet'", o.coalesce);
  }

  const store = o.store ?? memoryStore();
  if (o.tags !== undefined && !(store.setTagged && store.deleteTagged)) {
    fail(where, 'tags', 'needs a store with tags (setTagged and deleteTagged: memoryStore, redisStore)', o.tags);
  }
  return {
    store,
    primaryKeyPrefix,
    staleKeyPrefix,
    methods,
    isCacheable: o.isCacheable ?? isCacheableResponse,
    staleIf: o.staleIf ?? isStaleWorthy,
    storeTimeout: timer(where, 'storeTimeout', o.storeTimeout, DEFAULTS.storeTimeout, 1),
    maxEntryBytes: integer(where, 'maxEntryBytes', o.maxEntryBytes, DEFAULTS.maxEntryBytes, 1, 'bytes'),
    coalesce: o.coalesce === undefined ? DEFAULTS.coalesce : o.coalesce !== false,
    // A store without locks (the memory store, in this process anyway): 'fleet' is in process.
    fleet: o.coalesce === 'fleet' && typeof store.getOrLock === 'function' && typeof store.unlock === 'function',
    flightTimeout: timer(where, 'flightTimeout', o.flightTimeout, DEFAULTS.flightTimeout, 1),
    credentialHeaders: credentialMatcher(credentialList(o.credentialHeaders)),
    storeSetCookie: o.storeSetCookie ?? DEFAULTS.storeSetCookie,
    zeroCopy: o.zeroCopy ?? DEFAULTS.zeroCopy,
    storeBreaker: breakerSettings(o.storeBreaker),
    route: o.route,
    tags: o.tags,
    tagHeaders: o.tagHeaders !== false && store.setTagged !== undefined && store.deleteTagged !== undefined,
    policy: {
      ttl,
      staleTtl,
      staleWhileRevalidate: swr,
      vary: headerNames(where, 'vary', o.vary, []),
      key: undefined,
      softTimeout: timer(where, 'softTimeout', o.softTimeout, DEFAULTS.softTimeout),
      failureBackoff: integer(where, 'failureBackoff', o.failureBackoff, DEFAULTS.failureBackoff),
      refreshAhead: fraction(where, 'refreshAhead', o.refreshAhead, 0),
      cacheControl: flag(where, 'cacheControl', o.cacheControl, false),
      conditional: flag(where, 'conditional', o.conditional, false),
    },
  };
}

/**
 * The policy of one request: the shared default when it has no overrides (no allocation on the
 * hot path), else the overrides merged over it. Throws a TypeError for a bad `staleCache`.
 */
export function resolveRequestPolicy(value: unknown, base: RequestPolicy): RequestPolicy {
  if (value === undefined || value === null) return base;
  const where = 'staleCache';
  if (!isPlainObject(value)) fail('config', where, 'must be an options object or false', value);
  const o = value as Record<string, unknown> & StaleCacheRequestOptions;
  checkKeys(where, o, REQUEST_OPTION_NAMES);
  const ttl = integer(where, 'ttl', o.ttl, base.ttl);
  const staleTtl = duration(where, 'staleTtl', o.staleTtl, base.staleTtl);
  const swr = integer(where, 'staleWhileRevalidate', o.staleWhileRevalidate, base.staleWhileRevalidate);
  ttlPair(where, ttl, staleTtl, swr, {
    ttl: o.ttl !== undefined,
    staleTtl: o.staleTtl !== undefined,
    swr: o.staleWhileRevalidate !== undefined,
  });
  for (const name of ['key', 'route'] as const) {
    if (o[name] !== undefined && (typeof o[name] !== 'string' || o[name] === '')) {
      fail(where, name, 'must be a non-empty string', o[name]);
    }
  }
  if (o.tags !== undefined && (!Array.isArray(o.tags) || !o.tags.every(isTag))) {
    fail(where, 'tags', 'must be an array of tags (strings of 1 to 256 printable characters)', o.tags);
  }
  return {
    ttl,
    staleTtl,
    staleWhileRevalidate: swr,
    vary: headerNames(where, 'vary', o.vary, base.vary),
    key: o.key ?? base.key,
    softTimeout: timer(where, 'softTimeout', o.softTimeout, base.softTimeout),
    failureBackoff: integer(where, 'failureBackoff', o.failureBackoff, base.failureBackoff),
    refreshAhead: fraction(where, 'refreshAhead', o.refreshAhead, base.refreshAhead),
    cacheControl: flag(where, 'cacheControl', o.cacheControl, base.cacheControl),
    conditional: flag(where, 'conditional', o.conditional, base.conditional),
  };
}
