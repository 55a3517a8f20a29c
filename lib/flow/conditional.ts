import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import type { CacheRequest } from './context.js';
import type { Entry, Headers } from '../entry/codec.js';
import { toSnapshot, type RawResponse } from '../entry/response.js';
import { freshnessOf, validatorsOf } from '../http/freshness.js';

/*
 * `conditional: true`: an expired entry with validators is revalidated instead of downloaded again
 * (RFC 9111 §4.3): the request of the cache's own carries If-None-Match / If-Modified-Since, accepts
 * a 304, and a 304 refreshes the stored entry with its headers (§4.3.4) and answers its body.
 */

// What a 304 does not change of the stored answer: what describes the stored body (RFC 9111 §3.2),
// and the validator it was revalidated with.
const KEEP_STORED = new Set([
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'content-range',
  'content-md5',
  'etag',
]);

/** The request sent to revalidate `entry`: its validators added, a 304 accepted, on a copy of the headers. */
export function withValidators(config: InternalAxiosRequestConfig, entry: Entry): void {
  const headers = new AxiosHeaders(config.headers);
  const { etag, lastModified } = validatorsOf(entry);
  if (etag !== undefined) headers.set('If-None-Match', etag);
  if (lastModified !== undefined) headers.set('If-Modified-Since', lastModified);
  config.headers = headers;
  const validate = config.validateStatus;
  config.validateStatus = (status) => status === 304 || !validate || validate(status);
}

/**
 * The stored entry refreshed by a 304: its headers updated with the 304's (but those that describe
 * the stored body), stored now, its freshness recomputed from the merged headers by the policy of
 * the request that revalidated it.
 */
export function refreshedBy(req: CacheRequest, stored: Entry, notModified: Omit<RawResponse, 'config'>): Entry {
  const fresh = toSnapshot({ ...notModified, data: Buffer.alloc(0) }, true);
  const headers: Headers = { ...stored.headers };
  for (const [name, value] of Object.entries(fresh?.headers ?? {})) {
    if (!KEEP_STORED.has(name)) headers[name] = value;
  }
  const { until: _until, reusable: _reusable, template: _template, ...kept } = stored;
  return {
    ...kept,
    explicit: undefined,
    swr: undefined,
    sie: undefined,
    mustRevalidate: undefined,
    noCache: undefined,
    headers,
    ...freshnessOf(req.policy, { method: req.method, url: req.href }, { status: stored.status, headers }),
    storedAt: Date.now(),
  };
}
