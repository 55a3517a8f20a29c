import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { cloneJson, deepFreeze } from './clone.js';
import type { BodyKind, Entry, Headers, Snapshot } from './entry.js';
import { readHeader } from './policy.js';

/** What an adapter resolves with, before axios transforms the body. */
export interface RawResponse {
  data: unknown;
  status: number;
  statusText: string | undefined;
  headers: unknown;
  config: InternalAxiosRequestConfig;
  request?: unknown;
}

const EMPTY = new Uint8Array(0);

function isPlainData(value: unknown): boolean {
  if (value === null || typeof value === 'number' || typeof value === 'boolean' || Array.isArray(value)) return true;
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Lower-cased names, string values, never `set-cookie` (a cookie is one user's, not the URL's). */
function plainHeaders(headers: unknown): Headers {
  const out: Headers = {};
  if (headers === null || typeof headers !== 'object') return out;
  // AxiosHeaders keeps each header as an own enumerable property, as a plain object does.
  const source = headers as Record<string, unknown>;
  for (const name of Object.keys(source)) {
    const value = source[name];
    const lower = name.toLowerCase();
    if (lower === 'set-cookie' || value === undefined || value === null || value === false) continue;
    out[lower] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

function bodyOf(data: unknown): { kind: BodyKind; body: Uint8Array } | undefined {
  if (data === undefined) return { kind: 'u', body: EMPTY };
  if (typeof data === 'string') return { kind: 't', body: Buffer.from(data, 'utf8') };
  if (Buffer.isBuffer(data)) return { kind: 'b', body: data };
  if (data instanceof ArrayBuffer) return { kind: 'a', body: new Uint8Array(data) };
  if (ArrayBuffer.isView(data)) return { kind: 'b', body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  // Parsed JSON handed over by a custom adapter (axios-mock-adapter does this).
  if (isPlainData(data)) return { kind: 'j', body: Buffer.from(JSON.stringify(data), 'utf8') };
  return undefined; // streams, Blobs, FormData, class instances: not storable
}

/** The storable form of an adapter's answer; undefined when its body cannot be stored. Throws if JSON.stringify does. */
export function toSnapshot(raw: Pick<RawResponse, 'data' | 'status' | 'statusText' | 'headers'>): Snapshot | undefined {
  const body = bodyOf(raw.data);
  if (!body) return undefined;
  return {
    status: raw.status,
    statusText: typeof raw.statusText === 'string' ? raw.statusText : undefined,
    headers: plainHeaders(raw.headers),
    kind: body.kind,
    body: body.body,
  };
}

const defaultTransform = (() => {
  const t = axios.defaults.transformResponse;
  return Array.isArray(t) ? t[0] : t;
})();

/**
 * True when axios's own transform will JSON.parse a string body for this request: its default
 * transform runs first and the response type asks for (or defaults to) JSON. Then handing axios
 * the parsed value instead gives the caller exactly what it would have got: the default transform
 * passes a non-string through, and any transform after it sees the same value.
 */
export function parsesAsJson(config: InternalAxiosRequestConfig): boolean {
  const transforms = config.transformResponse;
  const first = Array.isArray(transforms) ? transforms[0] : transforms;
  if (first === undefined || first !== defaultTransform) return false;
  const responseType = config.responseType;
  const forced = config.transitional?.forcedJSONParsing ?? true;
  return (forced && !responseType) || responseType === 'json';
}

/** The parsed body of a reusable entry, parsed once; null when the body is not JSON. */
function templateOf(entry: Entry, zeroCopy: boolean): { value: unknown } | null {
  if (entry.template === undefined) {
    try {
      const value: unknown = JSON.parse(Buffer.from(entry.body.buffer, entry.body.byteOffset, entry.body.byteLength).toString('utf8'));
      entry.template = { value: zeroCopy ? deepFreeze(value) : value };
    } catch {
      entry.template = null;
    }
  }
  return entry.template;
}

const NO_TEMPLATE = Symbol('no template');

/**
 * The JSON body of an entry read more than once, from its parsed template: the frozen template itself
 * under zeroCopy, else a copy of the caller's own. NO_TEMPLATE when the entry is not reusable or not JSON.
 */
function fromTemplate(entry: Snapshot | Entry, zeroCopy: boolean): unknown {
  if (!(entry as Entry).reusable) return NO_TEMPLATE;
  const template = templateOf(entry as Entry, zeroCopy);
  if (!template) return NO_TEMPLATE;
  return zeroCopy ? template.value : cloneJson(template.value);
}

function text(body: Uint8Array, encoding: string | undefined): string {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const enc = (encoding ?? 'utf8') as BufferEncoding;
  const s = buf.toString(enc);
  // As axios's http adapter does for utf8 bodies.
  return (enc === 'utf8' || enc === 'utf-8') && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * A new body for this caller, in the type its responseType asks for; never shares memory with the
 * entry, except the frozen template under zeroCopy.
 */
function bodyFor(entry: Snapshot | Entry, config: InternalAxiosRequestConfig, zeroCopy: boolean): unknown {
  const wantsBytes = config.responseType === 'arraybuffer';
  const { body } = entry;
  switch (entry.kind) {
    case 'u':
      return undefined;
    case 't': {
      if (wantsBytes) return Buffer.from(body);
      const json = !config.parseReviver && parsesAsJson(config) ? fromTemplate(entry, zeroCopy) : NO_TEMPLATE;
      if (json !== NO_TEMPLATE) return json;
      return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    }
    case 'j': {
      if (wantsBytes) return Buffer.from(body);
      const json = fromTemplate(entry, zeroCopy);
      if (json !== NO_TEMPLATE) return json;
      return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    }
    case 'b':
      return wantsBytes ? Buffer.from(body) : text(body, config.responseEncoding);
    case 'a':
      return wantsBytes ? body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) : text(body, config.responseEncoding);
  }
}

/** What the cache adapter resolves with for a cached answer: axios then transforms it like any other. */
export function toRawResponse(entry: Snapshot, config: InternalAxiosRequestConfig, zeroCopy = false): RawResponse {
  return {
    data: bodyFor(entry, config, zeroCopy),
    status: entry.status,
    statusText: entry.statusText,
    headers: { ...entry.headers },
    config,
    request: undefined,
  };
}

export function ageOf(entry: Entry, now: number): number {
  return Math.max(0, now - entry.storedAt);
}

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

/**
 * A body that says it is JSON and is not: a broken upstream, worth the stale answer. Parsed only
 * when axios's own transform would parse it next; the parsed value is returned so that axios,
 * which passes non-strings through, does not parse it a second time.
 */
export function parseDeclaredJson(raw: RawResponse): { ok: true; value: unknown } | { ok: false } | undefined {
  const { data, config } = raw;
  if (typeof data !== 'string' || data === '' || !parsesAsJson(config)) return undefined;
  const type = readHeader(raw.headers, 'content-type');
  if (typeof type !== 'string' || !JSON_TYPE.test(type)) return undefined;
  try {
    return { ok: true, value: JSON.parse(data, config.parseReviver as Parameters<typeof JSON.parse>[1]) };
  } catch {
    return { ok: false };
  }
}


/** Resolve or reject a cached answer as a real adapter would: by the caller's validateStatus. */
export function settle(raw: RawResponse): RawResponse {
  const validate = raw.config.validateStatus;
  if (!raw.status || !validate || validate(raw.status)) return raw;
  throw new AxiosError(
    `Request failed with status code ${raw.status}`,
    raw.status >= 400 && raw.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
    raw.config,
    raw.request,
    raw as never,
  );
}
