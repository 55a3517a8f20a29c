// Compile-time check (run by `npm run typecheck`): redisStore accepts every supported client kind,
// as the user has it: no cast (`redisStore(new Redis())` once failed tsc for want of withCommandOptions).
import IoRedis5, { Cluster as IoCluster5 } from 'ioredis';
import { Cluster as IoCluster6, Redis as IoRedis6 } from 'ioredis6';
import IoValkey, { Cluster as IoValkeyCluster } from 'iovalkey';
import { createClient, createCluster, createSentinel } from 'redis';
import { redisStore } from '../../lib/stores/redis';

export function acceptsEveryClientKind(): void {
  redisStore(createClient());
  redisStore(createCluster({ rootNodes: [] }));
  redisStore(createSentinel({ name: 'mymaster', sentinelRootNodes: [] }));
  redisStore(new IoRedis5());
  redisStore(new IoCluster5([]));
  redisStore(new IoRedis6());
  redisStore(new IoCluster6([]));
  redisStore(new IoValkey());
  redisStore(new IoValkeyCluster([]));
}
