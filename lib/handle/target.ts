import axios, {
  AxiosHeaders,
  type AxiosInstance,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { CacheContext } from '../flow/context.js';
import { bodyDigest, bodySegment, buildKeys, headersDigest, type CacheKeys, urlDigestOf } from '../http/key.js';
import { HTTP_METHODS, resolveRequestPolicy, type RequestPolicy } from '../options.js';
import { readHeader } from '../http/rules.js';
import type { InvalidateTarget } from '../types.js';
import { adapterKind, wireUrl } from '../http/wire.js';

/*
 * A URL (or a request config) given to the handle (invalidate, peek) as the keys a request of this
 * instance would have: baseURL, default params and headers, the wire URL, vary values, body.
 */

/** The headers a request of `method` on this instance would carry: defaults (common, per method) under its own. */
function requestHeaders(config: AxiosRequestConfig, method: string): AxiosHeaders {
  const h = (config.headers ?? {}) as Record<string, unknown>;
  const flat = AxiosHeaders.concat(h.common as AxiosHeaders, h[method] as AxiosHeaders, config.headers as AxiosHeaders);
  for (const name of [...HTTP_METHODS, 'common']) flat.delete(name);
  return flat;
}

/** `data` as the instance would send it: its transformRequest run over it, as axios does. */
function sentBody(config: AxiosRequestConfig, headers: AxiosHeaders, data: unknown): unknown {
  const transforms = config.transformRequest;
  const list = transforms === undefined ? [] : Array.isArray(transforms) ? transforms : [transforms];
  let sent = data;
  for (const fn of list) sent = fn.call(config as InternalAxiosRequestConfig, sent, headers);
  return sent;
}

/** The body segment of `data` as the instance would send it. */
function bodyOf(config: AxiosRequestConfig, headers: AxiosHeaders, data: unknown, caller: string): string | undefined {
  const body = bodyDigest(sentBody(config, headers, data));
  if (body === null)
    throw new TypeError(`axios-stale-cache: ${caller}() data must be a body the cache keys (not a stream or a form)`);
  return body === undefined
    ? undefined
    : bodySegment(body, readHeader(headers, 'content-type'), readHeader(headers, 'content-encoding'));
}

/** The keys of a target for one method. */
export interface TargetKeys {
  method: string;
  urlDigest: string;
  keys: CacheKeys;
  /** The URL as sent (user info removed). */
  href: string;
}

export interface Target {
  policy: RequestPolicy;
  /** Headers were given and the policy varies on some: the keys name that one variant. */
  oneVariant: boolean;
  perMethod: TargetKeys[];
}

/** A URL or config given to the handle, checked: a TypeError naming `caller` for anything else. */
function targetOf(target: string | InvalidateTarget, caller: string): InvalidateTarget {
  const t: InvalidateTarget = typeof target === 'string' ? { url: target } : target;
  if (t === null || typeof t !== 'object' || typeof t.url !== 'string') {
    throw new TypeError(`axios-stale-cache: ${caller}() takes a URL or a request config with a url`);
  }
  return t;
}

/** The request exactly as this instance would send it: baseURL, default params and headers. */
function merged(instance: AxiosInstance, t: InvalidateTarget, extra: AxiosRequestConfig = {}): AxiosRequestConfig {
  return axios.mergeConfig(
    instance.defaults as AxiosRequestConfig,
    {
      url: t.url,
      baseURL: t.baseURL,
      params: t.params,
      headers: t.headers,
      ...extra,
    } as AxiosRequestConfig,
  );
}

/** The keys of `target` for `methods` (its own method when it names one). Throws a TypeError for a bad target. */
export function resolveTarget(
  ctx: CacheContext,
  instance: AxiosInstance,
  target: string | InvalidateTarget,
  methods: readonly string[],
  caller: string,
): Target {
  const t = targetOf(target, caller);
  const policy = resolveRequestPolicy(t.staleCache === false ? undefined : t.staleCache, ctx.opts.policy);
  const config = merged(instance, t);
  const kind = adapterKind(axios.getAdapter(config.adapter ?? axios.defaults.adapter, config as never), config);
  const wire = wireUrl(config, kind);
  const { primaryKeyPrefix, staleKeyPrefix } = ctx.opts;
  const oneVariant = policy.vary.length > 0 && t.headers !== undefined;
  const perMethod: TargetKeys[] = [];
  for (const method of t.method ? [t.method.toLowerCase()] : methods) {
    const headers = requestHeaders(config, method);
    const body = t.data === undefined ? undefined : bodyOf(config, headers, t.data, caller);
    const urlDigest = urlDigestOf({
      method,
      url: policy.key ?? wire.canonical,
      customKey: policy.key !== undefined,
      host: readHeader(headers, 'host'),
      socketPath: config.socketPath,
    });
    const variant = oneVariant
      ? headersDigest({ headers, auth: config.auth, proxy: config.proxy }, policy.vary, wire.userinfo)
      : undefined;
    // With a body but not one variant, a prefix cannot name that body across variants: the whole URL goes.
    const keys = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, {
      variant,
      body: body !== undefined && (oneVariant || policy.vary.length === 0) ? body : undefined,
    });
    perMethod.push({ method, urlDigest, keys, href: wire.href });
  }
  return { policy, oneVariant, perMethod };
}

/**
 * A target as the config a request of this instance would reach the adapter with: defaults merged,
 * headers flattened for its method, its body through transformRequest (what describeRequest reads).
 */
export function requestConfig(
  instance: AxiosInstance,
  target: string | InvalidateTarget,
  caller: string,
): InternalAxiosRequestConfig {
  const t = targetOf(target, caller);
  const method = (t.method ?? 'get').toLowerCase();
  const config = merged(instance, t, { method, staleCache: t.staleCache }) as InternalAxiosRequestConfig;
  config.headers = requestHeaders(config, method);
  if (t.data !== undefined) config.data = sentBody(config, config.headers, t.data);
  return config;
}
