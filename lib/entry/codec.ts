import * as zlib from 'node:zlib';
import { EntryError } from '../errors.js';
import type { Freshness } from '../http/freshness.js';
import type { StoredValue } from '../types.js';

/**
 * Entry layout (version 3): one line of JSON, a newline, then the body bytes as they came.
 *   [3, storedAt, status, statusText, headers, kind, bodyBytes, id, vary, varied, redirects, url, crc, {facts}]\n<body>
 * The meta line is JSON, so it never holds a raw newline; bodyBytes catches a truncated value, `id`
 * binds the entry to the key it was written under, and `crc` (CRC-32 of the body) a flipped bit.
 * The last field is an object of named facts (its freshness, see http/freshness.ts; a backoff
 * marker's `until`): fields added later go there, by name, and a reader ignores names it does not
 * know. Version 2 (the same fields with `ttl` and `until` by position), which builds before 0.1.0
 * wrote, is still read; no release ever read version 2 only, so every entry is written as version 3.
 */
export const ENTRY_VERSION = 3;

/**
 * t: text a custom adapter returned; j: a JSON value a custom adapter returned; b: bytes; a:
 * ArrayBuffer; u: no body.
 */
export type BodyKind = 't' | 'j' | 'b' | 'a' | 'u';

export type Headers = Record<string, string | string[]>;

/** An upstream answer as the adapter returned it, before axios transforms the body. */
export interface Snapshot {
  status: number;
  /** Undefined when the adapter gave none (mock adapters): replayed as it came. */
  statusText: string | undefined;
  headers: Headers;
  kind: BodyKind;
  /** Body bytes; a view that must be copied before it is handed to a caller. */
  body: Uint8Array;
  /** Redirects followed to get this answer, and the URL it finally came from (only when redirected). */
  redirects: number;
  url: string | undefined;
}

/**
 * An entry carries its own freshness (storedAt, ttl, and what the server said of it), so a reader
 * need not know the writer's options.
 */
export interface Entry extends Snapshot, Freshness {
  /** The key (after its prefix) the entry belongs to: an entry found under another key is not answered. */
  id: string;
  /** The response's `Vary` header names, lower-cased and sorted, when it has one. */
  vary: readonly string[] | undefined;
  /** Digest of the request's values of those headers: only a request with the same values gets this entry. */
  varied: string | undefined;
  /** The URL the answer is for, secrets redacted: what an operator reading the store sees (peek). */
  src?: string | undefined;
  /** Its tags (see CacheStore.setTagged), when it has any. */
  tags?: readonly string[] | undefined;
  /**
   * Set on an entry kept in the decoded-entries cache, read by more than one request: it may then
   * hold the parsed JSON of its body (`template`, never handed out itself unless zeroCopy), or null
   * when the body is not JSON.
   */
  reusable?: boolean;
  template?: { value: unknown } | null;
}

const NEWLINE = 0x0a;
const KINDS = new Set<string>(['t', 'j', 'b', 'a', 'u']);
// zlib.crc32 is in Node >= 20.15; on older versions entries are written and read without the check.
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

// The optional facts, by the names they are stored under. `ttl` is always written.
const FACTS = {
  explicit: 'boolean',
  swr: 'number',
  sie: 'number',
  mustRevalidate: 'boolean',
  noCache: 'boolean',
  until: 'number',
  src: 'string',
  tags: 'strings',
} as const satisfies Partial<Record<keyof Entry, 'boolean' | 'number' | 'string' | 'strings'>>;
type Fact = keyof typeof FACTS;
const FACT_NAMES = Object.keys(FACTS) as Fact[];

function factsOf(entry: Freshness & Pick<Entry, 'src' | 'tags'>): Record<string, unknown> {
  const out: Record<string, unknown> = { ttl: entry.ttl };
  for (const name of FACT_NAMES) if (entry[name] !== undefined) out[name] = entry[name];
  return out;
}

/** The facts of a version 3 entry; throws on a known name with a value of the wrong type. */
function readFacts(value: unknown, into: Entry): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new EntryError('not an entry: bad facts');
  const facts = value as Record<string, unknown>;
  const ttl = facts.ttl;
  if (typeof ttl !== 'number' || !(ttl >= 0)) throw new EntryError('not an entry: bad field');
  into.ttl = ttl;
  for (const name of FACT_NAMES) {
    const v = facts[name];
    if (v === undefined) continue;
    const kind = FACTS[name];
    const ok =
      kind === 'strings'
        ? isStrings(v)
        : typeof v === kind && (kind !== 'number' || (Number.isFinite(v) && (v as number) >= 0));
    if (!ok) {
      throw new EntryError(`not an entry: bad ${name}`);
    }
    (into as unknown as Record<string, unknown>)[name] = v;
  }
}

export function encodeEntry(entry: Omit<Entry, 'reusable' | 'template'>): Uint8Array {
  const { body } = entry;
  const fields = [
    ENTRY_VERSION,
    entry.storedAt,
    entry.status,
    entry.statusText,
    entry.headers,
    entry.kind,
    body.byteLength,
    entry.id,
    entry.vary ?? null,
    entry.varied ?? null,
    entry.redirects,
    entry.url ?? null,
    crc32 ? crc32(body) : null,
    factsOf(entry),
  ];
  const meta = JSON.stringify(fields);
  const metaBytes = Buffer.byteLength(meta);
  const out = Buffer.allocUnsafe(metaBytes + 1 + body.byteLength);
  out.write(meta, 0, 'utf8');
  out[metaBytes] = NEWLINE;
  out.set(body, metaBytes + 1);
  return out;
}

// `[<version>,<storedAt>,`: what a store reads of an entry to tell which of two is newer (see
// CacheStore.setUnlessNewer); the Redis store's script reads the same prefix.
const STORED_AT = /^\[\d+,(\d+)[,\]]/;
const PREFIX_BYTES = 40;

/** When a stored value was stored (epoch ms), read from its first bytes; undefined for anything else. */
export function storedAtOf(value: StoredValue): number | undefined {
  const head =
    typeof value === 'string'
      ? value.slice(0, PREFIX_BYTES)
      : Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, PREFIX_BYTES)).toString('latin1');
  const match = STORED_AT.exec(head);
  return match ? Number(match[1]) : undefined;
}

function isHeaders(value: unknown): value is Headers {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const v of Object.values(value)) {
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) return false;
  }
  return true;
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((x) => typeof x === 'string');
const optional = <T>(value: unknown, check: (v: unknown) => v is T): value is T | null =>
  value === null || check(value);
const isString = (v: unknown): v is string => typeof v === 'string';

/** Decodes a stored value; throws EntryError for anything but an intact entry of this version. */
export function decodeEntry(value: StoredValue): Entry {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.indexOf(NEWLINE);
  if (end <= 0) throw new EntryError('not an entry: no meta line');
  let meta: unknown;
  try {
    meta = JSON.parse(buf.toString('utf8', 0, end));
  } catch {
    throw new EntryError('not an entry: meta line is not JSON');
  }
  if (!Array.isArray(meta)) throw new EntryError('not an entry: bad meta line');
  const version = meta[0];
  if (version !== ENTRY_VERSION && version !== 2) throw new EntryError(`unknown entry version ${String(version)}`);
  if (meta.length !== 14 && !(version === 2 && meta.length === 15)) throw new EntryError('not an entry: bad meta line');
  const [, storedAt, status, statusText, headers, kind, bodyBytes, id, vary, varied, redirects, url, crc, last, until] =
    meta as unknown[];
  // Version 2 kept ttl and a marker's until by position.
  const facts = version === 2 ? (until === undefined ? { ttl: last } : { ttl: last, until }) : last;
  if (
    typeof storedAt !== 'number' ||
    !Number.isFinite(storedAt) ||
    typeof status !== 'number' ||
    !Number.isInteger(status) ||
    status < 100 ||
    status > 599 ||
    (typeof statusText !== 'string' && statusText !== null) ||
    !isHeaders(headers) ||
    typeof kind !== 'string' ||
    !KINDS.has(kind) ||
    typeof bodyBytes !== 'number' ||
    typeof id !== 'string' ||
    !optional(vary, isStrings) ||
    !optional(varied, isString) ||
    typeof redirects !== 'number' ||
    !optional(url, isString) ||
    (crc !== null && typeof crc !== 'number')
  ) {
    throw new EntryError('not an entry: bad field');
  }
  const body = buf.subarray(end + 1);
  if (body.byteLength !== bodyBytes) {
    throw new EntryError(`truncated entry: body has ${body.byteLength} of ${bodyBytes} bytes`);
  }
  if (crc !== null && crc32 && crc32(body) !== crc) throw new EntryError('corrupt entry: body checksum differs');
  const entry: Entry = {
    storedAt,
    ttl: 0,
    status,
    statusText: statusText ?? undefined,
    headers,
    kind: kind as BodyKind,
    body,
    id,
    vary: vary ?? undefined,
    varied: varied ?? undefined,
    redirects,
    url: url ?? undefined,
  };
  readFacts(facts, entry);
  return entry;
}
