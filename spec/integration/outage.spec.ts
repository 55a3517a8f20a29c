import { createClient } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { memoryStore } from '../../lib/stores/memory';
import { pauseServer } from '../helpers/redis';
import { outageScenarios } from '../helpers/outage-scenarios';
import { startRedisServer, type RedisProcess } from '../setup/redis-server';

describe('outage mode on the memory store (a fleet of instances sharing one store)', () => {
  outageScenarios(
    async () => {
      const store = memoryStore();
      return { member: async () => ({ store, close: async () => undefined }) };
    },
    { pausable: false },
  );
});

describe('outage mode on Redis (a private redis-server, a client per instance)', () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  outageScenarios(
    async () => ({
      member: async () => {
        const client = createClient({ url: redis.url });
        client.on('error', () => undefined);
        await client.connect();
        return { store: redisStore(client), close: () => client.close() };
      },
      pause: (ms) => pauseServer(redis.url, ms),
    }),
    { pausable: true },
  );
});
