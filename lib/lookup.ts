import type { AxiosAdapter } from 'axios';
import type { CacheContext, CacheRequest, TrackedConfig } from './context.js';
import { buildKeys, canonicalUrl, digest, keySource, varyDigest } from './key.js';
import type { RequestPolicy } from './options.js';
import { bypassReason, headerFacts, wantsRevalidation } from './policy.js';
import type { BypassReason } from './types.js';

const UNKEYABLE = Symbol('unkeyable');

/** A request body becomes part of the key; one the key cannot hold (a stream, a form) bypasses. */
function bodyDigest(data: unknown): string | undefined | typeof UNKEYABLE {
  if (data === undefined || data === null || data === '') return undefined;
  if (typeof data === 'string' || data instanceof Uint8Array) return digest(data);
  if (data instanceof ArrayBuffer) return digest(new Uint8Array(data));
  if (data instanceof URLSearchParams) return digest(data.toString());
  return UNKEYABLE;
}

/**
 * The canonical URL and its digest. For a request without params or a body, which is what a hot
 * URL usually is, both are remembered by (method, baseURL, url, key): the same strings give the
 * same address, so a hit does not canonicalise and hash again.
 */
function addressOf(ctx: CacheContext, config: TrackedConfig, method: string, key: string | undefined, body: string | undefined): { url: string; urlDigest: string } {
  const memoizable = body === undefined && config.params === undefined && !config.paramsSerializer;
  const memoKey = memoizable ? `${method}\n${config.baseURL ?? ''}\n${config.url ?? ''}\n${config.allowAbsoluteUrls === false ? 0 : 1}\n${key ?? ''}` : undefined;
  const known = memoKey === undefined ? undefined : ctx.addresses.get(memoKey);
  if (known) return known;
  const url = canonicalUrl(config);
  let source = keySource(method, url, key);
  if (body !== undefined) source += `\n${body}`;
  const address = { url, urlDigest: digest(source) };
  if (memoKey !== undefined) {
    if (ctx.addresses.size >= 1_000) ctx.addresses.clear(); // bounded; a full reset is cheap and rare
    ctx.addresses.set(memoKey, address);
  }
  return address;
}

/** The request's keys and store budget, or why it must not use the cache. */
export function describeRequest(
  ctx: CacheContext,
  config: TrackedConfig,
  policy: RequestPolicy,
  upstream: AxiosAdapter,
): CacheRequest | BypassReason {
  const facts = headerFacts(config.headers);
  const reason = bypassReason(config, policy.vary, facts);
  if (reason) return reason;
  const body = bodyDigest(config.data);
  if (body === UNKEYABLE) return 'body';
  const method = (config.method ?? 'get').toLowerCase();
  const { url, urlDigest } = addressOf(ctx, config, method, policy.key, body);
  const variant = policy.vary.length > 0 ? varyDigest(config, policy.vary) : undefined;
  return {
    config,
    policy,
    method,
    url,
    keys: buildKeys(ctx.opts.primaryKeyPrefix, ctx.opts.staleKeyPrefix, urlDigest, variant),
    upstream,
    revalidate: wantsRevalidation(facts),
    storeBudget: ctx.opts.storeTimeout,
  };
}
