import type { AxiosInstance } from 'axios';
import type { CacheContext } from '../flow/context.js';
import { buildKeys, indexKey, type KeyParts, urlDigestOf } from '../http/key.js';
import { deleteIndexed, deleteKeys } from '../flow/store-io.js';
import { storeError } from '../flow/store-errors.js';
import type { InvalidateTarget } from '../types.js';
import { resolveTarget } from './target.js';

/**
 * Removes both tiers of a URL, for each cached method (or the one given): every variant where the
 * store can remove by prefix, else the entries it can name. Writes of requests already in flight
 * for the URL are dropped from now on. Bounded by storeTimeout: rejects when the store is slow or down.
 */
export async function invalidate(
  ctx: CacheContext,
  instance: AxiosInstance,
  target: string | InvalidateTarget,
): Promise<void> {
  const { policy, oneVariant, perMethod } = resolveTarget(ctx, instance, target, [...ctx.opts.methods], 'invalidate');
  const { store } = ctx.opts;
  if (policy.vary.length > 0 && !oneVariant && !store.deletePrefixed) {
    throw new Error(
      'axios-stale-cache: this store cannot list the vary variants of a URL; ' +
        'pass the request headers to invalidate() to remove one variant',
    );
  }
  const digests = perMethod.map((m) => m.urlDigest);
  const keys = perMethod.flatMap((m) => [m.keys.primary, m.keys.stale]);
  // Every key of the URL (or of the one variant, or body) begins with these: bodies, routes, shapes,
  // response variants.
  const prefixes = store.deletePrefixed ? keys : [];
  ctx.invalidations.invalidate(digests);
  await deleteKeys(ctx, keys, prefixes);
}

/** What names a resource for the cache: its URL as sent, and where the request goes beyond it. */
export interface Resource {
  /** The URL as sent, query sorted (WireUrl.canonical). */
  canonical: string;
  host: unknown;
  socketPath: string | null | undefined;
  /** Key segments a request with the same settings has (its vary headers, route, response shape). */
  parts?: KeyParts | undefined;
}

/**
 * Removes both tiers of resources, for each method this instance caches: what an unsafe request that
 * succeeded changed (RFC 9111 §4.4). One delete of the keys it can name, never a sweep by prefix (on
 * a single Redis that is a SCAN of the whole keyspace: per POST, it would cost more than the POST):
 * the base keys, plain and with the segments a GET with the unsafe request's settings would have,
 * and every key the URL's index holds (response variants, other vary values, bodies, routes: see
 * write.ts), on a store with deleteIndexed. Never rejects: a store that is
 * slow or down is an error event, bounded by storeTimeout.
 */
export async function invalidateResources(ctx: CacheContext, resources: readonly Resource[]): Promise<void> {
  const { primaryKeyPrefix, staleKeyPrefix } = ctx.opts;
  const digests: string[] = [];
  const keys: string[] = [];
  for (const r of resources) {
    for (const method of ctx.opts.methods) {
      const urlDigest = urlDigestOf({
        method,
        url: r.canonical,
        customKey: false,
        host: r.host,
        socketPath: r.socketPath,
      });
      digests.push(urlDigest);
      for (const parts of r.parts && Object.values(r.parts).some((v) => v !== undefined) ? [{}, r.parts] : [{}]) {
        const k = buildKeys(primaryKeyPrefix, staleKeyPrefix, urlDigest, parts);
        keys.push(k.primary, k.stale);
      }
    }
  }
  ctx.invalidations.invalidate(digests);
  try {
    await deleteIndexed(
      ctx,
      keys,
      digests.map((d) => indexKey(primaryKeyPrefix, d)),
    );
  } catch (error) {
    storeError(ctx, 'delete', keys[0], error); // the unsafe request's answer stands
  }
}
