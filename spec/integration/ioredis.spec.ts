import axios from 'axios';
import calculateSlot from 'cluster-key-slot';
import IoRedis5, { Cluster as IoCluster5 } from 'ioredis';
import { Cluster as IoCluster6, Redis as IoRedis6 } from 'ioredis6';
import IoValkey, { Cluster as IoValkeyCluster } from 'iovalkey';
import type { RedisClientType } from 'redis';
import { attachStaleCache } from '../../lib/attach';
import { RedisNotReadyError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis';
import type { IoRedisLike } from '../../lib/stores/redis';
import { commandDelta, connect, prefixes } from '../helpers/redis';
import { storeContract } from '../helpers/store-contract';
import { missHitStale } from '../helpers/store-scenario';
import { send, startUpstream, type Upstream } from '../helpers/upstream';
import { sleep } from '../helpers/time';
import { startCluster, startRedisServer, type RedisGroup, type RedisProcess } from '../setup/redis-server';
import { httpSemantics } from '../helpers/http-semantics';
import { operatorTasks } from '../helpers/operator';
import { fleetTasks } from '../helpers/fleet';
import { getsOf, nearTasks } from '../helpers/near';
import { expectDebugLines } from '../helpers/debug-lines';
import { runFixture } from '../helpers/fixtures';

/*
 * The clients teams already run, on the same store: ioredis 5 and 6 and iovalkey, single node (a
 * private server, so that command counts see only this file) and Cluster. Same contract, same
 * command counts as node-redis.
 */

type Family = {
  name: string;
  single: (
    port: number,
    options?: Record<string, unknown>,
  ) => IoRedisLike & { quit(): Promise<unknown>; disconnect(): void; on(event: string, f: () => void): unknown };
  cluster: (nodes: Array<{ host: string; port: number }>) => IoRedisLike & { quit(): Promise<unknown> };
};

const families: Family[] = [
  {
    name: 'ioredis 5',
    single: (port, o = {}) => new IoRedis5({ host: '127.0.0.1', port, ...o }),
    cluster: (nodes) => new IoCluster5(nodes),
  },
  {
    name: 'ioredis 6',
    single: (port, o = {}) => new IoRedis6({ host: '127.0.0.1', port, ...o }),
    cluster: (nodes) => new IoCluster6(nodes),
  },
  {
    name: 'iovalkey',
    single: (port, o = {}) => new IoValkey({ host: '127.0.0.1', port, ...o }),
    cluster: (nodes) => new IoValkeyCluster(nodes),
  },
];

const ready = async (client: IoRedisLike): Promise<void> => {
  for (let i = 0; i < 400 && client.status !== 'ready'; i++) await sleep(5);
  if (client.status !== 'ready') throw new Error(`client not ready: ${client.status}`);
};

describe.each(families)('$name', (family) => {
  describe('single node (a private server)', () => {
    let redis: RedisProcess;
    let client: ReturnType<Family['single']>;
    let admin: RedisClientType;
    let upstream: Upstream;

    beforeAll(async () => {
      redis = await startRedisServer();
      client = family.single(redis.port);
      client.on('error', () => undefined);
      await ready(client);
      admin = await connect(redis.url);
      upstream = await startUpstream();
      upstream.route('/users', send.json({ users: ['ada'] }));
    });
    afterAll(async () => {
      await client.quit();
      await admin.close();
      await upstream.close();
      await redis.stop();
    });

    describe('the store contract', () => {
      storeContract(() => redisStore(client));
    });

    describe('peek, clear and tags', () => {
      operatorTasks(() => redisStore(client));
    });

    // ioredis 5 plain and iovalkey with a keyPrefix (which it applies to a script's keys only when the
    // command is named in lower case); ioredis 6 shares ioredis 5's code (and the suite has a time budget).
    if (family.name !== 'ioredis 6') {
      const options = family.name === 'iovalkey' ? { keyPrefix: 'kp:' } : {};
      describe(`coalesce: 'fleet' (three instances, each on a client of its own${options.keyPrefix ? ', keyPrefix' : ''})`, () => {
        const members: Array<ReturnType<Family['single']>> = [];
        beforeAll(async () => {
          for (let i = 0; i < 3; i++) {
            const member = family.single(redis.port, options);
            member.on('error', () => undefined);
            await ready(member);
            members.push(member);
          }
        });
        afterAll(async () => {
          await Promise.all(members.map((m) => m.quit()));
        });
        fleetTasks(() => members.map((m) => redisStore(m)));
      });
    }

    describe('HTTP semantics', () => {
      const p = prefixes();
      httpSemantics(
        () => redisStore(client),
        () => p,
      );
    });

    it('runs miss, hit, stale', async () => {
      const { states } = await missHitStale(redisStore(client), prefixes());
      expect(states).toEqual(['miss', 'hit', 'stale']);
    });

    it('costs what node-redis costs: a miss one GET and one MULTI of two SETs, a hit one GET, a stale answer one GET more', async () => {
      const delta = (action: () => Promise<unknown>): Promise<Record<string, number>> => commandDelta(admin, action);
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { store: redisStore(client), ttl: 100, ...prefixes() });
      const miss = await delta(async () => {
        await http.get('/users');
        await cache.settled();
      });
      expect(miss).toEqual({ get: 1, multi: 1, set: 2, exec: 1 });
      expect(await delta(() => http.get('/users'))).toEqual({ get: 1 });
      await sleep(150);
      upstream.route('/users', send.status(503));
      expect(await delta(() => http.get('/users'))).toEqual({ get: 2 });
      upstream.route('/users', send.json({ users: ['ada'] }));
      cache.detach();
    });

    it('honours a client keyPrefix: invalidateTags() and clear() reach the keys it prefixed', async () => {
      const prefixed = family.single(redis.port, { keyPrefix: 'pri' });
      prefixed.on('error', () => undefined);
      await ready(prefixed);
      const http = axios.create({ baseURL: upstream.baseURL });
      const cache = attachStaleCache(http, { store: redisStore(prefixed), ...prefixes() });
      upstream.route('/kp', send.json({ ok: 1 }, 200, { 'cache-tag': 't' }));
      const state = async (): Promise<string | undefined> => {
        const res = await http.get('/kp');
        await cache.settled();
        return res.staleCache?.state;
      };
      expect(await state()).toBe('miss');
      expect(await state()).toBe('hit');
      await cache.invalidateTags('t');
      expect(await state()).toBe('miss');
      await cache.clear();
      expect(await state()).toBe('miss');
      cache.detach();
      await prefixed.quit();
    });

    it('keeps bytes exact (getBuffer)', async () => {
      const store = redisStore(client);
      const bytes = Buffer.from([0, 0xff, 0x0a, 0xfe, 0x80]);
      const key = 'ioredis-bytes:{b}';
      await store.set([{ key, value: bytes, ttl: 60_000 }]);
      expect(Buffer.compare(Buffer.from((await store.get(key)) as Uint8Array), bytes)).toBe(0);
      await store.delete([key]);
    });

    it('never joins the offline queue: a client that is not ready fails at once', async () => {
      const idle = family.single(redis.port, { lazyConnect: true });
      idle.on('error', () => undefined);
      const store = redisStore(idle);
      await expect(store.get('x:{y}')).rejects.toBeInstanceOf(RedisNotReadyError);
      await expect(store.set([{ key: 'x:{y}', value: 'v', ttl: 1 }])).rejects.toBeInstanceOf(RedisNotReadyError);
      idle.disconnect();
    });
  });

  describe('Cluster (three masters started by the test)', () => {
    let group: RedisGroup;
    let cluster: ReturnType<Family['cluster']>;
    /** Cluster clients of their own (one per process they stand for), ready. */
    const clusterMembers = async (n: number): Promise<Array<ReturnType<Family['cluster']>>> => {
      const made: Array<ReturnType<Family['cluster']>> = [];
      for (let i = 0; i < n; i++) {
        const member = family.cluster(group.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })));
        (member as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
        await ready(member);
        made.push(member);
      }
      return made;
    };
    beforeAll(async () => {
      group = await startCluster(3);
      cluster = family.cluster(group.urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })));
      (cluster as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
      await ready(cluster);
    }, 60_000);
    afterAll(async () => {
      await cluster?.quit();
      await group?.stop();
    });

    describe('the store contract', () => {
      storeContract(() => redisStore(cluster));
    });

    describe('peek, clear and tags (clear scans every master; tags live in slots of their own)', () => {
      operatorTasks(() => redisStore(cluster));
    });

    if (family.name === 'ioredis 5') {
      describe('near cache (tracking per master, redirected to a subscriber of the store on each)', () => {
        const members: Array<ReturnType<Family['cluster']>> = [];
        let admins: RedisClientType[] = [];
        beforeAll(async () => {
          members.push(...(await clusterMembers(2)));
          admins = await Promise.all(group.urls.map((url) => connect(url)));
        });
        afterAll(async () => {
          await Promise.all([...members.map((m) => m.quit()), ...admins.map((a) => a.close())]);
        });
        nearTasks(
          () => [redisStore(members[0]!, { nearCache: true }), redisStore(members[1]!, { nearCache: true })],
          () => ({
            gets: async () => (await Promise.all(admins.map(getsOf))).reduce((a, b) => a + b, 0),
            del: async (key) => {
              await Promise.all(admins.map((a) => a.del(key).catch(() => undefined)));
            },
          }),
          false, // a Cluster's node connections: not killed here
        );
      });

      describe("coalesce: 'fleet' (three instances, each on a Cluster client of its own)", () => {
        const members: Array<ReturnType<Family['cluster']>> = [];
        beforeAll(async () => {
          members.push(...(await clusterMembers(3)));
        });
        afterAll(async () => {
          await Promise.all(members.map((m) => m.quit()));
        });
        fleetTasks(() => members.map((m) => redisStore(m)));
      });
    }

    it('writes the debug log, one line per request (NODE_DEBUG, ioredis 5 Cluster in a process of its own)', async () => {
      const env = {
        NODE_DEBUG: 'axios-stale-cache',
        DEBUG_LOG_STORE: 'ioredis-cluster',
        CLUSTER_PORTS: group.urls.map((u) => new URL(u).port).join(','),
      };
      expectDebugLines(JSON.parse(await runFixture('debug-log.ts', [], [], env)) as string[]);
    });

    it('runs miss, hit, stale; every key of a URL in one slot', async () => {
      const { states, primary, stale } = await missHitStale(redisStore(cluster), prefixes());
      expect(states).toEqual(['miss', 'hit', 'stale']);
      expect(calculateSlot(primary)).toBe(calculateSlot(stale));
      expect(Number(await (cluster as unknown as { exists(k: string): Promise<number> }).exists(stale))).toBe(1);
    });

    it('gives each master a store breaker of its own (scopeOf)', () => {
      const store = redisStore(cluster);
      const scopes = new Set(Array.from({ length: 50 }, (_, i) => store.scopeOf?.(`p:{url-${i}}`)));
      expect(scopes.size).toBe(3);
    });
  });
});

it('an unsupported client names the supported ones and points to the CacheStore interface', () => {
  expect(() => redisStore({ get() {} } as never)).toThrow(/node-redis.*ioredis or iovalkey.*CacheStore/);
});
