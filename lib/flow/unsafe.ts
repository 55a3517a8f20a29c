import type { AxiosAdapter } from 'axios';
import type { CacheContext, TrackedConfig } from './context.js';
import type { RawResponse } from '../entry/response.js';
import { invalidateResources, type Resource } from '../handle/invalidate.js';
import { METHOD_OVERRIDE_HEADERS, readHeader } from '../http/rules.js';
import { adapterKind, wireUrl } from '../http/wire.js';
import { headersDigest } from '../http/key.js';
import { routeOf } from '../http/route.js';
import { shapeOf } from './request.js';

/*
 * An unsafe request that succeeded changed its target (RFC 9111 §4.4): a POST, PUT, PATCH, DELETE
 * (or a method the cache does not know, or a method override naming one) through the instance that answers below 400 removes both tiers of its URL, and of the URLs its
 * Location and Content-Location name on the same origin, in the store (so every
 * process sharing it sees it). A method the instance caches (`methods`) is taken as safe.
 */

// Safe methods (RFC 9110 §9.2.1, and QUERY): any other method, an unknown one included, is unsafe.
const SAFE = new Set(['get', 'head', 'options', 'trace', 'query']);

/** The target of an unsafe request as sent, captured at dispatch; undefined for a safe one. */
export function unsafeTarget(ctx: CacheContext, config: TrackedConfig, upstream: AxiosAdapter): Resource | undefined {
  // A method override (X-HTTP-Method-Override and the like) is the method such a server runs.
  const override = METHOD_OVERRIDE_HEADERS.map((name) => readHeader(config.headers, name)).find(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const method = (override ?? config.method ?? 'get').toLowerCase();
  if (SAFE.has(method) || ctx.opts.methods.has(method)) return undefined;
  try {
    const kind = adapterKind(upstream, config);
    const wire = wireUrl(config, kind);
    const { vary } = ctx.opts.policy;
    // What else names the GET of this URL, as this request's settings would: the instance's vary
    // headers, the route and the response shape (a reverse proxy's decompress: false, say).
    return {
      canonical: wire.canonical,
      host: readHeader(config.headers, 'host'),
      socketPath: config.socketPath,
      parts: {
        variant: vary.length > 0 ? headersDigest(config, vary, wire.userinfo) : undefined,
        route: routeOf(config, kind, wire.href),
        shape: shapeOf(config, kind),
      },
    };
  } catch {
    return undefined; // the adapter cannot build this URL either, and will say why
  }
}

/** Same origin as `target`: scheme, host and port. */
function sameOrigin(target: URL, other: URL): boolean {
  return target.origin === other.origin && other.origin !== 'null';
}

/** The resources an unsafe request's answer changed, once it answered below 400; then removed. */
export async function invalidateChanged(ctx: CacheContext, target: Resource, raw: RawResponse): Promise<void> {
  if (!(raw.status >= 200 && raw.status < 400)) return;
  const changed = [target];
  let base: URL | undefined;
  try {
    base = new URL(target.canonical);
  } catch {
    base = undefined; // a relative URL (a custom adapter's): Location cannot be resolved against it
  }
  for (const name of ['location', 'content-location']) {
    const value = readHeader(raw.headers, name);
    if (!base || typeof value !== 'string' || value === '') continue;
    try {
      const url = new URL(value, base);
      if (!sameOrigin(base, url)) continue;
      url.hash = '';
      const wire = wireUrl({ url: url.href }, 'http');
      if (wire.canonical !== target.canonical) changed.push({ ...target, canonical: wire.canonical });
    } catch {
      // not a URL: nothing to remove
    }
  }
  await invalidateResources(ctx, changed);
}
