import { RedisNotReadyError } from '../errors.js';
import type { CacheStore, CacheStoreEntry, LockedRead, StoredValue, StoreIndex } from '../types.js';
import { asBuffer, hashTag, script, type RedisDriver } from './redis/driver.js';
import { ioRedisDriver, isIoRedis, type IoRedisLike } from './redis/ioredis.js';
import { isNodeRedis, nodeRedisDriver, type RedisLike } from './redis/node-redis.js';
import type { NearCache, NearCacheOptions } from './redis/near.js';
import { clientSideCacheOf, nodeRedisNear } from './redis/near-node-redis.js';
import { compact } from '../entry/compact.js';
import { ioRedisNear } from './redis/near-ioredis.js';

export type { NearCacheOptions } from './redis/near.js';

export type { IoRedisLike, IoRedisPipelineLike } from './redis/ioredis.js';
export type { RedisLike, RedisMultiLike } from './redis/node-redis.js';

export interface RedisStoreOptions {
  /** SCAN page size for `invalidate()` of every vary variant on a single node or sentinel. */
  scanCount?: number;
  /**
   * The near cache: hits answered in this process, kept coherent by Redis's invalidations. On by
   * default for a node-redis client made with `RESP: 3` and `clientSideCache`; for ioredis and
   * iovalkey, `true` (or its bounds) turns it on (one more connection per node, for invalidations);
   * `false` turns it off. @default true with a node-redis client-side cache, else false
   */
  nearCache?: boolean | NearCacheOptions;
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

/*
 * A tag's list is a sorted set: each key scored by when it expires (ms; +inf for never), so that a key
 * past its expiry stops counting against the bound (ZREMRANGEBYSCORE before counting) and a key
 * listed already never does. Its own expiry only ever grows.
 */
const TAG_LUA = `
local function prune_fits(tag, now, max, members)
  redis.call('ZREMRANGEBYSCORE', tag, '-inf', now)
  local fresh = 0
  for _, key in ipairs(members) do
    if not redis.call('ZSCORE', tag, key) then fresh = fresh + 1 end
  end
  return redis.call('ZCARD', tag) + fresh <= max
end
local function list(tag, ttl, members, scores)
  local was = redis.call('PTTL', tag)
  for i, key in ipairs(members) do redis.call('ZADD', tag, scores[i], key) end
  if ttl == 0 then redis.call('PERSIST', tag) elseif was == -2 or (was >= 0 and was < ttl) then redis.call('PEXPIRE', tag, ttl) end
end
`;

/*
 * setTagged on a single node, in the write's one round trip: nothing when a tag cannot list the keys
 * (MAX_TAGGED live keys); else the entries as SET_INDEXED writes them (with the URL's index when there
 * is one), and their keys listed under each tag.
 * KEYS: the entry keys, the index (if any), the tags. ARGV: entry count, 1 with an index (else 0),
 * max, now, then value, ttl and listed per entry, then the index's ttl (if any), then each tag's ttl.
 */
const SET_TAGGED = `${TAG_LUA}
local n = tonumber(ARGV[1])
local hasIndex = ARGV[2] == '1'
local max = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local first = n + (hasIndex and 1 or 0)
local members, scores = {}, {}
for i = 1, n do
  members[i] = KEYS[i]
  local ttl = tonumber(ARGV[3 + i * 3])
  scores[i] = ttl > 0 and (now + ttl) or '+inf'
end
for j = first + 1, #KEYS do
  if not prune_fits(KEYS[j], now, max, members) then return 0 end
end
local index = hasIndex and KEYS[n + 1] or nil
local room = true
local before = -2
if index then
  before = redis.call('PTTL', index)
  room = redis.call('SCARD', index) < 1000
end
for i = 1, n do
  local listed = ARGV[4 + i * 3]
  if room or listed ~= '1' then
    local ttl = tonumber(ARGV[3 + i * 3])
    if ttl > 0 then redis.call('SET', KEYS[i], ARGV[2 + i * 3], 'PX', ttl) else redis.call('SET', KEYS[i], ARGV[2 + i * 3]) end
    if index and room and listed ~= '0' then redis.call('SADD', index, KEYS[i]) end
  end
end
local arg = 5 + n * 3
if index then
  local ttl = tonumber(ARGV[arg])
  if ttl == 0 then redis.call('PERSIST', index) elseif before == -2 or (before >= 0 and before < ttl) then redis.call('PEXPIRE', index, ttl) end
  arg = arg + 1
end
for j = first + 1, #KEYS do list(KEYS[j], tonumber(ARGV[arg + j - first - 1]), members, scores) end
return 1
`;

/*
 * setTagged's first step on a Cluster, per slot of tags (the entries live in other slots): nothing
 * when one of these tags cannot list the keys; else the keys listed under each.
 * KEYS: tags of one slot. ARGV: max, now, each tag's ttl, then key and ttl per entry.
 */
const TAG_KEYS = `${TAG_LUA}
local max = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local members, scores = {}, {}
for i = 3 + #KEYS, #ARGV, 2 do
  members[#members + 1] = ARGV[i]
  local ttl = tonumber(ARGV[i + 1])
  scores[#scores + 1] = ttl > 0 and (now + ttl) or '+inf'
end
for j = 1, #KEYS do
  if not prune_fits(KEYS[j], now, max, members) then return 0 end
end
for j = 1, #KEYS do list(KEYS[j], tonumber(ARGV[2 + j]), members, scores) end
return 1
`;

// A tag's list, taken: read and removed in one step, so that a key listed meanwhile is not lost.
const TAKE_TAG = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return members
`;

/*
 * getOrLock in one round trip (fleet coalescing): the outcome a flight waited on left, else the
 * entry (when asked to read it), else the lock: taken when free, else, when the caller will wait and
 * the holder is another owner's (a token is `<owner>.<n>`), marked as waited on (a `*` after its
 * token, expiry kept) so that its holder stores its outcome for the waiters, and only then.
 * KEYS: the entry, the lock, then outcome keys. ARGV: token, ttl (ms), 1 to read the entry, 1 to wait.
 * Replies { kind, value }: 'o' an outcome, 'v' the entry, 'h' the holder's token.
 */
const GET_OR_LOCK = script(`
for i = 3, #KEYS do
  local o = redis.call('GET', KEYS[i])
  if o then return {'o', o} end
end
if ARGV[3] == '1' then
  local v = redis.call('GET', KEYS[1])
  if v then return {'v', v} end
end
local h = redis.call('GET', KEYS[2])
if not h then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {'h', ARGV[1]}
end
if string.sub(h, -1) == '*' then return {'h', string.sub(h, 1, -2)} end
local owner = string.match(ARGV[1], '^(.*%.)')
if ARGV[4] == '1' and string.sub(h, 1, #owner) ~= owner then redis.call('SET', KEYS[2], h .. '*', 'KEEPTTL') end
return {'h', h}
`);

/*
 * unlock: the lock removed if this token holds it; when it was waited on, the outcome stored first,
 * or, without one, 'waited' and the lock kept (the caller comes back with its outcome). A lock lost
 * (expired, or taken since) stays as it is; an outcome given is stored for whoever still watches.
 * KEYS: the lock, the outcome key. ARGV: token, 1 with an outcome (else 0), its value, its ttl (ms).
 */
const RELEASE = `
local h = redis.call('GET', KEYS[1])
if h == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 'released'
end
if h == ARGV[1] .. '*' and ARGV[2] ~= '1' then return 'waited' end
if ARGV[2] == '1' then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
if h == ARGV[1] .. '*' then
  redis.call('DEL', KEYS[1])
  return 'released'
end
return 'lost'
`;

// extendLock: the lock's expiry moved to ttl ms from now while this token holds it. KEYS: the lock. ARGV: token, ttl.
const EXTEND_LOCK = `
local h = redis.call('GET', KEYS[1])
if h == ARGV[1] or h == ARGV[1] .. '*' then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

// Live keys one tag lists at the most: past it, an answer with that tag is not written (never a sweep).
const MAX_TAGGED = 10_000;
// Keys per DEL when a tag's keys are removed: a big tag never blocks Redis in one command.
const DELETE_BATCH = 500;

/** A ttl as PX takes it: whole milliseconds, at least 1; 0 for none (Infinity: no expiry). */
function px(ttl: number): number {
  return Number.isFinite(ttl) ? Math.max(1, Math.ceil(ttl)) : 0;
}

// One near cache per client, however many stores are made on it: its listeners, hooks and (ioredis)
// subscriber connections are set up once, with the bounds of the first store that asked.
const nears = new WeakMap<object, NearCache>();

/** The near cache for this client, as `nearCache` asks (see RedisStoreOptions.nearCache). */
function nearOf(client: unknown, driver: RedisDriver, option: RedisStoreOptions['nearCache']): NearCache | undefined {
  if (option !== undefined && typeof option !== 'boolean' && (option === null || typeof option !== 'object')) {
    throw new TypeError(
      `axios-stale-cache: redisStore options.nearCache must be a boolean or { maxEntries, maxBytes }, got ${String(option)}`,
    );
  }
  const bounds = typeof option === 'object' ? nearBounds(option) : {};
  if (option === false) return undefined;
  const nodeRedis = isNodeRedis(client);
  if (option === undefined && !nodeRedis) return undefined; // ioredis: only when asked
  // node-redis: one per client-side cache (a client's withCommandOptions proxies share its cache).
  const owner = (nodeRedis ? clientSideCacheOf(client) : client) as object | undefined;
  const known = owner && nears.get(owner);
  if (known) return known;
  let near: NearCache | undefined;
  if (nodeRedis) {
    near = nodeRedisNear(client, bounds);
    if (!near && option !== undefined) {
      throw new TypeError(
        'axios-stale-cache: redisStore options.nearCache needs a node-redis client made with RESP: 3 and clientSideCache',
      );
    }
  } else {
    refuseUntracked(client, driver.cluster);
    near = ioRedisNear(client, driver.cluster, driver.unprefixed, driver.scopeOf, bounds);
  }
  if (near && owner) nears.set(owner, near);
  return near;
}

/**
 * ioredis reads that tracking would not cover: a Cluster reading replicas (tracking is set on the
 * masters), or a Sentinel client of a replica (its subscriber may land on another replica).
 */
function refuseUntracked(client: unknown, cluster: boolean): void {
  const options = (client as { options?: { scaleReads?: unknown; role?: unknown; sentinels?: unknown } }).options;
  if (cluster && options?.scaleReads !== undefined && options.scaleReads !== 'master') {
    throw new TypeError(
      "axios-stale-cache: redisStore options.nearCache needs scaleReads: 'master' on an ioredis Cluster (reads of replicas are not tracked)",
    );
  }
  if (!cluster && Array.isArray(options?.sentinels) && options?.role === 'slave') {
    throw new TypeError(
      "axios-stale-cache: redisStore options.nearCache needs role: 'master' on an ioredis Sentinel client (a replica's reads are not tracked)",
    );
  }
}

function nearBounds(option: NearCacheOptions): NearCacheOptions {
  for (const name of Object.keys(option)) {
    if (name !== 'maxEntries' && name !== 'maxBytes') {
      throw new TypeError(
        `axios-stale-cache: unknown option redisStore options.nearCache.${name} (expected maxEntries or maxBytes)`,
      );
    }
  }
  for (const name of ['maxEntries', 'maxBytes'] as const) {
    const v = option[name];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
      throw new TypeError(
        `axios-stale-cache: redisStore options.nearCache.${name} must be an integer >= 1, got ${String(v)}`,
      );
    }
  }
  return option;
}

/** The driver of a supported client, by its shape. */
function driverFor(client: unknown): RedisDriver {
  if (isNodeRedis(client)) return nodeRedisDriver(client);
  if (isIoRedis(client)) return ioRedisDriver(client);
  throw new TypeError(
    'axios-stale-cache: redisStore() takes a node-redis client, cluster or sentinel (the `redis` package, 5 or 6), ' +
      'or an ioredis or iovalkey Redis or Cluster; for another client, implement the CacheStore interface',
  );
}

/**
 * A CacheStore on Redis, through node-redis, ioredis or iovalkey (single node, Cluster, Sentinel).
 * `get` is one GET (binary-safe), `set` of both tiers one MULTI of two `SET … PX`, routed by the
 * shared hash tag so it lands on one Cluster node.
 *
 * While the client is not ready (down, reconnecting) every call fails at once instead of waiting
 * in the client's offline queue: requests go to the upstream without delay, and the cache works
 * again as soon as the client has reconnected.
 */
export function redisStore(client: RedisLike | IoRedisLike, options: RedisStoreOptions = {}): CacheStore {
  const driver = driverFor(client);
  if (options === null || typeof options !== 'object')
    throw new TypeError('axios-stale-cache: redisStore options must be an object');
  for (const name of Object.keys(options)) {
    if (name !== 'scanCount' && name !== 'nearCache')
      throw new TypeError(
        `axios-stale-cache: unknown option redisStore options.${name} (expected scanCount or nearCache)`,
      );
  }
  const near = nearOf(client, driver, options.nearCache);
  const scanCount = options.scanCount ?? 1000;
  if (!Number.isSafeInteger(scanCount) || scanCount < 1) {
    throw new TypeError(
      `axios-stale-cache: redisStore options.scanCount must be an integer >= 1, got ${String(scanCount)}`,
    );
  }
  const ready = (): void => {
    if (!driver.ready()) throw new RedisNotReadyError();
  };
  const evalOf = (script: string, keys: string[], args: Array<string | Uint8Array>): Promise<unknown> => {
    ready();
    return driver.eval(script, keys, args);
  };

  const setIndexed = async (entries: ReadonlyArray<CacheStoreEntry>, index: StoreIndex): Promise<void> => {
    if (entries.length === 0) return;
    const args: Array<string | Uint8Array> = [];
    const listed = new Set(index.keys);
    const soft = new Set(index.soft);
    for (const { key, value, ttl } of entries) {
      args.push(asBuffer(value), String(px(ttl)), listed.has(key) ? '1' : soft.has(key) ? '2' : '0');
    }
    args.push(String(px(index.ttl)));
    await evalOf(SET_INDEXED, [...entries.map((e) => e.key), index.key], args);
  };

  return {
    ...(driver.scopeOf ? { scopeOf: driver.scopeOf } : {}),
    // Not async: the client's own promise is returned as is (one microtask less on every hit).
    get(key) {
      if (!driver.ready()) return Promise.reject(new RedisNotReadyError());
      if (!near) return driver.get(key);
      const ticket = near.ticket();
      return driver.get(key).then((value) => (value === null ? value : nearFill(near, key, value, ticket)));
    },
    ...(near ? { peekSync: (key: string) => (driver.ready() ? near.peek(key) : undefined) } : {}),
    async set(entries: ReadonlyArray<CacheStoreEntry>) {
      if (entries.length === 0) return;
      ready();
      // Infinity: no expiry (a stale tier that never expires); Redis may still evict it under maxmemory.
      await driver.setMany(entries.map(({ key, value, ttl }) => ({ key, value, px: px(ttl) })));
    },
    async setUnlessNewer(entries, guard) {
      const args: Array<string | Uint8Array> = [String(guard.storedAt), String(guard.keys.length)];
      for (const { value, ttl } of entries) args.push(asBuffer(value), String(px(ttl)));
      const keys = [...guard.keys, ...entries.map((e) => e.key)];
      return Number(await evalOf(SET_UNLESS_NEWER, keys, args)) === 1;
    },
    setIndexed,
    async setTagged(entries, tags, index, stillWanted) {
      if (entries.length === 0) return true;
      ready();
      const now = String(Date.now());
      const entryArgs: Array<string | Uint8Array> = [];
      const listed = new Set(index?.keys);
      const soft = new Set(index?.soft);
      for (const { key, value, ttl } of entries) {
        entryArgs.push(asBuffer(value), String(px(ttl)), listed.has(key) ? '1' : soft.has(key) ? '2' : '0');
      }
      if (!driver.cluster) {
        const keys = [...entries.map((e) => e.key), ...(index ? [index.key] : []), ...tags.map((t) => t.key)];
        const args = [String(entries.length), index ? '1' : '0', String(MAX_TAGGED), now, ...entryArgs];
        if (index) args.push(String(px(index.ttl)));
        for (const t of tags) args.push(String(px(t.ttl)));
        return Number(await driver.eval(SET_TAGGED, keys, args)) === 1;
      }
      // A Cluster: the tags first, each slot's in one script, then the entries (one more round trip,
      // in the background): an entry is written only once every tag lists it, and only if it is
      // still wanted then (its tag may have been invalidated in between).
      // Listed as a script sees keys (with an ioredis keyPrefix), as on a single node.
      const members = entries.flatMap((e) => [driver.prefixed(e.key), String(px(e.ttl))]);
      const ttlOf = new Map(tags.map((t) => [t.key, t.ttl]));
      const listedAll = await Promise.all(
        groupBySlot(tags.map((t) => t.key)).map(async (group) => {
          const args = [String(MAX_TAGGED), now, ...group.map((k) => String(px(ttlOf.get(k) ?? 0))), ...members];
          return Number(await driver.eval(TAG_KEYS, group, args)) === 1;
        }),
      );
      if (!listedAll.every(Boolean)) return false;
      if (stillWanted && !stillWanted()) return true;
      if (index) await setIndexed(entries, index);
      else await driver.setMany(entries.map(({ key, value, ttl }) => ({ key, value, px: px(ttl) })));
      return true;
    },
    async deleteTagged(tagKeys) {
      ready();
      // Each tag's list taken from its slot, then its keys removed in batches (per slot on a Cluster).
      const listed = await Promise.all(
        tagKeys.map(async (tag) =>
          ((await driver.eval(TAKE_TAG, [tag], [])) as unknown[]).map((key) => driver.unprefixed(String(key))),
        ),
      );
      const keys = [...new Set(listed.flat())];
      const groups = driver.cluster ? groupBySlot(keys) : [keys];
      const batches = groups.flatMap((group) => {
        const out: string[][] = [];
        for (let i = 0; i < group.length; i += DELETE_BATCH) out.push(group.slice(i, i + DELETE_BATCH));
        return out;
      });
      for (let i = 0; i < batches.length; i += 16) {
        await Promise.all(batches.slice(i, i + 16).map((batch) => driver.del(batch)));
      }
    },
    async deleteIndexed(keys, indexes) {
      ready();
      const named = new Set(keys);
      await Promise.all(
        groupBySlot([...keys, ...indexes]).map((group) => {
          const own = group.filter((k) => named.has(k));
          const lists = group.filter((k) => !named.has(k));
          return driver.eval(DELETE_INDEXED, [...own, ...lists], [String(own.length)]);
        }),
      );
    },
    async delete(keys) {
      if (keys.length === 0) return;
      ready();
      // One DEL per hash tag: a DEL across slots is a CROSSSLOT error on a cluster.
      await Promise.all(groupBySlot(keys).map((group) => driver.del(group)));
    },
    async clear(prefixes) {
      ready();
      for (const prefix of prefixes) {
        await driver.scanAll(prefix, scanCount, async (keys) => {
          await Promise.all(groupBySlot(keys).map((group) => driver.del(group)));
        });
      }
    },
    async getOrLock(key, lock) {
      ready();
      const ticket = near?.ticket() ?? -1;
      const reply = await driver.evalBytes(
        GET_OR_LOCK,
        [key, lock.key, ...lock.outcomes],
        [lock.token, String(px(lock.ttl)), lock.read ? '1' : '0', lock.wait ? '1' : '0'],
      );
      const read = lockedRead(reply);
      // Redis tracks the keys a script reads as it tracks a GET's (Redis 7): the entry may fill the near cache.
      if (near && read.value !== null) read.value = nearFill(near, key, read.value, ticket);
      return read;
    },
    async unlock(lock) {
      ready();
      const { outcome } = lock;
      const args = outcome
        ? [lock.token, '1', asBuffer(outcome.value), String(px(outcome.ttl))]
        : [lock.token, '0', '', '0'];
      const result = String(await driver.eval(RELEASE, [lock.key, outcome?.key ?? lock.key], args));
      if (result !== 'released' && result !== 'waited' && result !== 'lost')
        throw new Error(`unlock answered ${result}`);
      return result;
    },
    async extendLock(lock) {
      return Number(await evalOf(EXTEND_LOCK, [lock.key], [lock.token, String(px(lock.ttl))])) === 1;
    },
    async deletePrefixed(prefixes) {
      ready();
      const found = await Promise.all(prefixes.map((prefix) => driver.keysUnder(prefix, scanCount)));
      const keys = found.flat();
      if (keys.length > 0) await Promise.all(groupBySlot(keys).map((group) => driver.del(group)));
    },
  };
}

/**
 * A value read from Redis into the near cache (unless its key was invalidated since `ticket`), kept and
 * handed on as bytes of their own, which the decoded entries then keep too: the bytes are held once.
 */
function nearFill(near: NearCache, key: string, value: StoredValue, ticket: number): StoredValue {
  const kept = compact(value);
  near.fill(key, kept, ticket);
  return kept;
}

/** GET_OR_LOCK's reply, checked: anything else is an error (a miss without a lock, for the cache). */
function lockedRead(reply: unknown): LockedRead {
  if (!Array.isArray(reply) || reply.length !== 2) throw new Error('getOrLock: unexpected reply');
  const [kind, value] = reply as [unknown, unknown];
  if (!(typeof value === 'string' || value instanceof Uint8Array)) throw new Error('getOrLock: unexpected value');
  switch (String(kind)) {
    case 'o':
      return { outcome: value as StoredValue, value: null, holder: null };
    case 'v':
      return { outcome: null, value: value as StoredValue, holder: null };
    case 'h':
      return { outcome: null, value: null, holder: String(value) };
    default:
      throw new Error(`getOrLock: unexpected kind ${String(kind)}`);
  }
}
