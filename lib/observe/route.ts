import type { InternalAxiosRequestConfig } from 'axios';
import type { CacheContext } from '../flow/context.js';
import { redactUrl } from '../http/wire.js';
import type { RouteInfo } from '../types.js';

/*
 * The label a dashboard groups requests by. A full URL is one series per user id, page and query: a
 * metrics backend pays for every one. The default keeps the host and the path's shape: only a segment
 * that reads as a plain lower-case word (`users`, `order-items`) or a version (`v2`) stays; any other
 * (an id, a hash, a token, an email, mixed case) becomes ':id'. The query, the fragment and user info
 * go. It is a heuristic: a plain word can still be a name (`/search/john-smith`); set `route` when
 * paths carry such values.
 */

const MAX_SEGMENTS = 8;
const MAX_SEGMENT_LENGTH = 32;
const WORD = /^(?:[a-z]+(?:[-_.][a-z]+)*|v\d{1,2})$/;
const ROUTE: unique symbol = Symbol('axios-stale-cache.route');
// One error event per cache in this long, at most: a route function that throws throws for every request.
const ROUTE_ERROR_EVERY_MS = 60_000;

function segmentLabel(segment: string): string {
  if (segment === '') return segment;
  return WORD.test(segment) && segment.length <= MAX_SEGMENT_LENGTH ? segment : ':id';
}

/** `api.example.com/users/:id/orders` for `https://api.example.com/users/42/orders?page=2`. */
export function defaultRoute(url: string): string {
  let host = '';
  let path = url;
  const scheme = /^[a-z][a-z\d+\-.]*:\/\/([^/?#]*)/i.exec(url);
  if (scheme) {
    host = (scheme[1] ?? '').replace(/^.*@/, '');
    path = url.slice(scheme[0].length);
  }
  const end = path.search(/[?#]/);
  if (end !== -1) path = path.slice(0, end);
  const segments = path.split('/').slice(1);
  const shown = segments.slice(0, MAX_SEGMENTS).map(segmentLabel);
  if (segments.length > MAX_SEGMENTS) shown.push('…');
  return `${host}/${shown.join('/')}`;
}

const ABSOLUTE = /^[a-z][a-z\d+\-.]*:\/\//i;

/**
 * A request's URL for labels and messages: its baseURL and url joined as axios joins them, without
 * its params (a route ignores the query), secrets redacted. Not axios.getUri(): that merges the whole
 * config with the instance's defaults again, which cost more than the rest of a hit.
 */
export function requestUrl(config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  const base = config.baseURL;
  if (!base || (ABSOLUTE.test(url) && config.allowAbsoluteUrls !== false)) return redactUrl(url);
  return redactUrl(url ? `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}` : base);
}

/**
 * The route of a request, computed once per config: its `staleCache.route`, else the instance's
 * `route` function, else the default. A function that throws or returns no string gives the default
 * (and an error event, one a minute at most).
 */
export function routeOf(ctx: CacheContext, config: InternalAxiosRequestConfig): string {
  const held = (config as { [ROUTE]?: string })[ROUTE];
  if (held !== undefined) return held;
  const route = computeRoute(ctx, config);
  Object.defineProperty(config, ROUTE, { value: route, configurable: true, enumerable: false, writable: true });
  return route;
}

function computeRoute(ctx: CacheContext, config: InternalAxiosRequestConfig): string {
  const own = config.staleCache === false ? undefined : config.staleCache?.route;
  if (typeof own === 'string' && own !== '') return own;
  const url = requestUrl(config);
  const fn = ctx.opts.route;
  if (fn) {
    const info: RouteInfo = { method: config.method ?? 'get', url, config };
    try {
      const label = fn(info);
      if (typeof label === 'string' && label !== '') return label;
      throw new TypeError(`route() returned ${typeof label === 'string' ? 'an empty string' : typeof label}`);
    } catch (error) {
      const now = Date.now();
      if (now - ctx.routeErrorAt >= ROUTE_ERROR_EVERY_MS) {
        ctx.routeErrorAt = now;
        ctx.events.emit('error', { op: 'route', key: undefined, error });
      }
    }
  }
  return defaultRoute(url);
}
