import IoRedis from 'ioredis';
import { createClient, type RedisClientType } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { connect } from '../helpers/redis';
import { getsOf, nearTasks } from '../helpers/near';
import { startRedisServer, type RedisProcess } from '../setup/redis-server';
import { sleep } from '../helpers/time';
import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { prefixes } from '../helpers/redis';
import { runFixture } from '../helpers/fixtures';
import { send, startUpstream } from '../helpers/upstream';

/*
 * The near cache on a server of this file's own (command counts see only it): node-redis with its
 * client-side cache (RESP3), and ioredis with tracking redirected to a connection of the store's own.
 * The Cluster runs the same tasks in the Cluster files.
 */
describe('near cache', () => {
  let redis: RedisProcess;
  let admin: RedisClientType;
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = await connect(redis.url);
  });
  afterAll(async () => {
    await admin.close();
    await redis.stop();
  });

  describe('node-redis, RESP3 with clientSideCache', () => {
    let clients: RedisClientType[] = [];
    beforeAll(async () => {
      clients = await Promise.all(
        [0, 1].map(async () => {
          const client = createClient({ url: redis.url, RESP: 3, clientSideCache: { maxEntries: 100 } });
          client.on('error', () => undefined);
          await client.connect();
          return client as unknown as RedisClientType;
        }),
      );
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });
    nearTasks(
      () => [redisStore(clients[0]!), redisStore(clients[1]!)],
      () => ({
        gets: () => getsOf(admin),
        del: async (key) => void (await admin.del(key)),
        kill: async (i) => {
          const id = await clients[i]!.sendCommand(['CLIENT', 'ID']);
          await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
        },
      }),
    );
  });

  it("another process's invalidate() reaches this process's near cache (real processes)", async () => {
    const client = createClient({ url: redis.url, RESP: 3, clientSideCache: { maxEntries: 100 } });
    client.on('error', () => undefined);
    await client.connect();
    const upstream = await startUpstream();
    upstream.route('/shared', send.json({ v: 1 }));
    const p = prefixes();
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), ...p, ttl: 60_000 });
    try {
      await http.get('/shared');
      await cache.settled();
      await http.get('/shared'); // read from Redis (its own write dropped what it had read): now near
      const before = await getsOf(admin);
      for (let i = 0; i < 3; i++) expect((await http.get('/shared')).staleCache?.state).toBe('hit');
      expect(await getsOf(admin)).toBe(before); // from the near cache
      const out = await runFixture('invalidator.ts', [
        redis.url,
        upstream.baseURL,
        p.primaryKeyPrefix,
        p.staleKeyPrefix,
        '/shared',
      ]);
      expect(out).toBe('invalidated');
      await sleep(100);
      expect((await http.get('/shared')).staleCache?.state).toBe('miss');
    } finally {
      await cache.settled();
      cache.detach();
      await client.close();
      await upstream.close();
    }
  }, 30_000);

  describe('ioredis, tracking redirected to a subscriber of the store', () => {
    let clients: IoRedis[] = [];
    beforeAll(async () => {
      clients = [0, 1].map(() => new IoRedis({ host: '127.0.0.1', port: redis.port }));
      for (const c of clients) c.on('error', () => undefined);
      for (let i = 0; i < 400 && clients.some((c) => c.status !== 'ready'); i++) await sleep(5);
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.quit()));
    });
    nearTasks(
      () => [redisStore(clients[0]!, { nearCache: true }), redisStore(clients[1]!, { nearCache: true })],
      () => ({
        gets: () => getsOf(admin),
        del: async (key) => void (await admin.del(key)),
        kill: async (i) => {
          const id = await clients[i]!.client('ID');
          await admin.sendCommand(['CLIENT', 'KILL', 'ID', String(id)]);
        },
      }),
    );
  });
});
