import { hasRedisServerBinary, pingRedis, startRedisServer } from './redis-server';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/**
 * Finds Redis for the suite: REDIS_URL, else 127.0.0.1:6379, else a redis-server started here on a
 * free loopback port (stopped by the teardown). Workers inherit REDIS_URL from this process.
 */
export default async function globalSetup(): Promise<void> {
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter((u): u is string => !!u);
  for (const url of candidates) {
    const { host, port } = hostPort(url);
    if (await pingRedis(host, port)) {
      process.env.REDIS_URL = url;
      return;
    }
  }
  if (!hasRedisServerBinary()) {
    throw new Error(
      `No Redis answered at ${candidates.join(' or ')} and redis-server is not installed. ` +
        'Start one (redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no), ' +
        'install it (apt-get install redis-server), or point REDIS_URL at a server.',
    );
  }
  const redis = await startRedisServer();
  process.env.REDIS_URL = redis.url;
  (globalThis as { __STALE_CACHE_REDIS__?: typeof redis }).__STALE_CACHE_REDIS__ = redis;
}
