import { setMaxListeners } from 'node:events';
import slotOf from 'cluster-key-slot';
import { RedisNotReadyError } from '../errors.js';
import type { CacheStore, CacheStoreEntry, StoredValue } from '../types.js';

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
  withCommandOptions(options: {
    typeMapping?: Record<number, unknown>;
    timeout?: number;
    abortSignal?: AbortSignal;
  }): unknown;
}

interface ClusterLike extends RedisLike {
  getSlotMaster(slot: number): unknown;
  nodeClient(node: unknown): Promise<unknown>;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Reply;
}

interface ScannableLike extends RedisLike {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>;
}

export interface RedisStoreOptions {
  /** SCAN page size for `invalidate()` of every vary variant on a single node or sentinel. */
  scanCount?: number;
}

// RESP_TYPES.BLOB_STRING of @redis/client: replies of GET as Buffers, so binary entries stay exact.
const BLOB_STRING = 36;
// Reads made within one window share an abort signal, fired this long after the window opened.
const READ_WINDOW_MS = 1_000;
const ABANDON_UNWRITTEN_MS = 5_000;

function isRedisLike(value: unknown): value is RedisLike {
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

/** Ready to take a command now: isReady where the client has it, else isOpen (node-redis 5 clusters). */
function isReady(client: RedisLike): boolean {
  return client.isReady ?? client.isOpen ?? false;
}

function isCluster(client: RedisLike): client is ClusterLike {
  return typeof (client as Partial<ClusterLike>).getSlotMaster === 'function';
}

/** The `{…}` hash tag of a key, as Redis Cluster reads it (the first `{…}` with something inside). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

function groupBySlot(keys: ReadonlyArray<string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const tag = hashTag(key);
    const group = groups.get(tag);
    if (group) group.push(key);
    else groups.set(tag, [key]);
  }
  return [...groups.values()];
}

const GLOB = /[*?[\]\\]/g;

/*
 * setUnlessNewer in one round trip: each guard key's first bytes (GETRANGE: never the whole body)
 * hold `[<version>,<storedAt>,` (see entry/codec.ts storedAtOf); if one was stored after ARGV[1],
 * nothing is written. Else each entry is SET, with PX when its ttl (in ms) is > 0.
 * KEYS: the guard keys, then the entry keys. ARGV: storedAt, guard count, then value and ttl per entry.
 */
const SET_UNLESS_NEWER = `
local storedAt = tonumber(ARGV[1])
local guards = tonumber(ARGV[2])
for i = 1, guards do
  local head = redis.call('GETRANGE', KEYS[i], 0, 39)
  local at = tonumber(string.match(head, '^%[%d+,(%d+)[,%]]'))
  if at and at > storedAt then return 0 end
end
for i = guards + 1, #KEYS do
  local arg = 3 + (i - guards - 1) * 2
  local ttl = tonumber(ARGV[arg + 1])
  if ttl > 0 then redis.call('SET', KEYS[i], ARGV[arg], 'PX', ttl) else redis.call('SET', KEYS[i], ARGV[arg]) end
end
return 1
`;

/*
 * setIndexed in one round trip: each entry SET (PX when its ttl is > 0), and the listed ones added
 * to the index set; while it holds 1,000 keys (a bound, never a sweep) nothing more is listed and
 * the entries that must be (listed 1) are not written, those that may be (2) are. Its expiry only
 * ever grows (a new index takes the given one; none stays none). KEYS: the entry keys, then the
 * index. ARGV: value, ttl and listed (0, 1 or 2) per entry, then the index's ttl.
 */
const SET_INDEXED = `
local index = KEYS[#KEYS]
local before = redis.call('PTTL', index)
local room = redis.call('SCARD', index) < 1000
for i = 1, #KEYS - 1 do
  local listed = ARGV[i * 3]
  if room or listed ~= '1' then
    local ttl = tonumber(ARGV[i * 3 - 1])
    if ttl > 0 then redis.call('SET', KEYS[i], ARGV[i * 3 - 2], 'PX', ttl) else redis.call('SET', KEYS[i], ARGV[i * 3 - 2]) end
    if room and listed ~= '0' then redis.call('SADD', index, KEYS[i]) end
  end
end
local ttl = tonumber(ARGV[#ARGV])
if ttl == 0 then redis.call('PERSIST', index) elseif before == -2 or (before >= 0 and before < ttl) then redis.call('PEXPIRE', index, ttl) end
return 1
`;

/*
 * deleteIndexed in one round trip per hash tag: the keys, every key each index holds (same hash tag,
 * so the same slot), and the indexes. KEYS: the keys, then the indexes; ARGV[1]: how many keys.
 */
const DELETE_INDEXED = `
local named = tonumber(ARGV[1])
for i = named + 1, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for j = 1, #members, 500 do redis.call('DEL', unpack(members, j, math.min(j + 499, #members))) end
end
if #KEYS > 0 then redis.call('DEL', unpack(KEYS)) end
return 1
`;

/** A value as node-redis takes it: a string, or bytes as a Buffer (see RedisMultiLike.set for the cast). */
function wire(value: StoredValue): string {
  return (typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)) as string;
}

/** A ttl as PX takes it: whole milliseconds, at least 1; 0 for none (Infinity: no expiry). */
function px(ttl: number): number {
  return Number.isFinite(ttl) ? Math.max(1, Math.ceil(ttl)) : 0;
}

/**
 * A CacheStore on node-redis. `get` is one GET (binary-safe), `set` of both tiers one MULTI of two
 * `SET … PX`, routed by the shared hash tag so it lands on one Cluster node.
 *
 * While the client is not ready (down, reconnecting) every call fails at once instead of waiting
 * in node-redis's offline queue: requests go to the upstream without delay, and the cache works
 * again as soon as the client has reconnected.
 */
export function redisStore(client: RedisLike, options: RedisStoreOptions = {}): CacheStore {
  if (!isRedisLike(client)) {
    throw new TypeError(
      'axios-stale-cache: redisStore() needs a node-redis client, cluster or sentinel (from the `redis` package)',
    );
  }
  if (options === null || typeof options !== 'object')
    throw new TypeError('axios-stale-cache: redisStore options must be an object');
  for (const name of Object.keys(options)) {
    if (name !== 'scanCount')
      throw new TypeError(`axios-stale-cache: unknown option redisStore options.${name} (expected scanCount)`);
  }
  const scanCount = options.scanCount ?? 1000;
  if (!Number.isSafeInteger(scanCount) || scanCount < 1) {
    throw new TypeError(
      `axios-stale-cache: redisStore options.scanCount must be an integer >= 1, got ${String(scanCount)}`,
    );
  }
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
  // A Cluster key's master, by address: each master gets a store breaker of its own. A key's slot is
  // its hash tag's, which every key of one URL shares.
  const scopeOf = cluster
    ? (key: string): string | undefined => {
        const node = cluster.getSlotMaster(slotOf(hashTag(key))) as { host?: unknown; port?: unknown } | undefined;
        return node && node.host !== undefined ? `${String(node.host)}:${String(node.port)}` : undefined;
      }
    : undefined;

  const ready = (): void => {
    if (!isReady(client)) throw new RedisNotReadyError();
  };

  async function keysWithPrefix(prefix: string): Promise<string[]> {
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
    for await (const batch of scannable.scanIterator({ MATCH: `${prefix.replace(GLOB, '\\$&')}*`, COUNT: scanCount })) {
      if (Array.isArray(batch)) keys.push(...batch.map(String));
      else keys.push(String(batch));
    }
    return keys;
  }

  return {
    ...(scopeOf ? { scopeOf } : {}),
    // Not async: node-redis's own promise is returned as is (one microtask less on every hit).
    get(key) {
      if (!isReady(client)) return Promise.reject(new RedisNotReadyError());
      return reader().get(key) as Promise<StoredValue | null>;
    },
    async set(entries: ReadonlyArray<CacheStoreEntry>) {
      if (entries.length === 0) return;
      ready();
      const multi = cluster ? client.multi(entries[0]?.key) : client.multi();
      for (const { key, value, ttl } of entries) {
        // Infinity: no expiry (a stale tier that never expires); Redis may still evict it under maxmemory.
        const ms = px(ttl);
        if (ms > 0) multi.set(key, wire(value), { expiration: { type: 'PX', value: ms } });
        else multi.set(key, wire(value));
      }
      await multi.exec();
    },
    async setUnlessNewer(entries, guard) {
      ready();
      const args = [String(guard.storedAt), String(guard.keys.length)];
      for (const { value, ttl } of entries) args.push(wire(value), String(px(ttl)));
      const keys = [...guard.keys, ...entries.map((e) => e.key)];
      return Number(await client.eval(SET_UNLESS_NEWER, { keys, arguments: args })) === 1;
    },
    async setIndexed(entries, index) {
      if (entries.length === 0) return;
      ready();
      const args: string[] = [];
      const listed = new Set(index.keys);
      const soft = new Set(index.soft);
      for (const { key, value, ttl } of entries) {
        args.push(wire(value), String(px(ttl)), listed.has(key) ? '1' : soft.has(key) ? '2' : '0');
      }
      args.push(String(px(index.ttl)));
      await client.eval(SET_INDEXED, { keys: [...entries.map((e) => e.key), index.key], arguments: args });
    },
    async deleteIndexed(keys, indexes) {
      ready();
      const named = new Set(keys);
      await Promise.all(
        groupBySlot([...keys, ...indexes]).map((group) => {
          const own = group.filter((k) => named.has(k));
          const lists = group.filter((k) => !named.has(k));
          return client.eval(DELETE_INDEXED, { keys: [...own, ...lists], arguments: [String(own.length)] });
        }),
      );
    },
    async delete(keys) {
      if (keys.length === 0) return;
      ready();
      // One DEL per hash tag: a DEL across slots is a CROSSSLOT error on a cluster.
      await Promise.all(groupBySlot(keys).map((group) => client.del(group)));
    },
    async deletePrefixed(prefixes) {
      ready();
      const found = await Promise.all(prefixes.map(keysWithPrefix));
      const keys = found.flat();
      if (keys.length > 0) await Promise.all(groupBySlot(keys).map((group) => client.del(group)));
    },
  };
}
