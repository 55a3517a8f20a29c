import { nearCache, type NearCache, type NearCacheOptions } from './near.js';

/*
 * The near cache on node-redis: a client, cluster or sentinel made with `RESP: 3` and
 * `clientSideCache` tracks every key its connections read (node-redis sends CLIENT TRACKING ON with
 * each handshake) and hands Redis's invalidations to its client-side cache, which emits them. The
 * store's reads bypass that cache (it answers only reads made with the client's own type mapping,
 * and with a structuredClone each), so the near cache here keeps the bytes instead, once.
 *
 * Where node-redis drops its own cache (a socket error or close, a Cluster's slots being
 * rediscovered), it calls the cache's clear(), onError(), onClose() or onPoolClose(): the near cache
 * is flushed with it. Every (re)connection flushes it too (a node's `ready`): an invalidation sent
 * while a connection was down is lost.
 */

interface ClientSideCacheLike {
  on(event: 'invalidate', listener: (key: unknown) => void): unknown;
  clear?: (...args: unknown[]) => unknown;
  onError?: (...args: unknown[]) => unknown;
  onClose?: (...args: unknown[]) => unknown;
  onPoolClose?: (...args: unknown[]) => unknown;
}

interface EventsLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The client's client-side cache, when it was made with one. */
export function clientSideCacheOf(client: unknown): ClientSideCacheLike | undefined {
  const csc = (client as { clientSideCache?: unknown }).clientSideCache;
  return csc !== null && typeof csc === 'object' && typeof (csc as ClientSideCacheLike).on === 'function'
    ? (csc as ClientSideCacheLike)
    : undefined;
}

/** A near cache fed by the client's invalidations; undefined when the client has no client-side cache. */
export function nodeRedisNear(client: unknown, options: NearCacheOptions): NearCache | undefined {
  const csc = clientSideCacheOf(client);
  if (!csc) return undefined;
  const near = nearCache(options);
  csc.on('invalidate', (key) => {
    if (key === null || key === undefined) near.flush();
    else near.invalidate(String(key));
  });
  for (const hook of ['clear', 'onError', 'onClose', 'onPoolClose'] as const) {
    const original = csc[hook];
    if (typeof original !== 'function') continue;
    csc[hook] = function (this: unknown, ...args: unknown[]) {
      near.flush();
      return original.apply(this, args);
    };
  }
  const events = client as EventsLike;
  const reset = (): void => near.flush();
  // A client or sentinel, and each node of a cluster (errors reach onError: no 'error' listener is
  // added, which would change what an unhandled one does).
  for (const event of ['end', 'reconnecting', 'ready', 'node-reconnecting', 'node-ready', 'node-disconnect']) {
    events.on(event, reset);
  }
  near.coherent = true;
  return near;
}
