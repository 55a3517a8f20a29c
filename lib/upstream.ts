import axios from 'axios';
import { setState, storeError, type CacheContext, type CacheRequest } from './context.js';
import type { Entry } from './entry.js';
import { staleAnswer } from './fallback.js';
import type { Outcome } from './flights.js';
import { classifyRejection, isShareable } from './policy.js';
import { parseDeclaredJson, settle, toRawResponse, toSnapshot, type RawResponse } from './response.js';
import type { StaleCacheMeta, UpstreamFailure } from './types.js';

export type Settled = { ok: true; value: RawResponse } | { ok: false; error: unknown };

/** The leader's result: what its own caller gets, and what the callers waiting on it get. */
export interface LeaderResult {
  own: Settled;
  shared: Outcome;
}

/** A copy of an answer for the entry and for waiters; undefined when the body cannot be stored. */
function snapshotEntry(ctx: CacheContext, req: CacheRequest, raw: RawResponse | undefined): Entry | undefined {
  if (!raw) return undefined;
  try {
    const snapshot = toSnapshot(raw);
    return snapshot && { ...snapshot, storedAt: Date.now() };
  } catch (error) {
    storeError(ctx, 'encode', req.keys.primary, error); // JSON.stringify threw on a custom adapter's data
    return undefined;
  }
}

/**
 * Asks the upstream; on a failure staleIf accepts, answers from the stale tier; otherwise hands
 * back the very response or error the upstream produced.
 */
export async function fetchWithFallback(ctx: CacheContext, req: CacheRequest): Promise<LeaderResult> {
  const { config, keys } = req;
  let raw: RawResponse | undefined;
  let failure: UpstreamFailure | undefined;
  let parsed: { ok: true; value: unknown } | undefined;
  let rejected = false;
  let rejection: unknown;
  try {
    raw = (await req.upstream(config)) as RawResponse;
    if (raw.status >= 400) {
      failure = { cause: 'status', status: raw.status };
    } else {
      const json = parseDeclaredJson(raw);
      if (json?.ok === false) failure = { cause: 'bad-response', status: raw.status };
      else parsed = json;
    }
  } catch (error) {
    failure = classifyRejection(error);
    if (!failure) return { own: { ok: false, error }, shared: { kind: 'retry' } }; // cancelled by its caller
    rejected = true;
    rejection = error;
  }

  if (!failure && raw) {
    const entry = snapshotEntry(ctx, req, raw);
    if (parsed) raw.data = parsed.value; // axios passes a non-string through: no second parse
    const meta: StaleCacheMeta = { state: 'miss', key: keys.primary };
    setState(config, { meta, url: req.url, pending: entry && { entry, keys, policy: req.policy } });
    return { own: { ok: true, value: raw }, shared: entry && isShareable(raw.headers) ? { kind: 'answer', entry, meta } : { kind: 'alone' } };
  }

  const stale = failure && (await staleAnswer(ctx, req, failure));
  if (stale) {
    setState(config, { meta: stale.meta, url: req.url });
    let own: Settled;
    try {
      own = { ok: true, value: settle(toRawResponse(stale.entry, config, ctx.opts.zeroCopy)) };
    } catch (error) {
      own = { ok: false, error };
    }
    return { own, shared: { kind: 'answer', entry: stale.entry, meta: stale.meta } };
  }

  const meta: StaleCacheMeta = { state: 'miss', key: keys.primary };
  setState(config, { meta, url: req.url });
  if (rejected) {
    const response = axios.isAxiosError(rejection) ? rejection.response : undefined;
    return {
      own: { ok: false, error: rejection },
      shared: { kind: 'error', error: rejection, response: snapshotEntry(ctx, req, response as RawResponse | undefined), meta },
    };
  }
  const entry = snapshotEntry(ctx, req, raw);
  return { own: { ok: true, value: raw as RawResponse }, shared: entry ? { kind: 'answer', entry, meta } : { kind: 'alone' } };
}
