import type { RedisClientType } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { fleetTasks } from '../helpers/fleet';
import { connect } from '../helpers/redis';

/*
 * coalesce: 'fleet' on one Redis: three instances on three node-redis clients. The Cluster and the
 * ioredis families run the same tasks in their own files (on the servers those start).
 */
describe("coalesce: 'fleet' on node-redis (three clients, one server)", () => {
  let clients: RedisClientType[] = [];
  beforeAll(async () => {
    clients = await Promise.all([connect(), connect(), connect()]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });
  fleetTasks(() => clients.map((c) => redisStore(c)));
});
