import { AxiosHeaders, type AxiosResponse, type AxiosResponseTransformer } from 'axios';
import { askUser, type CacheContext, type CacheRequest } from './context.js';
import { configCopy, ownRequest } from './own-request.js';
import type { Entry } from '../entry/codec.js';
import { parseDeclaredJson, type RawResponse } from '../entry/response.js';
import { track } from './store-io.js';
import { flightFor } from './flights.js';
import { callUpstream, mayShare, type Called } from './upstream.js';
import { writeTiers } from './write.js';
import { redactUrl } from '../http/wire.js';

/**
 * The refresh, captured now: the caller's request, detached from the caller (its abort signal and
 * progress hooks stay with it), bounded like any request: by its own timeout, or by flightTimeout
 * when it has none, so that settled() always resolves.
 */
function refreshRequest(req: CacheRequest, cap: number): CacheRequest {
  const copy = configCopy(req.config);
  copy.onDownloadProgress = undefined;
  copy.onUploadProgress = undefined;
  if (!((copy.timeout ?? 0) > 0)) copy.timeout = cap;
  return ownRequest(req, copy);
}

/** axios's response transform, for an answer that does not travel through axios. */
function transformed(raw: RawResponse, data: unknown): AxiosResponse {
  const headers = AxiosHeaders.from(raw.headers as ConstructorParameters<typeof AxiosHeaders>[0]);
  const fns = raw.config.transformResponse;
  const list: AxiosResponseTransformer[] = fns === undefined ? [] : Array.isArray(fns) ? fns : [fns];
  for (const fn of list) data = fn.call(raw.config, data, headers, raw.status);
  return { ...raw, data, headers } as AxiosResponse;
}

/** Refreshes the entry; returns it when it may be handed to waiters. */
async function refresh(ctx: CacheContext, own: CacheRequest, progress: () => void): Promise<Entry | undefined> {
  return keep(ctx, own, await callUpstream(ctx, own, { progress }));
}

/**
 * A background request's answer, which no caller takes: written to both tiers if isCacheable accepts
 * it as axios would have transformed it; returned when it may be handed to waiters. Throws for a failure.
 */
export function keep(ctx: CacheContext, req: CacheRequest, called: Called): Entry | undefined {
  if (!called.ok) throw called.error;
  const raw = called.raw;
  if (raw.status >= 400) throw new Error(`revalidation of ${redactUrl(req.href)} answered ${raw.status}`);
  const json = parseDeclaredJson(raw);
  if (json?.ok === false) throw new Error(`revalidation of ${redactUrl(req.href)} answered malformed JSON`);
  const entry = called.entry;
  if (!entry || !mayShare(ctx, req, raw.headers, entry)) return undefined;
  const response = transformed(raw, json?.ok ? json.value : raw.data);
  if (askUser(ctx, 'isCacheable', req.keys.primary, ctx.opts.isCacheable, response)) writeTiers(ctx, req, entry);
  return entry;
}

/**
 * Refreshes both tiers in the background, once per key however many callers see the entry age:
 * the refresh is a flight that true misses can join. A failure is an 'error' event, never a rejection.
 */
export function revalidate(ctx: CacheContext, req: CacheRequest): boolean {
  const key = req.keys.primary;
  if (flightFor(ctx, req, ctx.opts.flightTimeout)) return false;
  const leader = ctx.flights.lead(key, req.epoch);
  const job = refresh(ctx, refreshRequest(req, ctx.opts.flightTimeout), () => leader.progress()).then(
    (entry) => leader.publish(entry ? { kind: 'answer', entry, meta: { state: 'miss', key } } : { kind: 'alone' }),
    (error: unknown) => {
      leader.publish({ kind: 'retry' });
      ctx.events.emit('error', { op: 'revalidate', key, error });
    },
  );
  track(ctx, job);
  return true;
}
