import type { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';
import type { DecodedEntries } from '../entry/decoded.js';
import type { Entry } from '../entry/codec.js';
import type { Emitter } from '../events.js';
import type { StoreBreakers } from './breaker.js';
import type { Flood } from './store-errors.js';
import type { Coalescer } from './flights.js';
import type { FleetLocks } from './fleet.js';
import type { Invalidations } from './invalidations.js';
import type { CacheKeys } from '../http/key.js';
import type { Directives } from '../http/freshness.js';
import type { CallerValidators } from '../http/validators.js';
import type { RequestPolicy, ResolvedOptions } from '../options.js';
import type { CacheStats, StaleCacheHandle, StaleCacheMeta } from '../types.js';
import type { AdapterKind, WireUrl } from '../http/wire.js';

/** What one attached instance shares between its requests. */
export interface CacheContext {
  readonly opts: ResolvedOptions;
  readonly events: Emitter;
  readonly stats: CacheStats;
  readonly flights: Coalescer;
  /** This instance's side of the fleet's locks: set when `coalesce: 'fleet'` and the store can lock. */
  readonly fleet: FleetLocks | undefined;
  readonly invalidations: Invalidations;
  /** Writes and background refreshes not yet settled (see handle.settled()). */
  readonly background: Set<Promise<unknown>>;
  /** Recently read entries, decoded: a hot key is not decoded (nor its JSON parsed) again. */
  readonly decoded: DecodedEntries;
  /** Wire URL and digest of recent parameter-less requests (see request.ts addressOf). */
  readonly addresses: Map<string, Address>;
  /** Store calls not yet answered, and the bytes they carry (see store-io.ts). */
  readonly pending: { calls: number; bytes: number };
  /** Store errors of each kind folded since the last event of that kind (see store-errors.ts). */
  readonly floods: Map<string, Flood>;
  /** The store's circuit breakers (one per part of the store); absent when turned off or the store is in process. */
  readonly breakers: StoreBreakers | undefined;
  /** What diagnostics channel messages name as their cache (the handle, set once it exists). */
  readonly source: { cache: StaleCacheHandle };
  /** When a route function last failed with an error event (see observe/route.ts): -Infinity before. */
  routeErrorAt: number;
  detached: boolean;
}

export interface Address {
  /** The URL as sent (no user info): what events show and a hit reports as its response URL. */
  href: string;
  urlDigest: string;
  /** User info in the URL, which the adapter sends as Authorization. */
  userinfo: WireUrl['userinfo'];
}

/** One request on its way through the cache. */
export interface CacheRequest {
  readonly config: TrackedConfig;
  readonly policy: RequestPolicy;
  readonly method: string;
  /** The URL as sent, user info removed. */
  readonly href: string;
  readonly kind: AdapterKind;
  readonly userinfo: WireUrl['userinfo'];
  readonly urlDigest: string;
  readonly keys: CacheKeys;
  readonly upstream: AxiosAdapter;
  /**
   * The request has a `beforeRedirect`: code that may refuse a redirect, or change the next hop. An
   * answer that took a redirect is then neither answered to it nor shared from it.
   */
  readonly guardsRedirects: boolean;
  /** The request's own Cache-Control (and Pragma: no-cache). */
  readonly directives: Directives;
  /** The caller's own If-None-Match / If-Modified-Since: a fresh entry answers them (a 304 when they match). */
  readonly callerValidators: CallerValidators | undefined;
  /** The stored entry this request revalidates (conditional): its validators are sent, a 304 refreshes it. */
  validating?: Entry | undefined;
  /** Why the request goes upstream: a caller's, or the cache's own background refresh (for the upstream channel). */
  readonly purpose?: 'refresh' | undefined;
  /**
   * Fleet coalescing: the token that held this request's lock after its primary read (its own when it
   * took it; see fleet.ts), or undefined when the read found an entry or did not lock.
   */
  fleetHolder?: string | undefined;
  /** The primary read found another variant of the URL's answer at its base key (a response Vary). */
  varies?: boolean;
  /** Invalidation sequence number when the request started (see invalidations.ts). */
  readonly epoch: number;
  /** performance.now() at dispatch. */
  readonly started: number;
  /**
   * Milliseconds spent waiting on other callers' flights: a request that goes upstream after
   * waiting gets only the rest of its own `timeout` (the store lookup, as a network call's DNS
   * would not, does not count against it).
   */
  waited: number;
  /**
   * Milliseconds this request may still spend on the reads of one tier (a base and a variant key):
   * storeTimeout for the primary lookup, and a fresh storeTimeout for the stale read after a failure.
   */
  storeBudget: number;
}

/** Per-request state, carried on the config under a symbol (dispatchRequest's copy keeps symbols). */
export interface RequestState {
  meta: StaleCacheMeta;
  /** The URL as sent (user info removed), redacted only when an event shows it. */
  url: string;
  /** A fresh answer the response interceptor may store once axios has transformed it. */
  pending?: { entry: Entry; req: CacheRequest } | undefined;
  /** Milliseconds from dispatch to the answer, set by the cache adapter. */
  duration?: number;
}

/** Why a request that looked up an entry went upstream (for the debug log, see debug.ts). */
export const WHY: unique symbol = Symbol('axios-stale-cache.why');

export const STATE: unique symbol = Symbol('axios-stale-cache.state');
export type TrackedConfig = InternalAxiosRequestConfig & { [STATE]?: RequestState; [WHY]?: string };

export function setState(config: TrackedConfig, state: RequestState): void {
  config[STATE] = state;
}

/**
 * The one place `response.staleCache` is set: from the request's state, on a response, on the
 * response of an error, or on the error itself. The adapter sets it before any response interceptor runs, whatever their
 * order, and our response interceptor again, in case an earlier interceptor replaced the response.
 */
export function tagResponse(config: TrackedConfig | undefined, response: unknown): void {
  const meta = config?.[STATE]?.meta;
  if (meta && response !== null && typeof response === 'object') {
    (response as { staleCache?: StaleCacheMeta }).staleCache = meta;
  }
}

/** Runs a user callback; one that throws counts as `false` and is reported, never thrown. */
export function askUser<A>(
  ctx: CacheContext,
  op: 'isCacheable' | 'staleIf',
  key: string,
  fn: (arg: A) => boolean,
  arg: A,
): boolean {
  try {
    return fn(arg) === true;
  } catch (error) {
    ctx.events.emit('error', { op, key, error });
    return false;
  }
}
