import * as crypto from 'node:crypto';
import axios, { type AxiosRequestConfig } from 'axios';
import { readHeader } from './policy.js';

// crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast for short inputs.
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'base64url') => string }).hash;

/** SHA-256 as base64url (43 characters): 256 bits, so no two URLs ever share a key. */
export function digest(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'base64url') : crypto.createHash('sha256').update(data).digest('base64url');
}

const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** axios's buildFullPath: baseURL applies unless the URL is absolute (and absolute URLs are allowed). */
function fullPath(baseURL: string | undefined, url: string, allowAbsoluteUrls: boolean | undefined): string {
  if (!baseURL || (ABSOLUTE.test(url) && allowAbsoluteUrls !== false)) return url;
  return url ? baseURL.replace(/\/?\/$/, '') + '/' + url.replace(/^\/+/, '') : baseURL;
}

function hasParams(params: unknown): boolean {
  if (params === undefined || params === null) return false;
  if (params instanceof URLSearchParams) return params.size > 0;
  return typeof params !== 'object' || Object.keys(params).length > 0;
}

type Primitive = string | number | boolean;
const isPrimitive = (v: unknown): v is Primitive => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * `params` as axios's default serializer sends them, for the common shapes (primitives, arrays of
 * primitives, dates), appended to `pairs`; false for anything else, which then takes the exact
 * (slower) route through axios itself.
 */
function appendParams(pairs: URLSearchParams, params: unknown): boolean {
  if (params instanceof URLSearchParams) {
    for (const [k, v] of params) pairs.append(k, v);
    return true;
  }
  if (params === null || typeof params !== 'object') return false;
  const proto = Object.getPrototypeOf(params);
  if (proto !== Object.prototype && proto !== null) return false;
  const source = params as Record<string, unknown>;
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (value === null || value === undefined) continue; // axios leaves these out
    if (isPrimitive(value)) pairs.append(name, String(value));
    else if (value instanceof Date && !Number.isNaN(value.getTime())) pairs.append(name, value.toISOString());
    else if (Array.isArray(value) && value.every(isPrimitive)) for (const item of value) pairs.append(`${name}[]`, String(item));
    else return false;
  }
  return true;
}

/**
 * The URL the request goes to, in one spelling: baseURL joined, `params` merged as axios sends them
 * (a custom paramsSerializer keys exactly what it sends), query pairs sorted (stable, so repeated
 * names keep their order), fragment dropped, scheme and host normalised.
 */
export function canonicalUrl(config: Pick<AxiosRequestConfig, 'url' | 'baseURL' | 'params' | 'paramsSerializer' | 'allowAbsoluteUrls'>): string {
  let url = fullPath(config.baseURL, config.url ?? '', config.allowAbsoluteUrls);
  const hashAt = url.indexOf('#');
  if (hashAt !== -1) url = url.slice(0, hashAt);
  let pairs: URLSearchParams | undefined;
  if (hasParams(config.params)) {
    const queryAt = url.indexOf('?');
    pairs = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
    if (config.paramsSerializer || !appendParams(pairs, config.params)) {
      url = axios.getUri({ url, params: config.params, paramsSerializer: config.paramsSerializer });
      pairs = undefined;
    } else if (queryAt !== -1) {
      url = url.slice(0, queryAt);
    }
  }
  const queryAt = pairs ? -1 : url.indexOf('?');
  let path = queryAt === -1 ? url : url.slice(0, queryAt);
  if (!pairs && queryAt !== -1) pairs = new URLSearchParams(url.slice(queryAt + 1));
  if (ABSOLUTE.test(path)) {
    try {
      path = new URL(path).href;
    } catch {
      // Not parseable as a URL: keep the caller's spelling; axios will reject it anyway.
    }
  }
  if (!pairs || pairs.size === 0) return path;
  pairs.sort();
  return `${path}?${pairs.toString()}`;
}

/** What the key digests: the method and either the URL or the caller's own key. */
export function keySource(method: string, url: string, customKey: string | undefined): string {
  return customKey === undefined ? `${method.toUpperCase()}\n${url}` : `${method.toUpperCase()}\n\0${customKey}`;
}

type HeaderSource = { headers?: unknown; auth?: { username: string; password: string } | undefined };

/** Digest of the `vary` headers' values; absent and empty are kept apart. */
export function varyDigest(config: HeaderSource, vary: readonly string[]): string {
  let text = '';
  for (const name of vary) {
    let value = readHeader(config.headers, name);
    if ((value === undefined || value === null) && name === 'authorization' && config.auth) {
      // Basic auth from `auth` is turned into a header below axios; key on the credentials it carries.
      value = `\0auth ${config.auth.username}:${config.auth.password}`;
    }
    const shown = value === undefined || value === null || value === false ? '\0' : Array.isArray(value) ? value.join(', ') : String(value);
    text += `${name}:${shown}\n`;
  }
  return digest(text);
}

export interface CacheKeys {
  primary: string;
  stale: string;
}

/** `${prefix}:{${urlDigest}}` (+ `:${varyDigest}`): the braces keep every key of one URL in one Cluster slot. */
export function buildKeys(
  primaryPrefix: string,
  stalePrefix: string,
  urlDigest: string,
  variant: string | undefined,
): CacheKeys {
  const suffix = variant === undefined ? `{${urlDigest}}` : `{${urlDigest}}:${variant}`;
  return { primary: `${primaryPrefix}:${suffix}`, stale: `${stalePrefix}:${suffix}` };
}
