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

/** The caller's validators, or undefined when it sent none the cache can evaluate. */
export function callerValidators(ifNoneMatch: unknown, ifModifiedSince: unknown): CallerValidators | undefined {
  const inm = text(ifNoneMatch);
  const ims = text(ifModifiedSince);
  const since = ims === undefined ? Number.NaN : Date.parse(ims);
  if (inm === undefined && Number.isNaN(since)) return undefined;
  return { ifNoneMatch: inm, ifModifiedSince: Number.isNaN(since) ? undefined : since };
}

const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');

/**
 * Whether the caller's copy is the stored one (a 304 then): If-None-Match by weak comparison (§13.1.2),
 * `*` matching any; else If-Modified-Since against when the stored answer last changed.
 */
export function notModified(
  validators: CallerValidators,
  stored: {
    etag?: string | undefined;
    lastModified?: string | undefined;
    storedAt: number;
    headers: Record<string, unknown>;
  },
): boolean {
  if (validators.ifNoneMatch !== undefined) {
    if (validators.ifNoneMatch.trim() === '*') return true;
    if (stored.etag === undefined) return false;
    const etag = opaque(stored.etag);
    return validators.ifNoneMatch.split(',').some((tag) => opaque(tag) === etag);
  }
  if (validators.ifModifiedSince === undefined) return false;
  // Last-Modified, else the stored answer's Date, else when it was stored (RFC 9111 §4.3.2).
  const date = stored.headers.date;
  const modified = Date.parse(stored.lastModified ?? (typeof date === 'string' ? date : ''));
  return (Number.isNaN(modified) ? stored.storedAt : modified) <= validators.ifModifiedSince;
}
