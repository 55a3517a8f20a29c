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
        ready: async (i) => {
          await sleep(20); // the client has heard of the kill
          for (let n = 0; n < 400 && !clients[i]!.isReady; n++) await sleep(5);
        },
      }),
    );

    it('keeps values as bytes of their own, never views pinning a socket chunk', async () => {
      const store = redisStore(clients[0]!);
      const key = `${prefixes().primaryKeyPrefix}:{pin}`;
      await admin.set(key, 'small');
      const value = (await store.get(key)) as Uint8Array;
      expect(Buffer.from(value).toString()).toBe('small');
      expect(value.buffer.byteLength).toBeLessThan(64);
      expect(store.peekSync?.(key)).toBe(value);
      await admin.del(key);
    });
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
        ready: async (i) => {
          await sleep(20); // the client has heard of the kill
          for (let n = 0; n < 400 && clients[i]!.status !== 'ready'; n++) await sleep(5);
        },
      }),
    );

    /** Reads a key through `store` until one read takes no round trip (the near cache is tracking). */
    const nearRead = async (store: ReturnType<typeof redisStore>, key: string): Promise<boolean> => {
      for (let n = 0; n < 300; n++) {
        if (store.peekSync?.(key) !== undefined) return true;
        await store.get(key).catch(() => null); // not connected yet
        await sleep(10);
      }
      return false;
    };

    /** A key's value as the store gives it (near or read), once its client is connected. */
    const textOf = async (store: ReturnType<typeof redisStore>, key: string): Promise<string> => {
      for (let n = 0; n < 300; n++) {
        const near = store.peekSync?.(key);
        if (near !== undefined) return Buffer.from(near as Uint8Array).toString();
        const read = await store.get(key).catch(() => undefined);
        if (read !== undefined) return Buffer.from(read as Uint8Array).toString();
        await sleep(10);
      }
      throw new Error('never connected');
    };

    it('tracks again after its subscriber is killed, and after the user disconnects and connects again', async () => {
      const client = new IoRedis({ host: '127.0.0.1', port: redis.port });
      client.on('error', () => undefined);
      const store = redisStore(client, { nearCache: true });
      const key = `${prefixes().primaryKeyPrefix}:{again}`;
      try {
        await admin.set(key, 'v1');
        expect(await nearRead(store, key)).toBe(true);
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
        await admin.set(key, 'v2'); // the killed subscriber never hears of it
        await sleep(100);
        expect(await textOf(store, key)).toBe('v2');
        expect(await nearRead(store, key)).toBe(true);
        client.disconnect();
        for (let n = 0; n < 400 && client.status !== 'end'; n++) await sleep(5);
        await admin.set(key, 'v3');
        await client.connect();
        expect(await textOf(store, key)).toBe('v3');
        expect(await nearRead(store, key)).toBe(true);
        await admin.set(key, 'v4');
        await sleep(100);
        expect(store.peekSync?.(key)).toBeUndefined();
      } finally {
        await admin.del(key);
        client.disconnect();
      }
    });

    it('refuses reads tracking cannot cover: a Cluster reading replicas, a Sentinel client of a replica', () => {
      const cluster = new IoRedis.Cluster([{ host: '127.0.0.1', port: redis.port }], {
        scaleReads: 'slave',
        lazyConnect: true,
      });
      expect(() => redisStore(cluster, { nearCache: true })).toThrow(/nearCache needs scaleReads: 'master'/);
      const replica = new IoRedis({
        sentinels: [{ host: '127.0.0.1', port: 1 }],
        name: 'm',
        role: 'slave',
        lazyConnect: true,
      });
      expect(() => redisStore(replica, { nearCache: true })).toThrow(/nearCache needs role: 'master'/);
    });

    it('a client that never connects keeps no connection of the store open: its process exits', async () => {
      expect(await runFixture('near-lazy.ts', [String(redis.port)])).toBe('exiting');
    }, 30_000);
  });
});
