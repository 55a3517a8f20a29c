import { types } from 'node:util';
import axios from 'axios';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { staleAnswer } from './stale.js';
import type { Outcome } from './flights.js';
import { active, upstreamChannel } from '../observe/channels.js';
import { redactUrl } from '../http/wire.js';
import { traceUpstream } from '../observe/traces.js';
import { classifyRejection, isShareable, readHeader, responseVary, surrogateNoStore } from '../http/rules.js';
import { bytesFor, parseDeclaredJson, settle, toSnapshot, type RawResponse } from '../entry/response.js';
import { refreshedBy } from './conditional.js';
import { adapterConfig, rebind } from './own-request.js';
import { answerFrom, rawFrom } from './answer.js';
import { freshnessOf } from '../http/freshness.js';
import { storeError } from './store-errors.js';
import { variedDigest } from './tiers.js';
import { startBackoff } from './backoff.js';
import { withProgress } from './progress.js';
import type { StaleCacheMeta, UpstreamFailure } from '../types.js';

export type Settled = { ok: true; value: RawResponse } | { ok: false; error: unknown };

/** A caller's answer, or what it rejected with, as a Settled. */
export async function settled(answer: RawResponse | Promise<RawResponse>): Promise<Settled> {
  try {
    return { ok: true, value: await answer };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The leader's result: what its own caller gets, and what the callers waiting on it get. */
export interface LeaderResult {
  own: Settled;
  shared: Outcome;
  /**
   * Set when `own` and `shared` are an early answer (softTimeout) and the upstream request goes on:
   * the final outcome for waiters that do not take early answers. Never rejects.
   */
  later?: Promise<Outcome>;
  /**
   * Set when a backoff marker is being written: `shared` is published once it settled, so that until
   * the marker is in the store, a request of this process still finds the flight (never neither).
   */
  settling?: Promise<void> | undefined;
}

/** An upstream answer: the caller's own response or error, and a copy of the response as an entry. */
export type Called =
  | { ok: true; raw: RawResponse; entry: Entry | undefined; revalidated?: boolean }
  | { ok: false; error: unknown; entry: Entry | undefined };

/**
 * The storable copy of an answer, bound to this request's key and varied headers; undefined when it
 * cannot be stored.
 */
export function entryOf(
  ctx: CacheContext,
  req: CacheRequest,
  raw: Omit<RawResponse, 'config'> | undefined,
): Entry | undefined {
  if (!raw) return undefined;
  // A 304 is about a copy: the entry it refreshes when this request revalidates one (notModified),
  // never an entry of its own.
  if (raw.status === 304) return undefined;
  try {
    // axios's own adapters were asked for bytes for the cache alone: their callers get a decoding of
    // their own (callUpstream), so the entry keeps the adapter's bytes without a copy.
    const snapshot = toSnapshot(raw, req.kind !== 'other');
    if (!snapshot) return undefined;
    const vary = responseVary(snapshot.headers);
    const names = vary === '*' ? undefined : vary;
    return {
      ...snapshot,
      ...freshnessOf(req.policy, { method: req.method, url: req.href }, snapshot),
      storedAt: Date.now(),
      id: req.keys.id,
      vary: names,
      varied: names && variedDigest(req, names),
      src: redactUrl(req.href),
    };
  } catch (error) {
    storeError(ctx, 'encode', req.keys.primary, error); // JSON.stringify threw on a custom adapter's data
    return undefined;
  }
}

/** What the coalescing protocol asks of an upstream call it leads. */
export interface CallHooks {
  /** Called as bytes of the answer arrive (a flight that shows progress stays joinable). */
  progress?: (() => void) | undefined;
  /** Aborts the request: a second request for a silent flight, once the flight answered after all. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls the upstream adapter. axios's own adapters are asked for the body as bytes, which is what
 * the entry keeps; the caller then gets those bytes decoded for its own responseType and
 * responseEncoding, exactly as the adapter would have (and the same way a hit does). A request that
 * already spent time waiting on another caller's flight gets only the rest of its timeout.
 */
export async function callUpstream(ctx: CacheContext, req: CacheRequest, hooks: CallHooks = {}): Promise<Called> {
  const { config, unlink } = adapterConfig(req, hooks.signal);
  const asBytes = req.kind !== 'other';
  const { progress } = hooks;
  let result: Called;
  try {
    const send = (): Promise<unknown> => req.upstream(config);
    const call = active(upstreamChannel)
      ? () =>
          traceUpstream(
            ctx,
            {
              config: req.config,
              method: req.method,
              url: req.href,
              purpose: req.purpose ?? 'request',
              revalidation: req.validating !== undefined,
            },
            send,
          )
      : send;
    const sent = progress ? withProgress(progress, call) : call();
    const raw = (await sent) as RawResponse;
    result = { ok: true, raw, entry: entryOf(ctx, req, raw) };
  } catch (error) {
    const response = axios.isAxiosError(error) ? (error.response as RawResponse | undefined) : undefined;
    result = { ok: false, error, entry: entryOf(ctx, req, response) };
  } finally {
    unlink();
  }
  rebind(result, req.config);
  const response = result.ok
    ? result.raw
    : axios.isAxiosError(result.error)
      ? (result.error.response as RawResponse | undefined)
      : undefined;
  if (asBytes && response && result.entry && (Buffer.isBuffer(response.data) || types.isArrayBuffer(response.data))) {
    response.data = await bytesFor(result.entry, req.config, req.kind, false);
  }
  if (req.validating && result.ok && result.raw.status === 304)
    return notModified(ctx, req, req.validating, result.raw);
  return result;
}

/** A 304 to a revalidation: the stored entry, refreshed, is the answer (its caller's own decoding of it). */
async function notModified(ctx: CacheContext, req: CacheRequest, stored: Entry, raw: RawResponse): Promise<Called> {
  const entry = refreshedBy(req, stored, raw);
  try {
    const answer = await rawFrom(ctx, req, entry, true);
    // The 304's cookie is this caller's (the entry never keeps one); with it the answer is neither
    // stored nor shared, as a 200 with a cookie would not be (see mayShare).
    const cookie = readHeader(raw.headers, 'set-cookie');
    if (cookie !== undefined && cookie !== null) (answer.headers as Record<string, unknown>)['set-cookie'] = cookie;
    return { ok: true, raw: settle(answer), entry, revalidated: true };
  } catch (error) {
    // A refreshed entry the caller's validateStatus refuses (a 404 cacheControl kept) is still refreshed.
    return { ok: false, error, entry };
  }
}

/** True when a failure came from this caller's own limits, which its waiters do not share. */
function ownLimit(failure: UpstreamFailure): boolean {
  if (failure.cause === 'timeout') return true;
  const error = failure.error;
  if (!axios.isAxiosError(error)) return false;
  return error.code === 'ERR_FR_TOO_MANY_REDIRECTS' || /^maxContentLength size of/.test(error.message);
}

/** A failure of the upstream's making (a timeout included), not of this caller's other limits: it starts a backoff. */
export function upstreamsFault(failure: UpstreamFailure): boolean {
  return failure.cause === 'timeout' || !ownLimit(failure);
}

/**
 * What an upstream answer amounts to: a success (with its JSON parsed once, when axios would parse
 * it), a failure with its cause, or the caller's own cancellation.
 */
export type Verdict =
  | { kind: 'success'; raw: RawResponse; parsed: { ok: true; value: unknown } | undefined }
  | { kind: 'failure'; failure: UpstreamFailure }
  | { kind: 'cancelled'; error: unknown };

/**
 * The one judge of an upstream answer, for a caller's request and for the cache's own (the refresh,
 * softTimeout's background end): a success (a 304 to a revalidation arrives here as the refreshed
 * entry's 200), a failure and its cause, or a cancellation.
 */
export function judge(called: Called): Verdict {
  if (!called.ok) {
    const failure = classifyRejection(called.error);
    return failure ? { kind: 'failure', failure } : { kind: 'cancelled', error: called.error };
  }
  const raw = called.raw;
  if (raw.status >= 400) return { kind: 'failure', failure: { cause: 'status', status: raw.status } };
  const json = parseDeclaredJson(raw);
  if (json?.ok === false) return { kind: 'failure', failure: { cause: 'bad-response', status: raw.status } };
  return { kind: 'success', raw, parsed: json };
}

/**
 * Whether an answer may be stored and handed to anyone but its caller: judged on its headers as they
 * came (the entry's have lost Set-Cookie), and not when the caller's beforeRedirect saw it redirected.
 */
export function mayShare(ctx: CacheContext, req: CacheRequest, headers: unknown, entry: Entry | undefined): boolean {
  if (entry === undefined || (req.guardsRedirects && entry.redirects > 0)) return false;
  if (req.policy.cacheControl && surrogateNoStore(headers)) return false;
  return isShareable(headers, ctx.opts.storeSetCookie);
}

function shareableOf(ctx: CacheContext, req: CacheRequest, called: Called): boolean {
  const response = called.ok ? called.raw : axios.isAxiosError(called.error) ? called.error.response : undefined;
  return mayShare(ctx, req, response?.headers, called.entry);
}

/** Success: the caller gets the answer, the response interceptor stores it, waiters share it. */
function remember(
  ctx: CacheContext,
  req: CacheRequest,
  called: Called,
  raw: RawResponse,
  parsed: { ok: true; value: unknown } | undefined,
): LeaderResult {
  if (parsed) raw.data = parsed.value; // axios passes a non-string through: no second parse
  const shareable = shareableOf(ctx, req, called);
  const { entry } = called;
  const meta: StaleCacheMeta =
    called.ok && called.revalidated && entry
      ? { state: 'hit', key: req.keys.primary, storedAt: entry.storedAt, age: 0, status: 304, revalidated: true }
      : { state: 'miss', key: req.keys.primary, status: raw.status };
  setState(req.config, { meta, url: req.href, pending: shareable && entry ? { entry, req } : undefined });
  return {
    own: { ok: true, value: raw },
    shared: shareable && entry ? { kind: 'answer', entry, meta } : { kind: 'alone' },
  };
}

/** A failure answered from the stale tier; waiters share it unless the failure was the leader's own limit. */
async function answerStale(
  ctx: CacheContext,
  req: CacheRequest,
  stale: NonNullable<Awaited<ReturnType<typeof staleAnswer>>>,
  failure: UpstreamFailure,
): Promise<LeaderResult> {
  const settling = upstreamsFault(failure) ? startBackoff(ctx, req, stale.entry) : undefined;
  return {
    own: await settled(answerFrom(ctx, req, stale.entry, stale.meta)),
    shared: ownLimit(failure) ? { kind: 'retry' } : { kind: 'answer', entry: stale.entry, meta: stale.meta },
    settling,
  };
}

/**
 * No stale answer: the very response or error the upstream produced. A whole HTTP answer is shared
 * as an answer (each waiter settles it by its own validateStatus), a network failure as the error,
 * a failure on the leader's own limits not at all.
 */
function original(ctx: CacheContext, req: CacheRequest, called: Called, failure: UpstreamFailure): LeaderResult {
  const meta = failedMeta(req, failure);
  const { entry } = called;
  const shareable = entry !== undefined && shareableOf(ctx, req, called);
  // With cacheControl an error the server gives freshness to (a 404 for an hour) is kept like any answer.
  const pending = shareable && req.policy.cacheControl && failure.cause === 'status' ? { entry, req } : undefined;
  setState(req.config, { meta, url: req.href, pending });
  const answered: Outcome = shareable ? { kind: 'answer', entry, meta } : { kind: 'alone' };
  if (!called.ok) {
    const shared: Outcome = ownLimit(failure)
      ? { kind: 'retry' }
      : entry && failure.cause === 'status'
        ? answered
        : { kind: 'error', error: called.error, meta };
    return { own: { ok: false, error: called.error }, shared };
  }
  return { own: { ok: true, value: called.raw }, shared: ownLimit(failure) ? { kind: 'retry' } : answered };
}

/** A request that failed upstream with no stale answer. */
export function failedMeta(req: CacheRequest, failure: UpstreamFailure): StaleCacheMeta {
  const meta: StaleCacheMeta = { state: 'failed', key: req.keys.primary, cause: failure.cause };
  if (failure.status !== undefined) meta.status = failure.status;
  return meta;
}

/**
 * The lower half of tornado-stale-client's fetch(): ask the upstream; on success remember and
 * return; on a failure staleIf accepts, the stale tier; else the original response or error.
 */
export async function fetchWithFallback(
  ctx: CacheContext,
  req: CacheRequest,
  hooks?: CallHooks,
): Promise<LeaderResult> {
  return settleCalled(ctx, req, await callUpstream(ctx, req, hooks)); //     1. ask the upstream
}

/**
 * What the caller and its waiters get for an upstream answer; `staleRead` is a read of the stale tier
 * already under way (softTimeout starts one beside the upstream request).
 */
export async function settleCalled(
  ctx: CacheContext,
  req: CacheRequest,
  called: Called,
  staleRead?: Promise<Entry | null>,
): Promise<LeaderResult> {
  const verdict = judge(called);
  if (verdict.kind === 'cancelled') return { own: { ok: false, error: verdict.error }, shared: { kind: 'retry' } };
  if (verdict.kind === 'success') return remember(ctx, req, called, verdict.raw, verdict.parsed); // 2. remember
  const stale = await staleAnswer(ctx, req, verdict.failure, staleRead); // 3. else stale
  if (stale) return answerStale(ctx, req, stale, verdict.failure);
  return original(ctx, req, called, verdict.failure); //             4. else the original
}
