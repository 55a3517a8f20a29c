export { attachStaleCache } from './attach.js';
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { redisStore, type RedisLike, type RedisMultiLike, type RedisStoreOptions } from './stores/redis.js';
export { DEFAULT_CREDENTIAL_HEADERS } from './http/rules.js';
export { EntryError, RedisNotReadyError, StoreBusyError, StoreTimeoutError } from './errors.js';
export type {
  BypassReason,
  CacheErrorEvent,
  CacheEvent,
  CacheEventName,
  CacheEvents,
  CacheOperation,
  CacheState,
  CacheStats,
  CacheStore,
  CacheStoreEntry,
  FailureCause,
  InvalidateTarget,
  StaleCacheHandle,
  StaleCacheMeta,
  StaleCacheOptions,
  StaleCacheRequestOptions,
  StoredValue,
  UpstreamFailure,
} from './types.js';
