import type { AxiosAdapter } from 'axios';
import type { Address, CacheContext, CacheRequest, TrackedConfig } from './context.js';
import { bodyDigest, bodySegment, buildKeys, digest, headersDigest, urlDigestOf } from '../http/key.js';
import { routeOf } from '../http/route.js';
import type { RequestPolicy } from '../options.js';
import { bypassReason, credentialsSent, headerFacts, type HeaderFacts } from '../http/rules.js';
import { requestDirectives } from '../http/freshness.js';
import { callerValidators } from '../http/validators.js';
import type { BypassReason } from '../types.js';
import { adapterKind, wireUrl, type AdapterKind } from '../http/wire.js';

const field = (value: string | undefined): string => (value === undefined ? '-' : `${value.length}:${value}`);

function memoKeyOf(
  method: string,
  baseURL: string | undefined,
  url: string | undefined,
  relativeOnly: boolean,
  key: string | undefined,
  kind: AdapterKind,
): string {
  return `${method} ${kind} ${relativeOnly ? 1 : 0}${field(baseURL)}${field(url)}${field(key)}`;
}

/**
 * The wire URL and the digest of everything that names the resource. For a request without params,
 * Host header or socket, which is what a hot URL usually is, both are remembered by
 * (method, baseURL, url, allowAbsoluteUrls, key, adapter): a hit does not parse and hash again.
 */
function addressOf(
  ctx: CacheContext,
  config: TrackedConfig,
  method: string,
  key: string | undefined,
  kind: AdapterKind,
  facts: HeaderFacts,
): Address {
  const memoizable =
    config.params === undefined && !config.paramsSerializer && facts.host === undefined && !config.socketPath;
  // Each field prefixed by its length: no two different field lists ever make the same memo key.
  const memoKey = memoizable
    ? memoKeyOf(method, config.baseURL, config.url, config.allowAbsoluteUrls === false, key, kind)
    : undefined;
  const known = memoKey === undefined ? undefined : ctx.addresses.get(memoKey);
  if (known) return known;
  const wire = wireUrl(config, kind);
  const urlDigest = urlDigestOf({
    method,
    url: key ?? wire.canonical,
    customKey: key !== undefined,
    host: facts.host,
    socketPath: config.socketPath,
  });
  const address: Address = { href: wire.href, urlDigest, userinfo: wire.userinfo };
  if (memoKey !== undefined) {
    if (ctx.addresses.size >= 1_000) ctx.addresses.clear(); // bounded; a full reset is cheap and rare
    ctx.addresses.set(memoKey, address);
  }
  return address;
}

/**
 * Response options that change the bytes an adapter hands over, beyond what the cache rebuilds
 * per caller: each such combination gets entries of its own. axios's adapters are asked for bytes,
 * which the cache decodes per caller; a custom adapter's answer is kept in the form it gave.
 */
export function shapeOf(config: TrackedConfig, kind: AdapterKind): string | undefined {
  let parts: unknown[] | undefined;
  if (kind === 'http' && config.decompress === false) parts = ['compressed'];
  else if (kind === 'fetch' && config.maxRedirects === 0) parts = ['manual-redirect'];
  else if (kind === 'other' && ((config.responseType ?? 'json') !== 'json' || config.responseEncoding !== undefined)) {
    parts = [config.responseType ?? null, config.responseEncoding ?? null];
  }
  return parts && digest(JSON.stringify(parts)).slice(0, 22);
}

/** The request's keys and store budget, or why it must not use the cache. Runs at dispatch. */
export function describeRequest(
  ctx: CacheContext,
  config: TrackedConfig,
  policy: RequestPolicy,
  upstream: AxiosAdapter,
  started: number,
): CacheRequest | BypassReason {
  const method = (config.method ?? 'get').toLowerCase();
  // Decided here, not in the request interceptor: an interceptor that axios runs after ours may change the method.
  if (!ctx.opts.methods.has(method)) return 'method';
  const facts = headerFacts(config.headers, ctx.opts.credentialHeaders);
  const body = bodyDigest(config.data);
  if (body === null) return 'body';
  const kind = adapterKind(upstream, config);
  let address: Address;
  try {
    address = addressOf(ctx, config, method, policy.key, kind, facts);
  } catch {
    return 'url'; // the adapter cannot build this URL either, and will say why
  }
  const credentials = credentialsSent(config, facts, address.userinfo !== undefined);
  const reason = bypassReason(config, policy.vary, facts, credentials);
  if (reason) return reason;
  const validators = callerValidators(facts.ifNoneMatch, facts.ifModifiedSince);
  if (validators === null) return 'conditional';
  const variant = policy.vary.length > 0 ? headersDigest(config, policy.vary, address.userinfo) : undefined;
  return {
    config,
    policy,
    method,
    href: address.href,
    kind,
    userinfo: address.userinfo,
    urlDigest: address.urlDigest,
    keys: buildKeys(ctx.opts.primaryKeyPrefix, ctx.opts.staleKeyPrefix, address.urlDigest, {
      variant,
      body: body === undefined ? undefined : bodySegment(body, facts.contentType, facts.contentEncoding),
      route: routeOf(config, kind, address.href),
      shape: shapeOf(config, kind),
    }),
    upstream,
    guardsRedirects: typeof config.beforeRedirect === 'function',
    directives: requestDirectives(facts.cacheControl, facts.pragma),
    callerValidators: validators,
    epoch: ctx.invalidations.current,
    started,
    waited: 0,
    storeBudget: ctx.opts.storeTimeout,
  };
}
