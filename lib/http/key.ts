import { types } from 'node:util';
import { digest } from './digest.js';
import { wireHeader, type WireUrl } from './wire.js';

export { digest };

/** Everything that names the resource a request asks for, besides its headers and body. */
export interface KeySource {
  method: string;
  /** The canonical wire URL, or the caller's own `key` in its place. */
  url: string;
  customKey: boolean;
  /** An explicit Host header or a Unix socket sends the same URL to another server. */
  host?: unknown;
  socketPath?: string | null | undefined;
}

const text = (value: unknown): string | null =>
  value === undefined || value === null || value === false
    ? null
    : Array.isArray(value)
      ? value.join(', ')
      : String(value);

/**
 * The digested form of a key source: JSON, so no two different sources ever share a text. (The
 * three nulls held the body before it got a key segment of its own: kept, so keys of requests
 * without a body are what they were.)
 */
export function keySource(s: KeySource): string {
  return JSON.stringify([
    s.method.toUpperCase(),
    s.customKey ? 'k' : 'u',
    s.url,
    null,
    null,
    null,
    text(s.host),
    s.socketPath ?? null,
  ]);
}

/** The digest naming a URL for the cache (what every key of it holds in its hash tag). */
export function urlDigestOf(s: KeySource): string {
  return digest(keySource(s));
}

/** A request body's digest; undefined without one; null for one the key cannot hold (a stream, a form). */
export function bodyDigest(data: unknown): string | undefined | null {
  if (data === undefined || data === null || data === '') return undefined;
  if (typeof data === 'string' || types.isUint8Array(data)) return digest(data as string | Uint8Array);
  if (types.isArrayBuffer(data)) return digest(new Uint8Array(data));
  if (data instanceof URLSearchParams) return digest(data.toString());
  return null;
}

/** The body segment of a key: the body's digest with the headers that say how to read it. */
export function bodySegment(bodyDigest: string, contentType: unknown, contentEncoding: unknown): string {
  return digest(JSON.stringify([bodyDigest, text(contentType), text(contentEncoding)]));
}

type HeaderSource = Parameters<typeof wireHeader>[0];

/** Digest of the named headers' wire values; absent and empty are kept apart. */
export function headersDigest(config: HeaderSource, names: readonly string[], userinfo: WireUrl['userinfo']): string {
  return digest(JSON.stringify(names.map((name) => [name, text(wireHeader(config, name, userinfo))])));
}

export interface CacheKeys {
  primary: string;
  stale: string;
  /**
   * True when the keys have a body, route or shape segment: a store that cannot remove by prefix
   * cannot be made to forget them by invalidate(url), so such entries are only written where it can.
   */
  refined: boolean;
  /** What both keys share after their prefix; written into each entry, which is only ever answered under it. */
  id: string;
}

/** What refines a URL's key, each a segment after it, in this order. */
export interface KeyParts {
  /** Digest of the `vary` option's headers. */
  variant?: string | undefined;
  /** bodySegment() of a request with a body. */
  body?: string | undefined;
  /** routeOf(): what picks the server beyond the URL, when it is not the default. */
  route?: string | undefined;
  /** Response options that change the bytes. */
  shape?: string | undefined;
}

/**
 * `${prefix}:{${urlDigest}}`, then `:${variant}`, `:b${body}`, `:t${route}` and `:s${shape}` where the
 * request has them. The braces keep every key of one URL in one Cluster slot, and every key of a URL
 * begins with its base (and every key of one `vary` variant with the variant's), so removing by
 * prefix removes them all.
 */
export function buildKeys(
  primaryPrefix: string,
  stalePrefix: string,
  urlDigest: string,
  parts: KeyParts = {},
): CacheKeys {
  let id = `{${urlDigest}}`;
  if (parts.variant !== undefined) id += `:${parts.variant}`;
  if (parts.body !== undefined) id += `:b${parts.body}`;
  if (parts.route !== undefined) id += `:t${parts.route}`;
  if (parts.shape !== undefined) id += `:s${parts.shape}`;
  const refined = parts.body !== undefined || parts.route !== undefined || parts.shape !== undefined;
  return { primary: `${primaryPrefix}:${id}`, stale: `${stalePrefix}:${id}`, id, refined };
}

/**
 * The index of every key of a URL the cache cannot name from the URL alone (see
 * CacheStore.setIndexed): beside the URL's keys, in their hash tag.
 */
export function indexKey(primaryPrefix: string, urlDigest: string): string {
  return `${primaryPrefix}:{${urlDigest}}:i`;
}

/**
 * The list of the keys an answer with `tag` was written under (see CacheStore.setTagged), in the tag's
 * own slot. `{t.` never begins a URL's keys (a digest is base64url: no dot), and every key of the
 * cache begins with `<prefix>:{`, which is what clear() removes.
 */
export function tagKey(primaryPrefix: string, tag: string): string {
  return `${primaryPrefix}:{t.${digest(tag)}}`;
}

/** The keys of one variant of a response that carries `Vary`, beside the base keys. */
export function variantKeys(keys: CacheKeys, varied: string): { primary: string; stale: string } {
  return { primary: `${keys.primary}:r${varied}`, stale: `${keys.stale}:r${varied}` };
}
