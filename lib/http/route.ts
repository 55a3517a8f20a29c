import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { types } from 'node:util';
import { getProxyForUrl } from 'proxy-from-env';
import { digest } from './digest.js';
import type { AdapterKind } from './wire.js';

/*
 * What picks the server beyond the URL, and whether its certificate is checked. The http adapter:
 * the proxy (the request's own, or the environment's), the agents (Node applies an agent's options
 * over the request's: host, port, lookup, family, localAddress, TLS trust and client certificates),
 * `lookup`, `family`, `transport`, HTTP/2 and its options, the parser, and the headers dropped on
 * a cross-origin redirect. The fetch adapter: a custom `env.fetch` (or Request, Response) and
 * `fetchOptions` (a dispatcher routes like an agent; redirect, referrer and integrity change the
 * answer). And the process: NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off.
 *
 * Whatever is not the default makes a route segment in the key: the same URL by another route is
 * another entry, and an answer fetched without checking the certificate never reaches a caller
 * that checks it. Code (a lookup function, a transport, an agent of a class of its own, a
 * dispatcher) cannot be compared across processes: it is keyed by its identity in this process,
 * so those entries are shared by this process's requests only.
 *
 * Credentials of a proxy set on the request are the caller's (see proxyAuth); the environment's
 * proxy and an agent's client certificate are the process's, keyed by digest.
 */

const NONCE = randomBytes(9).toString('base64url');
const ids = new WeakMap<object, number>();
let lastId = 0;

/** This process's name for a function or object it cannot compare by value. */
function identity(value: object): string {
  let id = ids.get(value);
  if (id === undefined) {
    id = ++lastId;
    ids.set(value, id);
  }
  return `#${NONCE}.${id}`;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A value as JSON that tells apart whatever may route differently: code by identity, bytes by digest. */
function canonical(value: unknown, depth = 0): unknown {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
    case 'symbol':
      return String(value);
    case 'function':
      return identity(value);
  }
  const object = value as object;
  if (types.isUint8Array(object)) return `sha256:${digest(object)}`;
  if (types.isArrayBuffer(object)) return `sha256:${digest(new Uint8Array(object))}`;
  if (object instanceof URL) return object.href;
  if (depth < 4 && Array.isArray(object)) return object.map((item) => canonical(item, depth + 1));
  if (depth < 4 && isPlainObject(object)) {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(object).sort()) {
      if (object[name] !== undefined) out[name] = canonical(object[name], depth + 1);
    }
    return out;
  }
  return identity(object);
}

// Agent options that change how sockets are pooled, not where they go nor whom they trust.
const POOLING = new Set([
  'keepAlive',
  'keepAliveMsecs',
  'maxSockets',
  'maxTotalSockets',
  'maxFreeSockets',
  'scheduling',
  'timeout',
  'noDelay',
  'path',
  'maxCachedSessions',
  'highWaterMark',
]);
// Methods that decide where a socket goes or how a request is sent, when set on the agent itself
// (cacheable-lookup's install() sets createConnection, for one).
const AGENT_HOOKS = [
  'createConnection',
  'getName',
  'addRequest',
  'createSocket',
  'removeSocket',
  'keepSocketAlive',
  'reuseSocket',
  '_getSession',
  '_cacheSession',
  '_evictSession',
  'callback',
  'connect',
] as const;

const agents = new WeakMap<object, string>();

/**
 * An agent's part of the route: '' for one that routes and trusts as Node's default does. A plain
 * http(s).Agent is described by its options (client certificates and CA by digest); an agent of any
 * other class, whose code may route elsewhere, by its identity. Remembered per agent object.
 */
function agentRoute(agent: unknown): string {
  if (agent === undefined || agent === null || agent === false) return '';
  if (typeof agent !== 'object') return String(canonical(agent));
  const known = agents.get(agent);
  if (known !== undefined) return known;
  const proto = Object.getPrototypeOf(agent);
  let route: string;
  if (proto !== http.Agent.prototype && proto !== https.Agent.prototype) route = identity(agent);
  else {
    const parts: Record<string, unknown> = {};
    const a = agent as Record<string, unknown>;
    for (const hook of AGENT_HOOKS) if (Object.hasOwn(a, hook)) parts[hook] = canonical(a[hook]);
    const options = a.options as Record<string, unknown> | undefined;
    if (options && typeof options === 'object') {
      for (const name of Object.keys(options).sort()) {
        if (!POOLING.has(name) && options[name] !== undefined) parts[name] = canonical(options[name]);
      }
    }
    route = Object.keys(parts).length === 0 ? '' : JSON.stringify(parts);
  }
  agents.set(agent, route);
  return route;
}

/** Reads a proxy field as axios does: a URL's getters, else own properties only. */
function proxyField(proxy: object, name: string): unknown {
  return proxy instanceof URL || Object.hasOwn(proxy, name) ? (proxy as Record<string, unknown>)[name] : undefined;
}

/**
 * The credentials a proxy set on the request sends (`user:pass`), in each form axios takes:
 * username and password fields (a URL, or an object like one), `auth` as an object, `auth` as a string.
 */
export function proxyAuth(proxy: unknown): string | undefined {
  if (!proxy || typeof proxy !== 'object') return undefined;
  const username = proxyField(proxy, 'username');
  if (username) return `${String(username)}:${String(proxyField(proxy, 'password') || '')}`;
  const auth = Object.hasOwn(proxy, 'auth') ? (proxy as { auth?: unknown }).auth : undefined;
  if (!auth) return undefined;
  if (typeof auth !== 'object') return String(auth);
  const user = Object.hasOwn(auth, 'username') ? (auth as { username?: unknown }).username : undefined;
  const pass = Object.hasOwn(auth, 'password') ? (auth as { password?: unknown }).password : undefined;
  return user || pass ? `${String(user || '')}:${String(pass || '')}` : undefined;
}

/** Where a proxy is: scheme, host and port, without its credentials. */
function proxyTarget(proxy: object): string {
  const protocol = String(proxyField(proxy, 'protocol') ?? '').replace(/:$/, '');
  const host = proxyField(proxy, 'hostname') || proxyField(proxy, 'host');
  return `${protocol.toLowerCase()}://${String(host ?? '').toLowerCase()}:${String(proxyField(proxy, 'port') ?? '')}`;
}

// The environment, read at most once a second: reading it costs microseconds, a hit a few more.
const ENV_NAMES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'no_proxy',
  'NO_PROXY',
] as const;
const NO_PROXIES = ENV_NAMES.map(() => '').join('\n');
const ENV_TTL_MS = 1_000;
type Environment = { at: number; proxies: string; tlsOff: boolean; byOrigin: Map<string, string> };
let env: Environment | undefined;

function environment(): Environment {
  const now = Date.now();
  if (env && now - env.at < ENV_TTL_MS) return env;
  const proxies = ENV_NAMES.map((name) => process.env[name] ?? '').join('\n');
  const tlsOff = process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0';
  const byOrigin = env && env.proxies === proxies ? env.byOrigin : new Map<string, string>();
  env = { at: now, proxies, tlsOff, byOrigin };
  return env;
}

/** The environment's proxy for a URL, as axios finds it (proxy-from-env), with its credentials digested. */
function envProxy(e: Environment, href: string): string {
  if (e.proxies === NO_PROXIES) return '';
  const origin = /^[a-z][a-z\d+\-.]*:\/\/[^/?#]*/i.exec(href)?.[0];
  if (origin === undefined) return '';
  let route = e.byOrigin.get(origin);
  if (route === undefined) {
    route = '';
    const found = getProxyForUrl(origin);
    if (found) {
      try {
        const url = new URL(found);
        const auth = url.username || url.password ? `@${digest(`${url.username}:${url.password}`)}` : '';
        route = `${proxyTarget(url)}${auth}`;
      } catch {
        route = `unparsed:${digest(found)}`;
      }
    }
    if (e.byOrigin.size >= 1_000) e.byOrigin.clear();
    e.byOrigin.set(origin, route);
  }
  return route;
}

/** True when Node will not check the certificate of an https server reached through this agent. */
function unverified(e: Environment, agent: unknown): boolean {
  if (!e.tlsOff) return false;
  const options = (agent as { options?: Record<string, unknown> } | undefined)?.options;
  return !(options && Object.hasOwn(options, 'rejectUnauthorized')); // an explicit value is in agentRoute
}

type RouteConfig = object;
type Fields = Record<string, unknown>;

// fetchOptions the fetch adapter drops or that change nothing about the answer.
const FETCH_NEUTRAL = new Set([
  'mode',
  'keepalive',
  'priority',
  'window',
  'credentials',
  'body',
  'headers',
  'method',
  'signal',
  'duplex',
  'cache', // read as the request's own Cache-Control (see rules.ts)
]);

function httpRoute(route: RouteConfig, href: string): Record<string, unknown> {
  const config = route as Fields;
  const parts: Record<string, unknown> = {};
  const e = environment();
  const { proxy } = config;
  if (proxy && typeof proxy === 'object') parts.proxy = proxyTarget(proxy);
  else if (proxy !== false) {
    const fromEnv = envProxy(e, href);
    if (fromEnv) parts.envProxy = fromEnv;
  }
  const httpsAgent = config.httpsAgent ?? https.globalAgent;
  const httpAgent = agentRoute(config.httpAgent ?? http.globalAgent);
  const secureAgent = agentRoute(httpsAgent);
  if (httpAgent) parts.httpAgent = httpAgent;
  if (secureAgent) parts.httpsAgent = secureAgent;
  if (unverified(e, httpsAgent)) parts.tls = 'unverified';
  for (const name of ['lookup', 'transport', 'http2Options'] as const) {
    if (config[name] !== undefined && config[name] !== null) parts[name] = canonical(config[name]);
  }
  const family = Number(config.family);
  if (family === 4 || family === 6) parts.family = family;
  if (Number(config.httpVersion) === 2) parts.httpVersion = 2;
  if (config.insecureHTTPParser) parts.insecureHTTPParser = true;
  const sensitive = config.sensitiveHeaders;
  if (Array.isArray(sensitive) && sensitive.length > 0) {
    parts.sensitiveHeaders = sensitive.map((name) => String(name).toLowerCase()).sort();
  }
  return parts;
}

function fetchRoute(route: RouteConfig): Record<string, unknown> {
  const config = route as Fields;
  const parts: Record<string, unknown> = {};
  const env = config.env as Record<string, unknown> | undefined;
  if (env && typeof env === 'object') {
    for (const name of ['fetch', 'Request', 'Response'] as const) {
      if (env[name] !== undefined && env[name] !== null) parts[name] = canonical(env[name]);
    }
  }
  const options = config.fetchOptions;
  if (options && typeof options === 'object') {
    for (const name of Object.keys(options).sort()) {
      const value = (options as Record<string, unknown>)[name];
      if (!FETCH_NEUTRAL.has(name) && value !== undefined) parts[`fetch.${name}`] = canonical(value);
    }
  }
  if (environment().tlsOff) parts.tls = 'unverified';
  return parts;
}

/**
 * The route segment of a request's key: a digest of everything beyond its URL that picks its server
 * or decides whether the server's certificate is checked; undefined for the default route, so that
 * the keys of an ordinary request do not change. A custom adapter is taken to route by the URL.
 */
export function routeOf(config: RouteConfig, kind: AdapterKind, href: string): string | undefined {
  if (kind === 'other') return undefined;
  const parts = kind === 'http' ? httpRoute(config, href) : fetchRoute(config);
  return Object.keys(parts).length === 0 ? undefined : digest(JSON.stringify(parts)).slice(0, 22);
}
