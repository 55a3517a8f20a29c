import axios, { AxiosHeaders, type AxiosResponse, type AxiosResponseTransformer } from 'axios';
import { askUser, type CacheContext, type CacheRequest } from './context.js';
import { refreshRequest } from './own-request.js';
import type { Entry } from '../entry/codec.js';
import type { RawResponse } from '../entry/response.js';
import { leadInBackground } from './coalesce.js';
import { callUpstream, judge, mayShare, type Called } from './upstream.js';
import type { UpstreamFailure } from '../types.js';
import { storeAnswer, writeTiers } from './write.js';
import { redactUrl } from '../http/wire.js';
import { cacheableBy } from '../http/rules.js';

/** axios's response transform, for an answer that does not travel through axios. */
function transformed(raw: RawResponse, data: unknown): AxiosResponse {
  const headers = AxiosHeaders.from(raw.headers as ConstructorParameters<typeof AxiosHeaders>[0]);
  const fns = raw.config.transformResponse;
  const list: AxiosResponseTransformer[] = fns === undefined ? [] : Array.isArray(fns) ? fns : [fns];
  for (const fn of list) data = fn.call(raw.config, data, headers, raw.status);
  return { ...raw, data, headers } as AxiosResponse;
}

/** Refreshes the entry; returns it when it may be handed to waiters. Rejects with why it failed. */
async function refresh(ctx: CacheContext, own: CacheRequest, progress: () => void): Promise<Entry | undefined> {
  const kept = keep(ctx, own, await callUpstream(ctx, own, { progress }));
  if ('failure' in kept) {
    const { failure } = kept;
    throw (
      failure.error ??
      new Error(
        `revalidation of ${redactUrl(own.href)} answered ${failure.cause === 'bad-response' ? 'malformed JSON' : failure.status}`,
      )
    );
  }
  return kept.entry;
}

/**
 * A background request's answer, which no caller takes, judged as any answer is (upstream.ts judge):
 * a success is written to both tiers if isCacheable accepts it as axios would have transformed it,
 * and returned when it may be handed to waiters; otherwise why it failed (an abort at the cap of a
 * background request is its timeout).
 */
export function keep(
  ctx: CacheContext,
  req: CacheRequest,
  called: Called,
): { entry: Entry | undefined } | { failure: UpstreamFailure } {
  const verdict = judge(called);
  if (verdict.kind === 'cancelled') return { failure: { cause: 'timeout', error: verdict.error } };
  if (verdict.kind === 'failure') {
    // With cacheControl an error the server gave freshness to (a 404 for an hour) is an answer to
    // keep, as the caller's own request would have kept it (flow/write.ts storeAnswer decides).
    const entry = called.entry;
    const response = called.ok ? called.raw : axios.isAxiosError(called.error) ? called.error.response : undefined;
    if (verdict.failure.cause === 'status' && req.policy.cacheControl && entry && response) {
      if (mayShare(ctx, req, response.headers, entry)) storeAnswer(ctx, response as AxiosResponse, entry, req);
      if (storedError(entry, req)) return { entry: undefined };
    }
    return { failure: verdict.failure };
  }
  const { raw, parsed } = verdict;
  const entry = called.entry;
  if (!entry || !mayShare(ctx, req, raw.headers, entry)) return { entry: undefined };
  const response = transformed(raw, parsed ? parsed.value : raw.data);
  if (askUser(ctx, 'isCacheable', req.keys.primary, ctx.opts.isCacheable, response))
    writeTiers(ctx, req, entry, response as AxiosResponse);
  return { entry };
}

/**
 * Refreshes both tiers in the background, once per key however many callers see the entry age (once
 * per fleet with coalesce: 'fleet'): the refresh is a flight that true misses can join. A failure is
 * an 'error' event, never a rejection.
 */
export function revalidate(ctx: CacheContext, req: CacheRequest): boolean {
  const key = req.keys.primary;
  return leadInBackground(
    ctx,
    req,
    () => refreshRequest(req, ctx.opts.flightTimeout),
    async (own, progress) => {
      const entry = await refresh(ctx, own, progress);
      return entry ? { kind: 'answer', entry, meta: { state: 'miss', key } } : { kind: 'alone' };
    },
    (error) => ctx.events.emit('error', { op: 'revalidate', key, error }),
  );
}

/** An error answer cacheControl keeps (a 404 with freshness, never a 5xx): a refresh that got it did not fail. */
function storedError(entry: Entry, req: CacheRequest): boolean {
  const how = entry.explicit ? 'explicit' : 'heuristic';
  return req.policy.cacheControl && cacheableBy(entry.status, entry.headers['cache-control'], how);
}
