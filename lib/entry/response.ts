import { types } from 'node:util';
import axios, { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { cloneJson, deepFreeze } from './clone.js';
import type { BodyKind, Entry, Headers, Snapshot } from './codec.js';
import { readHeader } from '../http/rules.js';
import type { AdapterKind } from '../http/wire.js';

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

/**
 * The body as bytes. A copy, unless `owned` (bytes the adapter handed to the cache alone, which no
 * caller ever sees: they get a decoding of their own): a transform that changes the caller's Buffer
 * in place then changes nothing stored, and a huge answer is not held twice.
 */
function bodyOf(data: unknown, owned: boolean): { kind: BodyKind; body: Uint8Array } | undefined {
  if (data === undefined) return { kind: 'u', body: EMPTY };
  if (typeof data === 'string') return { kind: 't', body: Buffer.from(data, 'utf8') };
  if (Buffer.isBuffer(data)) return { kind: 'b', body: owned ? data : Buffer.from(data) };
  // types.isArrayBuffer, not instanceof: undici's ArrayBuffers may come from another realm (vm, jest).
  if (types.isArrayBuffer(data)) {
    const bytes = new Uint8Array(data);
    return { kind: 'a', body: owned ? bytes : Buffer.from(bytes) };
  }
  if (ArrayBuffer.isView(data))
    return { kind: 'b', body: Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
  // Parsed JSON handed over by a custom adapter (axios-mock-adapter does this).
  if (isPlainData(data)) return { kind: 'j', body: Buffer.from(JSON.stringify(data), 'utf8') };
  return undefined; // streams, Blobs, FormData, class instances: not storable
}

type FollowedRequest =
  | { res?: { redirects?: unknown; responseUrl?: unknown }; _redirectable?: { _redirectCount?: unknown } }
  | undefined;

/** Redirects the http adapter followed (follow-redirects counts them on its request), and where they led. */
function redirectsOf(request: unknown): { redirects: number; url: string | undefined } {
  const req = request as FollowedRequest;
  const res = req?.res;
  const counted = req?._redirectable?._redirectCount;
  const count = Math.max(
    Array.isArray(res?.redirects) ? res.redirects.length : 0,
    typeof counted === 'number' ? counted : 0,
  );
  if (count === 0 || typeof res?.responseUrl !== 'string') return { redirects: count, url: undefined };
  try {
    const url = new URL(res.responseUrl);
    url.username = '';
    url.password = '';
    return { redirects: count, url: url.href };
  } catch {
    return { redirects: count, url: undefined };
  }
}

/**
 * The storable form of an adapter's answer; undefined when its body cannot be stored. Throws if
 * JSON.stringify does.
 */
export function toSnapshot(
  raw: Pick<RawResponse, 'data' | 'status' | 'statusText' | 'headers' | 'request'>,
  owned = false,
): Snapshot | undefined {
  const body = bodyOf(raw.data, owned);
  if (!body) return undefined;
  return {
    status: raw.status,
    statusText: typeof raw.statusText === 'string' ? raw.statusText : undefined,
    headers: plainHeaders(raw.headers),
    kind: body.kind,
    body: body.body,
    ...redirectsOf(raw.request),
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
      const value: unknown = JSON.parse(
        Buffer.from(entry.body.buffer, entry.body.byteOffset, entry.body.byteLength).toString('utf8'),
      );
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

const view = (body: Uint8Array): Buffer => Buffer.from(body.buffer, body.byteOffset, body.byteLength);
const utf8 = new TextDecoder();

/** Text as the adapter would have decoded it: the http adapter by responseEncoding, fetch always as UTF-8. */
function decodeText(body: Uint8Array, config: InternalAxiosRequestConfig, kind: AdapterKind): string {
  if (kind === 'fetch') return utf8.decode(body); // Response.text(): UTF-8, BOM dropped
  const encoding = config.responseEncoding as BufferEncoding | undefined;
  const s = view(body).toString(encoding);
  // As the http adapter does: a BOM is dropped only for the default encoding.
  return (!encoding || encoding === 'utf8') && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** True when the text decoding of this caller is UTF-8, so a JSON template parsed from UTF-8 is its answer. */
function decodesUtf8(config: InternalAxiosRequestConfig, kind: AdapterKind): boolean {
  const encoding = config.responseEncoding;
  return kind === 'fetch' || !encoding || encoding === 'utf8' || encoding === 'utf-8';
}

/**
 * The bytes an adapter of `kind` read, as that adapter hands them to axios for this caller's
 * responseType and responseEncoding. A Blob (fetch) takes a promise.
 */
export function bytesFor(
  entry: Snapshot | Entry,
  config: InternalAxiosRequestConfig,
  kind: AdapterKind,
  zeroCopy: boolean,
): unknown {
  const { body } = entry;
  const type = config.responseType;
  if (type === 'arraybuffer') {
    return kind === 'fetch' ? body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) : Buffer.from(body);
  }
  if (type === 'blob' && kind === 'fetch') {
    const contentType = entry.headers['content-type'];
    return new Response(Buffer.from(body), {
      headers: contentType === undefined ? {} : { 'content-type': String(contentType) },
    }).blob();
  }
  if (!config.parseReviver && parsesAsJson(config) && decodesUtf8(config, kind)) {
    const json = fromTemplate(entry, zeroCopy);
    if (json !== NO_TEMPLATE) return json;
  }
  return decodeText(body, config, kind);
}

/** A body from a custom adapter, in the form it came, in the type this caller's responseType asks for. */
function customBody(entry: Snapshot | Entry, config: InternalAxiosRequestConfig, zeroCopy: boolean): unknown {
  const wantsBytes = config.responseType === 'arraybuffer';
  const { body } = entry;
  switch (entry.kind) {
    case 'u':
      return undefined;
    case 't': {
      if (wantsBytes) return Buffer.from(body);
      const json = !config.parseReviver && parsesAsJson(config) ? fromTemplate(entry, zeroCopy) : NO_TEMPLATE;
      if (json !== NO_TEMPLATE) return json;
      return view(body).toString('utf8');
    }
    case 'j': {
      if (wantsBytes) return Buffer.from(body);
      const json = fromTemplate(entry, zeroCopy);
      if (json !== NO_TEMPLATE) return json;
      return JSON.parse(view(body).toString('utf8'));
    }
    case 'b':
      return wantsBytes ? Buffer.from(body) : decodeText(body, config, 'http');
    case 'a':
      return wantsBytes
        ? body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)
        : decodeText(body, config, 'http');
  }
}

/**
 * `request.res` of a cached answer, shaped like the http adapter's IncomingMessage for the parts code
 * reads (`responseUrl`, `statusCode`, `headers`). Computed on access: a hit that nobody inspects pays
 * one allocation, and every access gets copies of its own.
 */
class CachedIncomingMessage {
  readonly #entry: Snapshot;
  constructor(
    readonly responseUrl: string,
    entry: Snapshot,
  ) {
    this.#entry = entry;
  }
  get statusCode(): number {
    return this.#entry.status;
  }
  get statusMessage(): string | undefined {
    return this.#entry.statusText;
  }
  get headers(): Headers {
    return { ...this.#entry.headers };
  }
  get redirects(): object[] {
    return Array.from({ length: this.#entry.redirects }, () => ({}));
  }
}

/** `response.request` of a cached answer, shaped like the http adapter's ClientRequest. */
class CachedClientRequest {
  readonly res: CachedIncomingMessage;
  constructor(
    readonly method: string,
    responseUrl: string,
    entry: Snapshot,
  ) {
    this.res = new CachedIncomingMessage(responseUrl, entry);
  }
  #url(): URL | undefined {
    try {
      return new URL(this.res.responseUrl);
    } catch {
      return undefined;
    }
  }
  get path(): string {
    const url = this.#url();
    return url ? url.pathname + url.search : this.res.responseUrl;
  }
  get host(): string | undefined {
    return this.#url()?.hostname;
  }
  get protocol(): string | undefined {
    return this.#url()?.protocol;
  }
}

/** The request object a hit carries, shaped like the one the adapter in use produces. */
export function requestFor(
  kind: AdapterKind,
  config: InternalAxiosRequestConfig,
  href: string,
  entry: Snapshot,
): unknown {
  const responseUrl = entry.url ?? href;
  const method = (config.method ?? 'get').toUpperCase();
  if (kind === 'fetch') return { url: responseUrl, method, redirected: entry.redirects > 0 };
  if (kind === 'other') return { responseURL: responseUrl, res: { responseUrl } };
  return new CachedClientRequest(method, responseUrl, entry);
}

/** Who is answered: the adapter the caller's request would have used, and the URL it would have gone to. */
export interface Answer {
  kind: AdapterKind;
  href: string;
}

function tooLong(
  config: InternalAxiosRequestConfig,
  entry: Snapshot,
  kind: AdapterKind,
  request: unknown,
): AxiosError | undefined {
  const max = config.maxContentLength;
  if (kind === 'other' || typeof max !== 'number' || max < 0 || entry.body.byteLength <= max) return undefined;
  return new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, config, request);
}

/**
 * What the cache adapter resolves with for a stored answer: the caller's own copy, decoded for its
 * own response options; axios then transforms it like any other. Throws as the adapter would for a
 * body over the caller's maxContentLength.
 */
/**
 * The caller's own copy of the stored headers, with `extra` ones added (an `Age`). Copied property by
 * property: an object spread and then extended is several times slower for axios to read
 * (AxiosHeaders.from: 1.9 µs against 0.5 µs for three headers, measured).
 */
function headersFor(stored: Headers, extra: Headers | undefined): Headers {
  const out: Headers = {};
  for (const name of Object.keys(stored)) out[name] = stored[name] as string | string[];
  if (extra) for (const name of Object.keys(extra)) out[name] = extra[name] as string | string[];
  return out;
}

export function toRawResponse(
  entry: Snapshot,
  config: InternalAxiosRequestConfig,
  at: Answer,
  zeroCopy = false,
  extraHeaders?: Headers,
): RawResponse | Promise<RawResponse> {
  const request = requestFor(at.kind, config, at.href, entry);
  const error = tooLong(config, entry, at.kind, request);
  if (error) throw error;
  const data = at.kind === 'other' ? customBody(entry, config, zeroCopy) : bytesFor(entry, config, at.kind, zeroCopy);
  const raw: RawResponse = {
    data,
    status: entry.status,
    statusText: entry.statusText,
    headers: headersFor(entry.headers, extraHeaders),
    config,
    request,
  };
  if (types.isPromise(data)) {
    return data.then((value: unknown) => {
      raw.data = value;
      return raw;
    });
  }
  return raw;
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

/** Settles a raw response that may still be decoding (a Blob). */
export async function settleAsync(raw: RawResponse | Promise<RawResponse>): Promise<RawResponse> {
  return settle(await raw);
}
