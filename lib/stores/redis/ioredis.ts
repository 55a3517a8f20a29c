import slotOf from 'cluster-key-slot';
import type { StoredValue } from '../../types.js';
import { asBuffer, hashTag, matchPrefix, withScript, type RedisDriver } from './driver.js';

/*
 * Structural types for what the store uses of ioredis (5 and 6) and iovalkey, its Valkey twin: a
 * `new Redis()` or a `new Cluster()`. Declared here so that our published types require neither.
 */
type Reply = Promise<unknown>;

export interface IoRedisPipelineLike {
  /** Bytes go as Buffers (binary-safe); typed loosely so that these types need no @types/node. */
  set(key: string, value: unknown, ...expiry: unknown[]): IoRedisPipelineLike;
  /** [error, result] per command; null when the transaction was discarded. */
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

export interface IoRedisLike {
  /** 'ready' once connected (ioredis's own word); commands sent otherwise would wait in its offline queue. */
  readonly status: string;
  getBuffer(key: string): Promise<unknown>;
  multi(): IoRedisPipelineLike;
  del(...keys: string[]): Reply;
  eval(script: string, numKeys: number, ...args: unknown[]): Reply;
  /** Any command, replies as Buffers (EVALSHA and EVAL here: keyPrefix is added to their keys as to any). */
  callBuffer(command: string, ...args: unknown[]): Reply;
  /** A Cluster (`isCluster: true`) also has `slots` and `nodes()`; a single node has `scanStream`. */
  readonly isCluster?: boolean;
}

interface IoClusterLike extends IoRedisLike {
  readonly slots: ReadonlyArray<ReadonlyArray<string> | undefined>;
  nodes(role?: string): Array<{ options: { host?: string; port?: number }; call(...args: string[]): Reply }>;
}

interface IoScannable extends IoRedisLike {
  scanStream(options: { match: string; count: number }): AsyncIterable<string[]>;
}

export function isIoRedis(value: unknown): value is IoRedisLike {
  if (value === null || typeof value !== 'object') return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.status === 'string' &&
    typeof c.getBuffer === 'function' &&
    typeof c.multi === 'function' &&
    typeof c.eval === 'function' &&
    typeof c.del === 'function'
  );
}

export function ioRedisDriver(client: IoRedisLike): RedisDriver {
  const cluster = client.isCluster === true ? (client as IoClusterLike) : undefined;
  const masterOf = (key: string): string | undefined => cluster?.slots[slotOf(hashTag(key))]?.[0];
  // ioredis's keyPrefix: it prefixes every key a command names, but neither SCAN's pattern nor the
  // keys SCAN or CLUSTER GETKEYSINSLOT return. Listing adds it; what is listed loses it (DEL adds it back).
  const options = (client as { options?: { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } } }).options;
  const given = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
  const keyPrefix = typeof given === 'string' ? given : '';
  const unprefixed = (key: string): string => (key.startsWith(keyPrefix) ? key.slice(keyPrefix.length) : key);
  return {
    cluster: cluster !== undefined,
    unprefixed,
    prefixed: (key) => keyPrefix + key,
    ready: () => client.status === 'ready',
    get: (key) => client.getBuffer(key) as Promise<StoredValue | null>,
    async setMany(entries) {
      const multi = client.multi();
      for (const { key, value, px } of entries) {
        if (px > 0) multi.set(key, asBuffer(value), 'PX', px);
        else multi.set(key, asBuffer(value));
      }
      // ioredis reports a failed command of a transaction in its result, not by rejecting.
      const results = await multi.exec();
      if (!results) throw new Error('redis transaction discarded');
      for (const [error] of results) if (error) throw error;
    },
    async del(keys) {
      await client.del(...keys);
    },
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
    evalBytes: (script, keys, args) =>
      withScript(
        // Lower case: iovalkey adds its keyPrefix to the keys of 'evalsha', not of 'EVALSHA'.
        () => client.callBuffer('evalsha', script.sha, keys.length, ...keys, ...args),
        () => client.callBuffer('eval', script.source, keys.length, ...keys, ...args),
      ),
    async keysUnder(given, scanCount) {
      const prefix = keyPrefix + given;
      if (cluster) {
        // Every key of one URL shares the prefix's hash tag, hence one slot: list that slot only.
        const slot = slotOf(hashTag(prefix));
        const address = cluster.slots[slot]?.[0];
        const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === address);
        if (!node) throw new Error(`no master known for slot ${slot}`);
        const count = Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', String(slot)));
        if (count === 0) return [];
        const keys = (await node.call('CLUSTER', 'GETKEYSINSLOT', String(slot), String(count))) as unknown[];
        return keys
          .map(String)
          .filter((k) => k.startsWith(prefix))
          .map(unprefixed);
      }
      const keys: string[] = [];
      for await (const batch of (client as IoScannable).scanStream({ match: matchPrefix(prefix), count: scanCount })) {
        keys.push(...batch.map(String).map(unprefixed));
      }
      return keys;
    },
    async scanAll(given, scanCount, each) {
      const nodes = cluster ? (cluster.nodes('master') as unknown as IoScannable[]) : [client as IoScannable];
      for (const node of nodes) {
        for await (const batch of node.scanStream({ match: matchPrefix(keyPrefix + given), count: scanCount })) {
          const keys = batch.map(String).map(unprefixed);
          if (keys.length > 0) await each(keys);
        }
      }
    },
    scopeOf: cluster ? masterOf : undefined,
  };
}
