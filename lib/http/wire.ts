import axios, { type AxiosAdapter, type AxiosRequestConfig } from 'axios';
import { readHeader } from './rules.js';
import { proxyAuth } from './route.js';

/*
 * What a request puts on the wire, as the adapter in use would send it. The key is made of this and
 * nothing looser: two requests that send different bytes never share a key, and spellings the
 * adapter itself turns into the same bytes (host case, default port, dot segments) share one.
 */

/** Which adapter answers: axios's own two are known byte for byte; any other is taken as it is. */
export type AdapterKind = 'http' | 'fetch' | 'other';

let httpAdapter: AxiosAdapter | null | undefined;
let fetchAdapter: AxiosAdapter | null | undefined;
// axios builds one fetch adapter per `env` (its fetch, Request, Response, Blob): look it up per env object.
const fetchByEnv = new WeakMap<object, AxiosAdapter | null>();

function known(name: 'http' | 'fetch', config?: AxiosRequestConfig): AxiosAdapter | null {
  try {
    return axios.getAdapter(name, config as never);
  } catch {
    return null; // not in this environment
  }
}

function fetchFor(config: AxiosRequestConfig): AxiosAdapter | null {
  const env = config.env;
  if (env === null || typeof env !== 'object') {
    if (fetchAdapter === undefined) fetchAdapter = known('fetch');
    return fetchAdapter;
  }
  let adapter = fetchByEnv.get(env);
  if (adapter === undefined) {
    adapter = known('fetch', config);
    fetchByEnv.set(env, adapter);
  }
  return adapter;
}

// What each adapter function is: a property of the function (axios builds a fetch adapter per env).
const kinds = new WeakMap<AxiosAdapter, AdapterKind>();

export function adapterKind(adapter: AxiosAdapter, config: AxiosRequestConfig): AdapterKind {
  let kind = kinds.get(adapter);
  if (kind === undefined) {
    if (httpAdapter === undefined) httpAdapter = known('http');
    kind = adapter === httpAdapter ? 'http' : adapter === fetchFor(config) ? 'fetch' : 'other';
    kinds.set(adapter, kind);
  }
  return kind;
}

const ABSOLUTE = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** axios's buildFullPath: baseURL applies unless the URL is absolute (and absolute URLs are allowed). */
export function fullPath(baseURL: string | undefined, url: string, allowAbsoluteUrls: boolean | undefined): string {
  if (!baseURL || (ABSOLUTE.test(url) && allowAbsoluteUrls !== false)) return url;
  return url ? `${baseURL.replace(/\/?\/$/, '')}/${url.replace(/^\/+/, '')}` : baseURL;
}

export function hasParams(params: unknown): boolean {
  if (params === undefined || params === null) return false;
  if (params instanceof URLSearchParams) return params.size > 0;
  return typeof params !== 'object' || Object.keys(params).length > 0;
}

type UrlConfig = Pick<AxiosRequestConfig, 'url' | 'baseURL' | 'params' | 'paramsSerializer' | 'allowAbsoluteUrls'>;

// axios's getUri on an instance without defaults: `axios.getUri` would merge the global
// axios.defaults, whose paramsSerializer the adapter never sees (it has the request's own).
const bareGetUri = axios.Axios.prototype.getUri.bind({ defaults: {} } as InstanceType<typeof axios.Axios>);

/**
 * `params` appended exactly as axios's buildURL appends them for this request (it drops a fragment
 * when it does): with the request's own paramsSerializer, nothing from any defaults.
 */
function withParams(url: string, config: UrlConfig): string {
  if (!hasParams(config.params)) return url;
  return bareGetUri({ url, params: config.params, paramsSerializer: config.paramsSerializer });
}

export interface WireUrl {
  /** The URL as sent, without user info or fragment: what a hit reports as its response URL. */
  href: string;
  /** `href` with its query pairs in one order (sorted by name, stable, never decoded): the key's URL. */
  canonical: string;
  /** Basic credentials written into the URL, which the adapters send as an Authorization header. */
  userinfo: { username: string; password: string } | undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function userinfoOf(url: URL): WireUrl['userinfo'] {
  if (!url.username && !url.password) return undefined;
  return { username: decode(url.username), password: decode(url.password) };
}

/** Credentials in a URL another adapter is given: looked for, so that they are never shared. */
function userinfoIn(url: string): WireUrl['userinfo'] {
  if (!/^[a-z][a-z\d+\-.]*:\/\/[^/?#]*@/i.test(url)) return undefined;
  try {
    return userinfoOf(new URL(url));
  } catch {
    return { username: url, password: '' };
  }
}

/**
 * The URL the request goes to. http adapter: WHATWG-parsed origin and path, then `params` (as
 * axios sends them: not re-parsed). fetch adapter: the whole URL with params, WHATWG-parsed. Any
 * other adapter sees the strings it is given, so they are kept as they are.
 * Throws when the URL or params cannot be serialised (the adapter would reject the request too).
 */
export function wireUrl(config: UrlConfig, kind: AdapterKind = 'http'): WireUrl {
  const full = fullPath(config.baseURL, config.url ?? '', config.allowAbsoluteUrls);
  let href: string;
  let userinfo: WireUrl['userinfo'];
  if (kind === 'other' || !ABSOLUTE.test(full)) {
    href = withParams(full, config);
    userinfo = userinfoIn(full);
  } else if (kind === 'fetch') {
    const parsed = new URL(withParams(full, config));
    userinfo = userinfoOf(parsed);
    parsed.username = '';
    parsed.password = '';
    parsed.hash = '';
    href = parsed.href;
  } else {
    const parsed = new URL(full);
    userinfo = userinfoOf(parsed);
    href = `${parsed.protocol}//${parsed.host}${withParams(parsed.pathname + parsed.search, config)}`;
  }
  return { href, canonical: sortQuery(href), userinfo };
}

const nameOf = (pair: string): string => {
  const eq = pair.indexOf('=');
  return eq === -1 ? pair : pair.slice(0, eq);
};

/** Query pairs ordered by name, as raw bytes; pairs of one name keep their order (it can matter). */
export function sortQuery(href: string): string {
  const at = href.indexOf('?');
  if (at === -1 || href.indexOf('&', at) === -1) return href;
  const pairs = href.slice(at + 1).split('&');
  let sorted = true;
  for (let i = 1; i < pairs.length && sorted; i++)
    sorted = nameOf(pairs[i - 1] as string) <= nameOf(pairs[i] as string);
  if (sorted) return href;
  const named = pairs.map((pair) => ({ pair, name: nameOf(pair) }));
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // stable
  return `${href.slice(0, at)}?${named.map((p) => p.pair).join('&')}`;
}

type Credentialed = { headers?: unknown; auth?: { username?: string; password?: string } | undefined; proxy?: unknown };

const basic = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

/**
 * The value a header has on the wire. Authorization: `auth` wins, then credentials in the URL,
 * then the header (both adapters drop the header when they have `auth`). Proxy-Authorization:
 * the header, and the credentials of the request's proxy, which the http adapter sends to it.
 */
export function wireHeader(config: Credentialed, name: string, userinfo: WireUrl['userinfo']): unknown {
  if (name === 'authorization') {
    const auth = config.auth;
    if (auth !== undefined && auth !== null && typeof auth === 'object')
      return basic(auth.username ?? '', auth.password ?? '');
    if (userinfo) return basic(userinfo.username, userinfo.password);
  }
  const value = readHeader(config.headers, name);
  if (name === 'proxy-authorization') {
    const auth = proxyAuth(config.proxy);
    if (auth !== undefined) return [value ?? '', `Basic ${Buffer.from(auth, 'utf8').toString('base64')}`].join('\0');
  }
  return value;
}

// Query parameter names whose values are secrets in common APIs: OAuth codes and tokens, API keys,
// signed URLs (X-Amz-Signature, sig), passwords, sessions. A false positive only hides a value in a log.
const SECRET_PARAM = /token|key|secret|passw|pwd|sig|code|auth|credential|session|jwt|otp|ticket/i;

function redactPair(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq === -1) return pair;
  const name = pair.slice(0, eq);
  return SECRET_PARAM.test(decode(name.replace(/\+/g, ' '))) ? `${name}=***` : pair;
}

/**
 * A URL fit for logs and events: user info replaced, the values of query parameters whose names look
 * like secrets replaced, a fragment dropped (OAuth implicit flows put tokens there).
 */
export function redactUrl(url: string): string {
  let out = url.replace(/^([a-z][a-z\d+\-.]*:\/\/)[^/?#@]*@/i, '$1***@');
  const hash = out.indexOf('#');
  if (hash !== -1) out = `${out.slice(0, hash)}#***`;
  const at = out.indexOf('?');
  if (at === -1) return out;
  const end = hash === -1 ? out.length : out.indexOf('#');
  const query = out
    .slice(at + 1, end)
    .split('&')
    .map(redactPair)
    .join('&');
  return `${out.slice(0, at + 1)}${query}${out.slice(end)}`;
}
