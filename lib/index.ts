export { attachStaleCache } from './attach.js';
export { cacheMeta } from './meta.js';
export { memoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export {
  redisStore,
  type IoRedisLike,
  type IoRedisPipelineLike,
  type RedisLike,
  type RedisMultiLike,
  type RedisStoreOptions,
} from './stores/redis.js';
export {
  DEFAULT_CREDENTIAL_HEADERS,
  DEFAULT_CREDENTIAL_PATTERN,
  isCacheableResponse as defaultIsCacheable,
  isStaleWorthy as defaultStaleIf,
} from './http/rules.js';
export { BreakerOpenError, EntryError, RedisNotReadyError, StoreBusyError, StoreTimeoutError } from './errors.js';
export type {
  BreakerState,
  BypassReason,
  CacheBreakerEvent,
  CacheErrorEvent,
  CacheEvent,
  CacheEventName,
  CacheEvents,
  CacheOperation,
  CacheSkipEvent,
  CacheState,
  CacheStats,
  CacheStore,
  CacheStoreEntry,
  FailureCause,
  HttpSemanticsOptions,
  InvalidateTarget,
  SkipReason,
  StaleCacheHandle,
  StaleCacheMeta,
  StaleCacheOptions,
  StaleCacheRequestOptions,
  StoreBreakerOptions,
  StoreGuard,
  StoreIndex,
  StoredValue,
  UpstreamFailure,
} from './types.js';
