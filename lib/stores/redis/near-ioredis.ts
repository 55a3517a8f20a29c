import { nearCache, type NearCache, type NearCacheOptions } from './near.js';

/*
 * The near cache on ioredis and iovalkey, which have no client-side cache of their own (and speak
 * RESP2, where invalidations cannot share the command connection): each node's command connection
 * runs `CLIENT TRACKING ON REDIRECT <id>`, where <id> is a connection of ours to the same node
 * subscribed to `__redis__:invalidate`. Redis then tracks every key this process reads there and
 * publishes each one's invalidation (changed, deleted, expired, evicted) to that subscriber.
 *
 * Default tracking, not BCAST: a process hears only of keys it has read (BCAST would send every
 * process every write under the prefixes, the fleet's whole write traffic times its size), and the
 * store needs no prefixes. The cost is one more connection per node and process.
 *
 * The promise holds only while both connections hold: the near cache answers nothing, and is flushed,
 * from the moment either is lost until tracking is on again with the subscriber's new id (a
 * reconnected command connection tracks nothing; a reconnected subscriber has another id). On a
 * Cluster every master gets the same, and any change of the topology flushes the lot.
 */

type Reply = Promise<unknown>;

/** What the tracking needs of one ioredis or iovalkey connection (a Redis, or a node of a Cluster). */
export interface IoNodeLike {
  readonly status: string;
  call(command: string, ...args: string[]): Reply;
  duplicate(override?: Record<string, unknown>): IoSubscriberLike;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readonly options?: { host?: string; port?: number };
}

interface IoSubscriberLike {
  readonly status: string;
  connect(): Promise<unknown>;
  call(command: string, ...args: string[]): Reply;
  subscribe(channel: string): Reply;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  disconnect(): void;
}

interface IoClusterEventsLike {
  nodes(role?: string): IoNodeLike[];
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

const CHANNEL = '__redis__:invalidate';
const noop = (): void => undefined;

/** The server a connection talks to: REDIRECT names a client by an id that is only unique per server. */
function runIdOf(info: unknown): string | undefined {
  return /run_id:(\w+)/.exec(String(info))?.[1];
}

/**
 * Tracking for one node's command connection; `unprefixed` strips an ioredis keyPrefix. `tracking`
 * hears whether Redis tracks this node's reads now (false the moment either connection is lost).
 *
 * The subscriber lives while the node's connection does: made when it is ready (never for a client
 * that never connects, which must stay free to exit), ended when it ends, made again if it is
 * connected again. It retries on its own (a Cluster's node connections, which it copies, do not),
 * and resubscribes itself after a reconnection (a new connection has a new id: tracking is
 * redirected to it again). Returns what stops it for good.
 */
function trackNode(
  node: IoNodeLike,
  near: NearCache,
  unprefixed: (key: string) => string,
  tracking: (on: boolean) => void,
): () => void {
  let stopped = false;
  let subscriber: IoSubscriberLike | undefined;
  let subscriberId: string | undefined;
  let subscriberRun: string | undefined;
  let attempt = 0;
  const lost = (): void => {
    attempt++;
    tracking(false);
  };
  const track = async (): Promise<void> => {
    const mine = ++attempt;
    const sub = subscriber;
    if (stopped || !sub || node.status !== 'ready' || sub.status !== 'ready' || subscriberId === undefined) return;
    try {
      // Both on one server (a Sentinel's failover may part them for a while): else not coherent.
      if (runIdOf(await node.call('INFO', 'server')) !== subscriberRun) return lost();
      await node.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', subscriberId);
      // Only the latest attempt, with nothing lost since it began, makes this node coherent.
      if (mine === attempt && !stopped && sub === subscriber) tracking(true);
    } catch {
      lost();
    }
  };
  const open = (): void => {
    if (stopped || subscriber) return;
    const sub = node.duplicate({
      lazyConnect: true,
      autoResubscribe: false, // resubscribed below, after its new id is known
      retryStrategy: (times: number) => Math.min(50 * times, 2_000),
    });
    subscriber = sub;
    subscriberId = undefined;
    sub.on('error', noop); // a lost subscriber is handled below, never thrown
    sub.on('messageBuffer', (channel: unknown, keys: unknown) => {
      if (String(channel) !== CHANNEL) return;
      if (!Array.isArray(keys)) return near.flush(); // a flush of the whole node (FLUSHALL)
      for (const key of keys) near.invalidate(unprefixed(String(key)));
    });
    sub.on('ready', () => {
      void (async () => {
        try {
          subscriberRun = runIdOf(await sub.call('INFO', 'server'));
          subscriberId = String(await sub.call('CLIENT', 'ID'));
          await sub.subscribe(CHANNEL);
          await track();
        } catch {
          lost();
        }
      })();
    });
    for (const event of ['close', 'reconnecting', 'end']) sub.on(event, lost);
    sub.connect().catch(noop);
  };
  const close = (): void => {
    lost();
    const sub = subscriber;
    subscriber = undefined;
    sub?.disconnect();
  };
  node.on('ready', () => {
    open();
    void track();
  });
  for (const event of ['close', 'reconnecting']) node.on(event, lost);
  node.on('end', close);
  if (node.status === 'ready') open();
  return () => {
    stopped = true;
    close();
  };
}

/** A near cache on an ioredis or iovalkey Redis or Cluster, kept by CLIENT TRACKING (see above). */
export function ioRedisNear(
  client: unknown,
  cluster: boolean,
  unprefixed: (key: string) => string,
  scopeOf: ((key: string) => string | undefined) | undefined,
  options: NearCacheOptions,
): NearCache {
  const near = nearCache(options);
  if (!cluster) {
    trackNode(client as IoNodeLike, near, unprefixed, (on) => {
      near.flush();
      near.coherent = on;
    });
    return near;
  }
  // Each master on its own: a key is answered here only while its master's reads are tracked (a
  // Cluster connects to a master when it first sends it a command). Any loss flushes everything.
  const tracking = new Map<string, boolean>();
  const addressOf = (node: IoNodeLike): string => `${node.options?.host}:${node.options?.port}`;
  near.covers = (key) => {
    const address = scopeOf?.(key);
    return address !== undefined && tracking.get(address) === true;
  };
  const tracked = new Map<IoNodeLike, () => void>();
  const events = client as IoClusterEventsLike;
  const refresh = (): void => {
    near.flush();
    const masters = new Set(events.nodes('master'));
    for (const [node, stop] of tracked) {
      if (masters.has(node)) continue;
      stop();
      tracked.delete(node);
      tracking.delete(addressOf(node));
    }
    for (const node of masters) {
      if (tracked.has(node)) continue;
      const address = addressOf(node);
      tracking.set(address, false);
      const stop = trackNode(node, near, unprefixed, (on) => {
        near.flush();
        tracking.set(address, on);
      });
      tracked.set(node, stop);
    }
  };
  // ioredis refreshes its slot map now and then ('refresh'): only a map that changed flushes.
  const layoutOf = (): string =>
    (client as { slots?: ReadonlyArray<ReadonlyArray<string> | undefined> }).slots
      ?.map((s) => s?.[0] ?? '')
      .join(',') ?? '';
  let layout = layoutOf();
  for (const event of ['+node', '-node', 'ready']) events.on(event, refresh);
  events.on('refresh', () => {
    const now = layoutOf();
    if (now === layout) return;
    layout = now;
    refresh();
  });
  events.on('end', () => {
    for (const stop of tracked.values()) stop();
    tracked.clear();
    tracking.clear();
    near.coherent = false;
    near.flush();
  });
  near.coherent = true;
  refresh();
  return near;
}
