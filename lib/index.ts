export { attachStaleCache } from './attach.js';
export { cacheMeta } from './observe/meta.js';
export { CHANNELS } from './observe/channel-names.js';
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
  BreakerMessage,
  BreakerState,
  ChannelSource,
  ClearOptions,
  ErrorMessage,
  BypassReason,
  CacheBreakerEvent,
  CacheErrorEvent,
  CacheEvent,
  CacheEventName,
  CacheEvents,
  CacheOperation,
  CachePeek,
  CacheSkipEvent,
  CacheState,
  CacheStats,
  CacheStore,
  CacheStoreEntry,
  FailureCause,
  HttpSemanticsOptions,
  InvalidateTarget,
  RequestMessage,
  RouteInfo,
  SkipMessage,
  SkipReason,
  StaleCacheHandle,
  StaleCacheMeta,
  StaleCacheOptions,
  StaleCacheRequestOptions,
  StoreBreakerOptions,
  StoreGuard,
  StoreIndex,
  StoreMessage,
  StoreOutcome,
  StoredValue,
  UpstreamFailure,
  UpstreamMessage,
} from './types.js';
