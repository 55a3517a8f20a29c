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
export async function answerFrom(
  ctx: CacheContext,
  req: CacheRequest,
  entry: Entry,
  meta: StaleCacheMeta,
): Promise<RawResponse> {
  setState(req.config, { meta, url: req.href });
  const fromTier = meta.state === 'hit' || meta.state === 'stale';
  const raw = await rawFrom(ctx, req, entry, fromTier);
  const headers = raw.headers as Headers;
  // The caller's own validators match the stored answer: 304, its headers, no body (RFC 9110 §15.4.5).
  // Preconditions speak of a 2xx representation (RFC 9110 §13.2.1): a kept 404 is answered as it is.
  const ok = entry.status >= 200 && entry.status < 300;
  if (req.callerValidators && meta.state === 'hit' && ok && notModified(req.callerValidators, entry)) {
    for (const name of BODY_HEADERS) delete headers[name];
    raw.status = 304;
    raw.statusText = 'Not Modified';
    raw.data = await emptyBody(req);
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
export async function rawFrom(ctx: CacheContext, req: CacheRequest, entry: Entry, aged: boolean): Promise<RawResponse> {
  const raw = await toRawResponse(entry, req.config, req, ctx.opts.zeroCopy);
  if (aged) (raw.headers as Headers).age = ageHeader(entry, entry.headers.age, Date.now());
  return raw;
}
