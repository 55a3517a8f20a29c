import type { StoredValue } from './types.js';

/**
 * Entry layout (version 1): one line of JSON, a newline, then the raw body bytes.
 *   [1, storedAt, status, statusText, headers, kind, bodyBytes]\n<body>
 * The meta line is JSON, so it never holds a raw newline; bodyBytes catches a truncated value.
 */
export const ENTRY_VERSION = 1;

/** t: text as the adapter decoded it; j: a JSON value a custom adapter returned; b: Buffer; a: ArrayBuffer; u: no body. */
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
}

export interface Entry extends Snapshot {
  storedAt: number;
  /**
   * Set on an entry kept in the decoded-entries cache, read by more than one request: it may then
   * hold the parsed JSON of its body (`template`, never handed out itself unless zeroCopy), or null
   * when the body is not JSON.
   */
  reusable?: boolean;
  template?: { value: unknown } | null;
}

export class EntryError extends Error {
  override name = 'EntryError';
}

const NEWLINE = 0x0a;
const KINDS = new Set<string>(['t', 'j', 'b', 'a', 'u']);

export function encodeEntry(snapshot: Snapshot, storedAt: number): Uint8Array {
  const meta = JSON.stringify([
    ENTRY_VERSION, storedAt, snapshot.status, snapshot.statusText, snapshot.headers, snapshot.kind, snapshot.body.byteLength,
  ]);
  const metaBytes = Buffer.byteLength(meta);
  const out = Buffer.allocUnsafe(metaBytes + 1 + snapshot.body.byteLength);
  out.write(meta, 0, 'utf8');
  out[metaBytes] = NEWLINE;
  out.set(snapshot.body, metaBytes + 1);
  return out;
}

function isHeaders(value: unknown): value is Headers {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const v of Object.values(value)) {
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) return false;
  }
  return true;
}

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
  if (!Array.isArray(meta) || meta.length !== 7) throw new EntryError('not an entry: bad meta line');
  const [version, storedAt, status, statusText, headers, kind, bodyBytes] = meta as unknown[];
  if (version !== ENTRY_VERSION) throw new EntryError(`unknown entry version ${String(version)}`);
  if (
    typeof storedAt !== 'number' || !Number.isFinite(storedAt) ||
    typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599 ||
    (typeof statusText !== 'string' && statusText !== null) || !isHeaders(headers) ||
    typeof kind !== 'string' || !KINDS.has(kind) || typeof bodyBytes !== 'number'
  ) {
    throw new EntryError('not an entry: bad field');
  }
  const body = buf.subarray(end + 1);
  if (body.byteLength !== bodyBytes) {
    throw new EntryError(`truncated entry: body has ${body.byteLength} of ${bodyBytes} bytes`);
  }
  return { storedAt, status, statusText: statusText ?? undefined, headers, kind: kind as BodyKind, body };
}
