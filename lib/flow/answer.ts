import { types } from 'node:util';
import { setState, type CacheContext, type CacheRequest } from './context.js';
import type { Entry, Headers, Snapshot } from '../entry/codec.js';
import { bytesFor, settle, toRawResponse, type RawResponse } from '../entry/response.js';
import { ageHeader } from '../http/freshness.js';
import { notModified } from '../http/validators.js';
import type { StaleCacheMeta } from '../types.js';

/**
 * The one function that turns an entry into a caller's answer, whichever path it leaves by (a hit,
 * a stale answer, a backoff marker, a coalesced waiter taking another's answer): the request's
 * metadata, the caller's own copy decoded for its response options, an `Age` header on an answer
 * from either tier (RFC 9111 §5.1), settled by the caller's validateStatus. Rejects as the adapter
 * would (a body over maxContentLength, a refused status); a body that will not decode throws as it is.
 */
export function answerFrom(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
  meta: StaleCacheMeta,
): RawResponse | Promise<RawResponse> {
  setState(req.config, { meta, url: req.href });
  const raw = rawFrom(ctx, req, entry, meta.state === 'hit' || meta.state === 'stale');
  // Settled at once when the body decodes at once (every case but a Blob): a hit costs no extra turn.
  return types.isPromise(raw) ? raw.then((r) => finish(req, entry, meta, r)) : finish(req, entry, meta, raw);
}

function finish(
  req: CacheRequest,
  entry: Entry,
  meta: StaleCacheMeta,
  raw: RawResponse,
): RawResponse | Promise<RawResponse> {
  // The caller's own validators match the stored answer: 304, its headers, no body (RFC 9110 §15.4.5).
  // Preconditions speak of a 2xx representation (RFC 9110 §13.2.1): a kept 404 is answered as it is.
  const validators = req.callerValidators;
  if (
    validators &&
    meta.state === 'hit' &&
    entry.status >= 200 &&
    entry.status < 300 &&
    notModified(validators, entry)
  ) {
    const headers = raw.headers as Headers;
    for (const name of BODY_HEADERS) delete headers[name];
    raw.status = 304;
    raw.statusText = 'Not Modified';
    const body = emptyBody(req);
    if (types.isPromise(body)) {
      return body.then((data) => {
        raw.data = data;
        return settle(raw);
      });
    }
    raw.data = body;
  }
  return settle(raw);
}

/** No body, in the form this caller's adapter would give it (a Buffer, an ArrayBuffer, a Blob, ''). */
export function emptyBody(req: CacheRequest): unknown {
  const none: Snapshot = {
    status: 204,
    statusText: undefined,
    headers: {},
    kind: req.kind === 'other' ? 'u' : 'b',
    body: new Uint8Array(0),
    redirects: 0,
    url: undefined,
  };
  return req.kind === 'other' ? '' : bytesFor(none, req.config, req.kind, false);
}

const BODY_HEADERS = ['content-length', 'content-encoding', 'transfer-encoding', 'content-range'];

/**
 * An entry as this caller's raw answer, before it is settled: its own copy decoded for its response
 * options, and, for an answer from either tier, the `Age` it has now (RFC 9111 §5.1).
 */
export function rawFrom(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
  aged: boolean,
): RawResponse | Promise<RawResponse> {
  const extra = aged ? { age: ageHeader(entry, entry.headers.age, Date.now()) } : undefined;
  return toRawResponse(entry, req.config, req, ctx.opts.zeroCopy, extra);
}
