// Compile-time check (run by `npm run typecheck`): redisStore accepts every node-redis client kind.
import { createClient, createCluster, createSentinel } from 'redis';
import { redisStore } from '../../lib/stores/redis';

export function acceptsEveryClientKind(): void {
  redisStore(createClient());
  redisStore(createCluster({ rootNodes: [] }));
  redisStore(createSentinel({ name: 'mymaster', sentinelRootNodes: [] }));
}
