import type { Headers } from '../entry/codec.js';

/*
 * Tags of an answer, as CDNs name them in responses: `Cache-Tag` (Cloudflare, Akamai: comma-separated)
 * and `Surrogate-Key` (Fastly: space-separated). A tag is a short printable string; an answer keeps
 * at most MAX_TAGS (one list entry per tag on every write).
 */

export const MAX_TAGS = 64;
const MAX_TAG_LENGTH = 256;
// Printable: a tag is a label on a dashboard and a key segment, never a control character.
const PRINTABLE = /^[^\p{Cc}]+$/u;

export function isTag(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TAG_LENGTH && PRINTABLE.test(value);
}

function values(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/** The tags a response's headers give (names lower-cased, as the entry keeps them). */
export function headerTags(headers: Headers): string[] {
  const out: string[] = [];
  for (const line of values(headers['cache-tag'])) for (const t of line.split(',')) out.push(t.trim());
  for (const line of values(headers['surrogate-key'])) for (const t of line.split(/\s+/)) out.push(t);
  return out.filter(isTag);
}
