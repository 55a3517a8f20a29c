import type { Headers } from '../entry/codec.js';
import { validatorsOf } from './freshness.js';

/*
 * A caller's own validators (If-None-Match, If-Modified-Since), as a cache downstream of this one
 * sends them: answered from a fresh entry by RFC 9110 §13.1, never by another caller's 304.
 */

export interface CallerValidators {
  ifNoneMatch: string | undefined;
  ifModifiedSince: number | undefined;
}

const text = (value: unknown): string | undefined =>
  value === undefined || value === null ? undefined : Array.isArray(value) ? value.join(', ') : String(value);

/**
 * The caller's validators; undefined when it sent none; null when it sent one the cache cannot
 * evaluate (an If-Modified-Since that is no date): such a request goes upstream as it is.
 */
export function callerValidators(ifNoneMatch: unknown, ifModifiedSince: unknown): CallerValidators | undefined | null {
  const inm = text(ifNoneMatch);
  const ims = text(ifModifiedSince);
  if (inm === undefined && ims === undefined) return undefined;
  const since = ims === undefined ? undefined : Date.parse(ims);
  if (since !== undefined && Number.isNaN(since)) return null;
  return { ifNoneMatch: inm, ifModifiedSince: since };
}

const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');

/**
 * Whether the caller's copy is the stored one (a 304 then): If-None-Match by weak comparison (§13.1.2),
 * `*` matching any; else If-Modified-Since against when the stored answer last changed.
 */
export function notModified(validators: CallerValidators, stored: { storedAt: number; headers: Headers }): boolean {
  const { etag, lastModified } = validatorsOf(stored);
  if (validators.ifNoneMatch !== undefined) {
    if (validators.ifNoneMatch.trim() === '*') return true;
    if (etag === undefined) return false;
    const mine = opaque(etag);
    return validators.ifNoneMatch.split(',').some((tag) => opaque(tag) === mine);
  }
  if (validators.ifModifiedSince === undefined) return false;
  // Last-Modified, else the stored answer's Date, else when it was stored (RFC 9111 §4.3.2).
  const date = stored.headers.date;
  const modified = Date.parse(lastModified ?? (typeof date === 'string' ? date : ''));
  return (Number.isNaN(modified) ? stored.storedAt : modified) <= validators.ifModifiedSince;
}
