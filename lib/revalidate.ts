import { AxiosHeaders, type AxiosResponse, type AxiosResponseTransformer, type InternalAxiosRequestConfig } from 'axios';
import { askUser, track, STATE, type CacheContext, type CacheRequest, type TrackedConfig } from './context.js';
import type { Entry } from './entry.js';
import { isShareable } from './policy.js';
import { parseDeclaredJson, toSnapshot, type RawResponse } from './response.js';
import { writeTiers } from './write.js';

/** The caller's request, detached from the caller: its abort signal and progress hooks stay with it. */
function backgroundConfig(config: TrackedConfig): InternalAxiosRequestConfig {
  const copy = Object.assign(Object.create(null) as TrackedConfig, config);
  delete copy[STATE];
  copy.signal = undefined;
  copy.cancelToken = undefined;
  copy.onDownloadProgress = undefined;
  copy.onUploadProgress = undefined;
  copy.headers = new AxiosHeaders(config.headers); // the adapter adds headers; not to the caller's object
  return copy;
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
async function refresh(ctx: CacheContext, req: CacheRequest): Promise<Entry | undefined> {
  const config = backgroundConfig(req.config);
  const raw = (await req.upstream(config)) as RawResponse;
  if (raw.status >= 400) throw new Error(`revalidation of ${req.url} answered ${raw.status}`);
  const json = parseDeclaredJson(raw);
  if (json?.ok === false) throw new Error(`revalidation of ${req.url} answered malformed JSON`);
  const snapshot = toSnapshot(raw);
  if (!snapshot) return undefined;
  const entry: Entry = { ...snapshot, storedAt: Date.now() };
  const response = transformed(raw, json?.ok ? json.value : raw.data);
  if (askUser(ctx, 'isCacheable', req.keys.primary, ctx.opts.isCacheable, response)) {
    writeTiers(ctx, req.keys, req.policy, entry);
  }
  return isShareable(raw.headers) ? entry : undefined;
}

/**
 * Refreshes both tiers in the background, once per key however many callers see the entry age:
 * the refresh is a flight that true misses can join. A failure is an 'error' event, never a rejection.
 */
export function revalidate(ctx: CacheContext, req: CacheRequest): boolean {
  const key = req.keys.primary;
  if (ctx.flights.join(key)) return false;
  const publish = ctx.flights.lead(key);
  const job = refresh(ctx, req).then(
    (entry) => publish(entry ? { kind: 'answer', entry, meta: { state: 'miss', key } } : { kind: 'alone' }),
    (error: unknown) => {
      publish({ kind: 'retry' });
      ctx.events.emit('error', { op: 'revalidate', key, error });
    },
  );
  track(ctx, job);
  return true;
}
