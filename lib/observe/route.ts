import type { InternalAxiosRequestConfig } from 'axios';
import type { CacheContext } from '../flow/context.js';
import type { RouteInfo } from '../types.js';

/*
 * The label a dashboard groups requests by. A full URL is one series per user id, page and query: a
 * metrics backend pays for every one. The default keeps the host and the path's shape: a segment that
 * holds a digit or is long (an id, a hash, a token) becomes ':id', the query and the fragment go, and
 * user info never appears (it is not in the URL we are given).
 */

const MAX_SEGMENTS = 8;
const MAX_SEGMENT_LENGTH = 32;
const VARIABLE = /\d/;

function segmentLabel(segment: string): string {
  if (segment === '') return segment;
  return VARIABLE.test(segment) || segment.length > MAX_SEGMENT_LENGTH ? ':id' : segment;
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

/**
 * The route of a request: its `staleCache.route`, else the instance's `route` function, else the
 * default. A function that throws or returns no string gives the default (and an error event).
 */
export function routeOf(ctx: CacheContext, config: InternalAxiosRequestConfig, url: string): string {
  const own = config.staleCache === false ? undefined : config.staleCache?.route;
  if (typeof own === 'string' && own !== '') return own;
  const fn = ctx.opts.route;
  if (fn) {
    const info: RouteInfo = { method: config.method ?? 'get', url, config };
    try {
      const label = fn(info);
      if (typeof label === 'string' && label !== '') return label;
      throw new TypeError(`route() returned ${typeof label === 'string' ? 'an empty string' : typeof label}`);
    } catch (error) {
      ctx.events.emit('error', { op: 'route', key: undefined, error });
    }
  }
  return defaultRoute(url);
}
