import axios, {
  AxiosHeaders,
  type AxiosInstance,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { CacheContext } from './flow/context.js';
import { bodyDigest, bodySegment, buildKeys, headersDigest, indexKey, type KeyParts, urlDigestOf } from './http/key.js';
import { HTTP_METHODS, resolveRequestPolicy } from './options.js';
import { readHeader } from './http/rules.js';
import { deleteIndexed, deleteKeys } from './flow/store-io.js';
import { storeError } from './flow/store-errors.js';
import type { InvalidateTarget } from './types.js';
import { adapterKind, wireUrl } from './http/wire.js';

/** The headers a request of `method` on this instance would carry: defaults (common, per method) under its own. */
function requestHeaders(config: AxiosRequestConfig, method: string): AxiosHeaders {
  const h = (config.headers ?? {}) as Record<string, unknown>;
  const flat = AxiosHeaders.concat(h.common as AxiosHeaders, h[method] as AxiosHeaders, config.headers as AxiosHeaders);
  for (const name of [...HTTP_METHODS, 'common']) flat.delete(name);
  return flat;
}

/** The body segment of `data` as the instance would send it: its transformRequest run over it, as axios does. */
function bodyOf(config: AxiosRequestConfig, headers: AxiosHeaders, data: unknown): string | undefined {
  const transforms = config.transformRequest;
  const list = transforms === undefined ? [] : Array.isArray(transforms) ? transforms : [transforms];
  let sent = data;
  for (const fn of list) sent = fn.call(config as InternalAxiosRequestConfig, sent, headers);
  const body = bodyDigest(sent);
  if (body === null)
    throw new TypeError('axios-stale-cache: invalidate() data must be a body the cache keys (not a stream or a form)');
  return body === undefined
    ? undefined
    : bodySegment(body, readHeader(headers, 'content-type'), readHeader(headers, 'content-encoding'));
}

/**
 * Removes both tiers of a URL, for each cached method (or the one given): every variant where the
 * store can remove by prefix, else the entries it can name. Writes of requests already in flight
 * for the URL are dropped from now on. Bounded by storeTimeout: rejects when the store is slow or down.
 */
export async function invalidate(
  ctx: CacheContext,
  instance: AxiosInstance,
  target: string | InvalidateTarget,
): Promise<void> {
  const t: InvalidateTarget = typeof target === 'string' ? { url: target } : target;
  if (t === null || typeof t !== 'object' || typeof t.url !== 'string') {
    throw new TypeError('axios-stale-cache: invalidate() takes a URL or a request config with a url');
  }
  const policy = resolveRequestPolicy(t.staleCache === false ? undefined : t.staleCache, ctx.opts.policy);
  // The request exactly as this instance would send it: baseURL, default params and headers.
  const config = axios.mergeConfig(
    instance.defaults as AxiosRequestConfig,
    {
      url: t.url,
      baseURL: t.baseURL,
      params: t.params,
      headers: t.headers,
    } as AxiosRequestConfig,
  );
  const kind = adapterKind(axios.getAdapter(config.adapter ?? axios.defaults.adapter, config as never), config);
  const wire = wireUrl(config, kind);
  const { primaryKeyPrefix, staleKeyPrefix, store } = ctx.opts;
  const oneVariant = policy.vary.length > 0 && t.headers !== undefined;
  if (policy.vary.length > 0 && !oneVariant && !store.deletePrefixed) {
    throw new Error(
      'axios-stale-cache: this store cannot list the vary variants of a URL; ' +
        'pass the request headers to invalidate() to remove one variant',
    );
  }
  const digests: string[] = [];
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const method of t.method ? [t.method.toLowerCase()] : [...ctx.opts.methods]) {
    const headers = requestHeaders(config, method);
    const body = t.data === undefined ? undefined : bodyOf(config, headers, t.data);
    const urlDigest = urlDigestOf({
      method,
      url: policy.key ?? wire.canonical,
      customKey: policy.key !== undefined,
      host: readHeader(headers, 'host'),
      socketPath: config.socketPath,
    });
    digests.push(urlDigest);
    const variant = oneVariant
      ? headersDigest({ headers, auth: config.auth, proxy: config.proxy }, policy.vary, wire.userinfo)
      : undefined;
    // With a body but not one variant, a prefix cannot name that body across variants: the whole URL goes.
    const k = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, {
      variant,
      body: body !== undefined && (oneVariant || policy.vary.length === 0) ? body : undefined,
    });
    keys.push(k.primary, k.stale);
    // Every key of the URL (or of the one variant, or body) begins with these: bodies, routes, shapes,
    // response variants.
    if (store.deletePrefixed) prefixes.push(k.primary, k.stale);
  }
  ctx.invalidations.invalidate(digests);
  await deleteKeys(ctx, keys, prefixes);
}

/** What names a resource for the cache: its URL as sent, and where the request goes beyond it. */
export interface Resource {
  /** The URL as sent, query sorted (WireUrl.canonical). */
  canonical: string;
  host: unknown;
  socketPath: string | null | undefined;
  /** Key segments a request with the same settings has (its vary headers, route, response shape). */
  parts?: KeyParts | undefined;
}

/**
 * Removes both tiers of resources, for each method this instance caches: what an unsafe request that
 * succeeded changed (RFC 9111 §4.4). One delete of the keys it can name, never a sweep by prefix (on
 * a single Redis that is a SCAN of the whole keyspace: per POST, it would cost more than the POST):
 * the base keys, plain and with the segments a GET with the unsafe request's settings would have,
 * and every key the URL's index holds (response variants, other vary values, bodies, routes: see
 * write.ts), on a store with deleteIndexed. Never rejects: a store that is
 * slow or down is an error event, bounded by storeTimeout.
 */
export async function invalidateResources(ctx: CacheContext, resources: readonly Resource[]): Promise<void> {
  const { primaryKeyPrefix, staleKeyPrefix } = ctx.opts;
  const digests: string[] = [];
  const keys: string[] = [];
  for (const r of resources) {
    for (const method of ctx.opts.methods) {
      const urlDigest = urlDigestOf({
        method,
        url: r.canonical,
        customKey: false,
        host: r.host,
        socketPath: r.socketPath,
      });
      digests.push(urlDigest);
      for (const parts of r.parts && Object.values(r.parts).some((v) => v !== undefined) ? [{}, r.parts] : [{}]) {
        const k = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, parts);
        keys.push(k.primary, k.stale);
      }
    }
  }
  ctx.invalidations.invalidate(digests);
  try {
    await deleteIndexed(
      ctx,
      keys,
      digests.map((d) => indexKey(primaryKeyPrefix, d)),
    );
  } catch (error) {
    storeError(ctx, 'delete', keys[0], error); // the unsafe request's answer stands
  }
}
