import { setMaxListeners } from 'node:events';
import slotOf from 'cluster-key-slot';
import type { StoredValue } from '../../types.js';
import { asBuffer, hashTag, matchPrefix, withScript, type RedisDriver } from './driver.js';

/*
 * Structural types for what the store uses of node-redis (the `redis` package, v5 and v6): a client
 * from createClient, a cluster from createCluster, or a sentinel from createSentinel. Declared
 * here so that our published types do not require `redis` to be installed.
 */
type Reply = Promise<unknown>;

export interface RedisMultiLike {
  /** node-redis takes a string or a Buffer; typed as string so these types need no @types/node. */
  set(key: string, value: string, options?: { expiration: { type: 'PX'; value: number } }): RedisMultiLike;
  exec(): Reply;
}

export interface RedisLike {
  /** Connected and ready (node-redis 6, and 5 clients and sentinels). */
  readonly isReady?: boolean;
  /** Connected (node-redis 5 clusters, which have no isReady). */
  readonly isOpen?: boolean;
  get(key: string): Reply;
  del(keys: string[]): Reply;
  multi(routing?: string): RedisMultiLike;
  /** Bytes go as Buffers (binary-safe); typed as strings so that these types need no @types/node. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Reply;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Reply;
  withCommandOptions(options: {
    typeMapping?: Record<number, unknown>;
    timeout?: number;
    abortSignal?: AbortSignal;
  }): unknown;
}

interface ClusterLike extends RedisLike {
  getSlotMaster(slot: number): unknown;
  nodeClient(node: unknown): Promise<unknown>;
  readonly masters: ReadonlyArray<unknown>;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Reply;
}

interface ScannableLike extends RedisLike {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>;
}

// RESP_TYPES.BLOB_STRING of @redis/client: replies of GET as Buffers, so binary entries stay exact.
const BLOB_STRING = 36;
// Reads made within one window share an abort signal, fired this long after the window opened.
const READ_WINDOW_MS = 1_000;
const ABANDON_UNWRITTEN_MS = 5_000;

export function isNodeRedis(value: unknown): value is RedisLike {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.get === 'function' &&
    typeof c.multi === 'function' &&
    typeof c.eval === 'function' &&
    typeof c.withCommandOptions === 'function' &&
    ('isReady' in c || 'isOpen' in c)
  );
}

function isCluster(client: RedisLike): client is ClusterLike {
  return typeof (client as Partial<ClusterLike>).getSlotMaster === 'function';
}

/** node-redis takes a Buffer where its types say string (see RedisMultiLike.set). */
const wire = (value: StoredValue): string => asBuffer(value) as string;

export function nodeRedisDriver(client: RedisLike): RedisDriver {
  /*
   * The client for reads. node-redis gives every command its own 5 s timeout (an AbortSignal and a
   * timer each), which only matters for a command still waiting to be written. Reads here share one
   * abort signal per second instead, fired 5 s later: the same guarantee (nothing stays queued
   * unwritten for longer) at a fraction of the cost; the cache bounds the wait itself (storeTimeout).
   */
  let window: { reader: RedisLike; until: number } | undefined;
  const reader = (): RedisLike => {
    const now = Date.now();
    if (window && now < window.until) return window.reader;
    const controller = new AbortController();
    // Shared on purpose by every read of the window: many listeners at once are not a leak.
    setMaxListeners(0, controller.signal);
    setTimeout(() => controller.abort(), ABANDON_UNWRITTEN_MS).unref();
    const options = { typeMapping: { [BLOB_STRING]: Buffer }, timeout: 0, abortSignal: controller.signal };
    window = { reader: client.withCommandOptions(options) as RedisLike, until: now + READ_WINDOW_MS };
    return window.reader;
  };
  const cluster = isCluster(client) ? client : undefined;
  return {
    cluster: cluster !== undefined,
    unprefixed: (key) => key,
    prefixed: (key) => key,
    // Ready to take a command now: isReady where the client has it, else isOpen (node-redis 5 clusters).
    ready: () => client.isReady ?? client.isOpen ?? false,
    // Not async: node-redis's own promise is returned as is (one microtask less on every hit).
    get: (key) => reader().get(key) as Promise<StoredValue | null>,
    async setMany(entries) {
      const multi = cluster ? client.multi(entries[0]?.key) : client.multi();
      for (const { key, value, px } of entries) {
        if (px > 0) multi.set(key, wire(value), { expiration: { type: 'PX', value: px } });
        else multi.set(key, wire(value));
      }
      await multi.exec();
    },
    async del(keys) {
      await client.del([...keys]);
    },
    eval: (script, keys, args) => client.eval(script, { keys: [...keys], arguments: args.map((a) => a as string) }),
    evalBytes(script, keys, args) {
      const options = { keys: [...keys], arguments: args.map((a) => a as string) };
      const read = reader();
      return withScript(
        () => read.evalSha(script.sha, options),
        () => read.eval(script.source, options),
      );
    },
    async keysUnder(prefix, scanCount) {
      if (cluster) {
        // Every key of one URL shares the prefix's hash tag, hence one slot: list that slot only.
        const slot = Number(await cluster.sendCommand(prefix, true, ['CLUSTER', 'KEYSLOT', prefix]));
        const node = (await cluster.nodeClient(cluster.getSlotMaster(slot))) as { sendCommand(args: string[]): Reply };
        const count = Number(await node.sendCommand(['CLUSTER', 'COUNTKEYSINSLOT', String(slot)]));
        if (count === 0) return [];
        const keys = (await node.sendCommand(['CLUSTER', 'GETKEYSINSLOT', String(slot), String(count)])) as string[];
        return keys.map(String).filter((k) => k.startsWith(prefix));
      }
      const keys: string[] = [];
      const scannable = client as ScannableLike;
      for await (const batch of scannable.scanIterator({ MATCH: matchPrefix(prefix), COUNT: scanCount })) {
        if (Array.isArray(batch)) keys.push(...batch.map(String));
        else keys.push(String(batch));
      }
      return keys;
    },
    async scanAll(prefix, scanCount, each) {
      const nodes = cluster
        ? await Promise.all(cluster.masters.map((m) => cluster.nodeClient(m) as Promise<ScannableLike>))
        : [client as ScannableLike];
      for (const node of nodes) {
        for await (const batch of node.scanIterator({ MATCH: matchPrefix(prefix), COUNT: scanCount })) {
          const keys = Array.isArray(batch) ? batch.map(String) : [String(batch)];
          if (keys.length > 0) await each(keys);
        }
      }
    },
    // A Cluster key's master, by address: each master gets a store breaker of its own.
    scopeOf: cluster
      ? (key) => {
          const node = cluster.getSlotMaster(slotOf(hashTag(key))) as { host?: unknown; port?: unknown } | undefined;
          return node && node.host !== undefined ? `${String(node.host)}:${String(node.port)}` : undefined;
        }
      : undefined,
  };
}
