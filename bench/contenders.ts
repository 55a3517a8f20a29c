import axios, { type AxiosAdapter, type AxiosInstance } from 'axios';
import {
  buildMemoryStorage,
  buildStorage,
  canStale,
  setupCache,
  type CacheOptions,
  type StorageValue,
} from 'axios-cache-interceptor';
import type { RedisClientType } from 'redis';
import { attachStaleCache, memoryStore, redisStore, type StaleCacheOptions } from 'axios-stale-cache';
import { BODY, BODY_TEXT, rawAdapter } from './body.js';

export { BODY, BODY_TEXT, rawAdapter };

/** The axios pipeline floor: an already-parsed object and no transform. No interceptor cache can beat it. */
export function pipelineFloor(): AxiosInstance {
  return axios.create({
    adapter: (config) =>
      Promise.resolve({ data: BODY, status: 200, statusText: 'OK', headers: {}, config, request: {} }),
    transformResponse: [],
  });
}

export interface Target {
  adapter?: AxiosAdapter;
  baseURL?: string;
  /** The axios timeout, for a target on a server. */
  timeout?: number;
}

const HOUR = 3_600_000;
const instance = (t: Target): AxiosInstance =>
  axios.create(
    t.adapter ? { adapter: t.adapter } : { baseURL: t.baseURL, ...(t.timeout ? { timeout: t.timeout } : {}) },
  );

export function oursMemory(t: Target, options: StaleCacheOptions = {}): AxiosInstance {
  const http = instance(t);
  attachStaleCache(http, {
    store: memoryStore({ maxEntries: 1_000_000, maxBytes: 2 ** 31 }),
    ttl: HOUR,
    staleTtl: 24 * HOUR,
    ...options,
  });
  return http;
}

export function oursRedis(t: Target, client: RedisClientType, options: StaleCacheOptions = {}): AxiosInstance {
  const http = instance(t);
  attachStaleCache(http, { store: redisStore(client), ttl: HOUR, staleTtl: 24 * HOUR, ...options });
  return http;
}

export function aciMemory(t: Target, maxEntries: number | false = false): AxiosInstance {
  return setupCache(instance(t), {
    ttl: HOUR,
    storage: buildMemoryStorage(false, false, maxEntries),
  }) as unknown as AxiosInstance;
}

/** axios-cache-interceptor's Redis storage, as its documentation (guide/storages.md, "Node Redis storage") shows it. */
export function aciRedis(t: Target, client: RedisClientType, options: CacheOptions = {}): AxiosInstance {
  const redisStorage = buildStorage({
    find(key) {
      return client
        .get(`axios-cache-${key}`)
        .then((result) => (result ? (JSON.parse(result) as StorageValue) : undefined));
    },
    async set(key, value, req) {
      await client.set(`axios-cache-${key}`, JSON.stringify(value), {
        PXAT:
          value.state === 'loading'
            ? Date.now() + (req?.cache && typeof req.cache.ttl === 'number' ? req.cache.ttl : 60_000)
            : (value.state === 'stale' && value.ttl) || (value.state === 'cached' && !canStale(value))
              ? value.createdAt + value.ttl!
              : Date.now() + 60 * 60 * 1000,
      });
    },
    async remove(key) {
      await client.del(`axios-cache-${key}`);
    },
  });
  return setupCache(instance(t), { ttl: HOUR, storage: redisStorage, ...options }) as unknown as AxiosInstance;
}

/**
 * The composition floor: the least a Redis-backed axios cache can do on a hit, one node-redis GET
 * and one JSON.parse inside an adapter, then axios's pipeline. No key, no codec, no policy.
 */
export function compositionFloor(client: RedisClientType, key: string): AxiosInstance {
  return axios.create({
    adapter: async (config) => {
      const text = await client.get(key);
      return {
        data: JSON.parse(text ?? 'null') as unknown,
        status: 200,
        statusText: 'OK',
        headers: {},
        config,
        request: {},
      };
    },
    transformResponse: [],
  });
}

/**
 * The Redis miss floor: plain axios that reads one Redis key before every request, as any Redis
 * cache must before it can know it has to go upstream.
 */
export function getFirst(http: AxiosInstance, client: RedisClientType): AxiosInstance {
  http.interceptors.request.use(async (config) => {
    await client.get('bench:absent');
    return config;
  });
  return http;
}
