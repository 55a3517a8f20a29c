import * as crypto from 'node:crypto';
import { wireHeader, type WireUrl } from './wire.js';

// crypto.hash (Node >= 20.12) skips the Hash object: about twice as fast for short inputs.
const oneShot = (crypto as { hash?: (alg: string, data: string | Uint8Array, enc: 'base64url') => string }).hash;

/** SHA-256 as base64url (43 characters): 256 bits, so no two URLs ever share a key. */
export function digest(data: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', data, 'base64url') : crypto.createHash('sha256').update(data).digest('base64url');
}

/** Everything that names the resource a request asks for, besides its headers. */
export interface KeySource {
  method: string;
  /** The canonical wire URL, or the caller's own `key` in its place. */
  url: string;
  customKey: boolean;
  /** Digest of the request body, with the headers that say how to read it. */
  body?: { digest: string; contentType: unknown; contentEncoding: unknown } | undefined;
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

/** The digested form of a key source: JSON, so no two different sources ever share a text. */
export function keySource(s: KeySource): string {
  const parts: unknown[] = [s.method.toUpperCase(), s.customKey ? 'k' : 'u', s.url];
  if (s.body) parts.push(s.body.digest, text(s.body.contentType), text(s.body.contentEncoding));
  else parts.push(null, null, null);
  parts.push(text(s.host), s.socketPath ?? null);
  return JSON.stringify(parts);
}

type HeaderSource = Parameters<typeof wireHeader>[0];

/** Digest of the named headers' wire values; absent and empty are kept apart. */
export function headersDigest(config: HeaderSource, names: readonly string[], userinfo: WireUrl['userinfo']): string {
  return digest(JSON.stringify(names.map((name) => [name, text(wireHeader(config, name, userinfo))])));
}

export interface CacheKeys {
  primary: string;
  stale: string;
  /** What both keys share after their prefix; written into each entry, which is only ever answered under it. */
  id: string;
}

/**
 * `${prefix}:{${urlDigest}}`, then `:${varyDigest}` for the `vary` option's headers and `:s${shape}` for
 * response options that change the bytes. The braces keep every key of one URL in one Cluster slot,
 * and every key of a URL begins with its base, so removing by prefix removes them all.
 */
export function buildKeys(
  primaryPrefix: string,
  stalePrefix: string,
  urlDigest: string,
  variant: string | undefined,
  shape?: string,
): CacheKeys {
  let id = `{${urlDigest}}`;
  if (variant !== undefined) id += `:${variant}`;
  if (shape !== undefined) id += `:s${shape}`;
  return { primary: `${primaryPrefix}:${id}`, stale: `${stalePrefix}:${id}`, id };
}

/** The keys of one variant of a response that carries `Vary`, beside the base keys. */
export function variantKeys(keys: CacheKeys, varied: string): { primary: string; stale: string } {
  return { primary: `${keys.primary}:r${varied}`, stale: `${keys.stale}:r${varied}` };
}
