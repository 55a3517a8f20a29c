import { types } from 'node:util';
import axios, { type InternalAxiosRequestConfig } from 'axios';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from '../entry/codec.js';
import { staleAnswer } from './stale.js';
import type { Outcome } from './flights.js';
import { classifyRejection, isShareable, responseVary } from '../http/rules.js';
import {
  bytesFor,
  parseDeclaredJson,
  settleAsync,
  toRawResponse,
  toSnapshot,
  type RawResponse,
} from '../entry/response.js';
import { storeError } from './store-io.js';
import { variedDigest } from './tiers.js';
import type { StaleCacheMeta, UpstreamFailure } from '../types.js';

export type Settled = { ok: true; value: RawResponse } | { ok: false; error: unknown };

/** The leader's result: what its own caller gets, and what the callers waiting on it get. */
export interface LeaderResult {
  own: Settled;
  shared: Outcome;
}

/** An upstream answer: the caller's own response or error, and a copy of the response as an entry. */
export type Called =
  | { ok: true; raw: RawResponse; entry: Entry | undefined }
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
  try {
    const snapshot = toSnapshot(raw);
    if (!snapshot) return undefined;
    const vary = responseVary(snapshot.headers);
    const names = vary === '*' ? undefined : vary;
    return {
      ...snapshot,
      storedAt: Date.now(),
      ttl: req.policy.ttl,
      id: req.keys.id,
      vary: names,
      varied: names && variedDigest(req, names),
    };
  } catch (error) {
    storeError(ctx, 'encode', req.keys.primary, error); // JSON.stringify threw on a custom adapter's data
    return undefined;
  }
}

/** The request's own time left, if it has a timeout (a request that waited on another has spent some). */
export function timeLeft(req: CacheRequest): number | undefined {
  const timeout = req.config.timeout ?? 0;
  if (!(timeout > 0)) return undefined;
  return Math.max(1, Math.ceil(timeout - req.waited));
}

/**
 * Calls the upstream adapter. axios's own adapters are asked for the body as bytes, which is what
 * the entry keeps; the caller then gets those bytes decoded for its own responseType and
 * responseEncoding, exactly as the adapter would have (and the same way a hit does). A request that
 * already spent time waiting on another caller's flight gets only the rest of its timeout.
 */
export async function callUpstream(
  ctx: CacheContext,
  req: CacheRequest,
  config: InternalAxiosRequestConfig = req.config,
): Promise<Called> {
  const { responseType, timeout, timeoutErrorMessage } = config;
  const left = config === req.config ? timeLeft(req) : undefined;
  const asBytes = req.kind !== 'other';
  if (asBytes) config.responseType = 'arraybuffer';
  if (left !== undefined && left < (timeout ?? 0)) {
    config.timeout = left;
    config.timeoutErrorMessage = timeoutErrorMessage ?? `timeout of ${timeout}ms exceeded`;
  }
  let result: Called;
  try {
    const raw = (await req.upstream(config)) as RawResponse;
    result = { ok: true, raw, entry: entryOf(ctx, req, raw) };
  } catch (error) {
    const response = axios.isAxiosError(error) ? (error.response as RawResponse | undefined) : undefined;
    result = { ok: false, error, entry: entryOf(ctx, req, response) };
  } finally {
    config.responseType = responseType;
    config.timeout = timeout;
    config.timeoutErrorMessage = timeoutErrorMessage;
  }
  const response = result.ok
    ? result.raw
    : axios.isAxiosError(result.error)
      ? (result.error.response as RawResponse | undefined)
      : undefined;
  if (asBytes && response && result.entry && (Buffer.isBuffer(response.data) || types.isArrayBuffer(response.data))) {
    response.data = await bytesFor(result.entry, config, req.kind, false);
  }
  return result;
}

/** True when a failure came from this caller's own limits, which its waiters do not share. */
function ownLimit(failure: UpstreamFailure): boolean {
  if (failure.cause === 'timeout') return true;
  const error = failure.error;
  if (!axios.isAxiosError(error)) return false;
  return error.code === 'ERR_FR_TOO_MANY_REDIRECTS' || /^maxContentLength size of/.test(error.message);
}

/**
 * Asks the upstream; on a failure staleIf accepts, answers from the stale tier; otherwise hands
 * back the very response or error the upstream produced.
 */
export async function fetchWithFallback(ctx: CacheContext, req: CacheRequest): Promise<LeaderResult> {
  const { config, keys } = req;
  const called = await callUpstream(ctx, req);
  const { entry } = called;
  const response = called.ok ? called.raw : axios.isAxiosError(called.error) ? called.error.response : undefined;
  // Judged on the headers as they came: the entry's have lost Set-Cookie already.
  const shareable = entry !== undefined && isShareable(response?.headers, ctx.opts.storeSetCookie);
  let failure: UpstreamFailure | undefined;
  let parsed: { ok: true; value: unknown } | undefined;
  if (called.ok) {
    const raw = called.raw;
    if (raw.status >= 400) {
      failure = { cause: 'status', status: raw.status };
    } else {
      const json = parseDeclaredJson(raw);
      if (json?.ok === false) failure = { cause: 'bad-response', status: raw.status };
      else parsed = json;
    }
    if (!failure) {
      if (parsed) raw.data = parsed.value; // axios passes a non-string through: no second parse
      const meta: StaleCacheMeta = { state: 'miss', key: keys.primary };
      setState(config, { meta, url: req.href, pending: shareable ? { entry, req } : undefined });
      return { own: { ok: true, value: raw }, shared: shareable ? { kind: 'answer', entry, meta } : { kind: 'alone' } };
    }
  } else {
    failure = classifyRejection(called.error);
    // cancelled by its caller
    if (!failure) return { own: { ok: false, error: called.error }, shared: { kind: 'retry' } };
  }

  const waiters: Outcome | undefined = ownLimit(failure) ? { kind: 'retry' } : undefined;
  const stale = await staleAnswer(ctx, req, failure);
  if (stale) {
    setState(config, { meta: stale.meta, url: req.href });
    let own: Settled;
    try {
      own = { ok: true, value: await settleAsync(toRawResponse(stale.entry, config, req, ctx.opts.zeroCopy)) };
    } catch (error) {
      own = { ok: false, error };
    }
    return { own, shared: waiters ?? { kind: 'answer', entry: stale.entry, meta: stale.meta } };
  }

  const meta: StaleCacheMeta = { state: 'miss', key: keys.primary };
  setState(config, { meta, url: req.href });
  // A whole HTTP answer is shared as an answer: each waiter settles it by its own validateStatus.
  const answered: Outcome = entry && shareable ? { kind: 'answer', entry, meta } : { kind: 'alone' };
  if (!called.ok) {
    const shared =
      waiters ?? (entry && failure.cause === 'status' ? answered : { kind: 'error', error: called.error, meta });
    return { own: { ok: false, error: called.error }, shared };
  }
  return { own: { ok: true, value: called.raw }, shared: waiters ?? answered };
}
