export { attachStaleCache } from './attach.js';
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { redisStore, RedisNotReadyError, type RedisLike, type RedisMultiLike, type RedisStoreOptions } from './stores/redis.js';
export { StoreBusyError, StoreTimeoutError } from './store-io.js';
export { DEFAULT_CREDENTIAL_HEADERS } from './policy.js';
export { EntryError } from './entry.js';
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
