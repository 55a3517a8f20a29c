import type { RedisProcess } from './redis-server';

export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { __STALE_CACHE_REDIS__?: RedisProcess }).__STALE_CACHE_REDIS__;
  if (redis) await redis.stop();
}
