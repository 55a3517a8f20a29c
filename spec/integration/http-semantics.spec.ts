import type { RedisClientType } from 'redis';
import { memoryStore } from '../../lib/index';
import { redisStore } from '../../lib/stores/redis';
import { httpSemantics } from '../helpers/http-semantics';
import { operatorTasks } from '../helpers/operator';
import { cleanup, connect, prefixes } from '../helpers/redis';

describe('HTTP semantics on the memory store', () => {
  httpSemantics(() => memoryStore());
  describe('peek, clear and tags', () => {
    const store = memoryStore();
    operatorTasks(() => store);
  });
});

describe('HTTP semantics on Redis', () => {
  let client: RedisClientType;
  const p = prefixes();
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await cleanup(client, p);
    await client.close();
  });
  httpSemantics(
    () => redisStore(client),
    () => p,
  );
  describe('peek, clear and tags', () => {
    operatorTasks(() => redisStore(client));
  });
});
