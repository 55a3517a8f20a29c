import axios from 'axios';
import { createCluster, type RedisClusterType } from 'redis';
import { createCluster as createCluster5 } from 'redis5';
import { attachStaleCache } from '../../lib/attach';
import { redisStore } from '../../lib/stores/redis';
import { prefixes } from '../helpers/redis';
import { storeContract } from '../helpers/store-contract';
import { httpSemantics } from '../helpers/http-semantics';
import { operatorTasks } from '../helpers/operator';
import { fleetTasks } from '../helpers/fleet';
import { getsOf, nearTasks } from '../helpers/near';
import { connect } from '../helpers/redis';
import type { RedisClientType } from 'redis';
import { expectDebugLines } from '../helpers/debug-lines';
import { runFixture } from '../helpers/fixtures';
import { missHitStale } from '../helpers/store-scenario';
import { outageScenarios } from '../helpers/outage-scenarios';
import { pauseServer } from '../helpers/redis';
import { send, startUpstream } from '../helpers/upstream';
import { sleep } from '../helpers/time';
import { startCluster, type RedisGroup } from '../setup/redis-server';
import calculateSlot from 'cluster-key-slot';

/** The `{…}` hash tag of a key, as Redis Cluster reads it. */
const hashTagOf = (key: string): string => key.slice(key.indexOf('{') + 1, key.indexOf('}'));

describe('Redis Cluster (three masters started by the test)', () => {
  let group: RedisGroup;
  let cluster: RedisClusterType;

  beforeAll(async () => {
    group = await startCluster(3);
    cluster = createCluster({ rootNodes: [{ url: group.urls[0] }] }) as RedisClusterType;
    cluster.on('error', () => undefined);
    await cluster.connect();
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await group?.stop();
  });

  describe('the store contract', () => {
    storeContract(() => redisStore(cluster));
  });

  describe('peek, clear and tags (clear scans every master; tags live in slots of their own)', () => {
    operatorTasks(() => redisStore(cluster));
  });

  describe('near cache (RESP3 cluster clients with clientSideCache)', () => {
    let members: RedisClusterType[] = [];
    let admins: RedisClientType[] = [];
    beforeAll(async () => {
      members = await Promise.all(
        [0, 1].map(async () => {
          const member = createCluster({
            rootNodes: [{ url: group.urls[0] as string }],
            RESP: 3,
            clientSideCache: { maxEntries: 100 },
          }) as unknown as RedisClusterType;
          member.on('error', () => undefined);
          await member.connect();
          return member;
        }),
      );
      admins = await Promise.all(group.urls.map((url) => connect(url)));
    });
    afterAll(async () => {
      await Promise.all([...members.map((m) => m.close()), ...admins.map((a) => a.close())]);
    });
    nearTasks(
      () => [redisStore(members[0]!), redisStore(members[1]!)],
      () => ({
        gets: async () => (await Promise.all(admins.map(getsOf))).reduce((a, b) => a + b, 0),
        del: async (key) => void (await cluster.del(key)),
      }),
      false, // a Cluster's node connections: not killed here
    );
  });

  describe("coalesce: 'fleet' (three instances, each on a cluster client of its own)", () => {
    let members: RedisClusterType[] = [];
    beforeAll(async () => {
      members = await Promise.all(
        [0, 1, 2].map(async () => {
          const member = createCluster({ rootNodes: [{ url: group.urls[0] as string }] }) as RedisClusterType;
          member.on('error', () => undefined);
          await member.connect();
          return member;
        }),
      );
    });
    afterAll(async () => {
      await Promise.all(members.map((m) => m.close()));
    });
    fleetTasks(() => members.map((m) => redisStore(m)));
  });

  it('writes the debug log, one line per request (NODE_DEBUG, in a process of its own)', async () => {
    const env = {
      NODE_DEBUG: 'axios-stale-cache',
      DEBUG_LOG_STORE: 'node-redis-cluster',
      CLUSTER_PORTS: group.urls.map((u) => new URL(u).port).join(','),
    };
    expectDebugLines(JSON.parse(await runFixture('debug-log.ts', [], [], env)) as string[]);
  });

  describe('HTTP semantics', () => {
    const p = prefixes();
    httpSemantics(
      () => redisStore(cluster),
      () => p,
    );
  });

  it('runs miss, hit, stale through createCluster; both tiers of a key sit in one slot', async () => {
    const p = prefixes();
    const { states, primary, stale } = await missHitStale(redisStore(cluster), p);
    expect(states).toEqual(['miss', 'hit', 'stale']);
    const node = cluster.masters[0]!;
    const client = await cluster.nodeClient(node);
    const [slotA, slotB] = await Promise.all([client.clusterKeySlot(primary), client.clusterKeySlot(stale)]);
    expect(slotA).toBe(slotB);
    expect(await cluster.exists(stale)).toBe(1);
  });

  it('spreads URLs over every master, deletes across slots, and invalidates every vary variant', async () => {
    const p = prefixes();
    const upstream = await startUpstream();
    const http = axios.create({ baseURL: upstream.baseURL });
    // Slots are the point here, not latency: a cold cluster client on a loaded machine can answer a first
    // burst of 60 reads after 100 ms, which (rightly) opens the store breaker and drops the writes.
    const cache = attachStaleCache(http, {
      store: redisStore(cluster),
      vary: ['accept-language'],
      storeTimeout: 5_000,
      ...p,
    });
    try {
      const paths = Array.from({ length: 30 }, (_, i) => `/u${i}`);
      for (const path of paths) upstream.route(path, send.json({ path }));
      await Promise.all(
        paths.flatMap((path) => ['en', 'fr'].map((l) => http.get(path, { headers: { 'Accept-Language': l } }))),
      );
      await cache.settled();
      const slots = new Set<number>();
      const client = await cluster.nodeClient(cluster.masters[0]!);
      for (const path of paths) {
        const res = await http.get(path, { headers: { 'Accept-Language': 'en' } });
        expect(res.staleCache?.state).toBe('hit');
        expect(res.data).toEqual({ path });
        slots.add(await client.clusterKeySlot(res.staleCache?.key ?? ''));
      }
      const owners = new Set([...slots].map((s) => cluster.getSlotMaster(s).port));
      expect(owners.size).toBe(3);

      await cache.invalidate('/u0'); // two variants, two tiers, GET and HEAD digests
      const after = await Promise.all(['en', 'fr'].map((l) => http.get('/u0', { headers: { 'Accept-Language': l } })));
      expect(after.map((r) => r.staleCache?.state)).toEqual(['miss', 'miss']);
      expect((await http.get('/u1', { headers: { 'Accept-Language': 'fr' } })).staleCache?.state).toBe('hit');
    } finally {
      cache.detach();
      await upstream.close();
    }
  });

  it('one paused master turns the cache off for its own keys only: the others still hit', async () => {
    const p = prefixes();
    const upstream = await startUpstream();
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(cluster), ttl: 60_000, storeTimeout: 100, ...p });
    const opened: Array<string | undefined> = [];
    let pauseEnds = 0;
    cache.on('breaker', (e) => {
      if (e.state === 'open') opened.push(e.node);
    });
    try {
      // 30 URLs, spread over the three masters; which master holds each is read off its key's slot.
      const paths = Array.from({ length: 30 }, (_, i) => `/m${i}`);
      for (const path of paths) upstream.route(path, send.json({ path }));
      const masterOf = new Map<string, string>();
      for (const path of paths) {
        const res = await http.get(path);
        const node = cluster.getSlotMaster(calculateSlot(hashTagOf(res.staleCache?.key ?? '')));
        masterOf.set(path, `${node.host}:${node.port}`);
      }
      await cache.settled();
      const sick = masterOf.get('/m0') as string;
      const sickUrl = group.urls.find((u) => u.endsWith(`:${sick.split(':')[1]}`)) as string;
      await pauseServer(sickUrl, 3_000);
      pauseEnds = Date.now() + 3_000;
      const states = new Map<string, string[]>();
      for (let round = 0; round < 3; round++) {
        for (const path of paths) {
          const res = await http.get(path);
          const node = masterOf.get(path) as string;
          states.set(node, [...(states.get(node) ?? []), String(res.staleCache?.state)]);
        }
      }
      expect(opened).toEqual([sick]); // that master's breaker alone
      for (const [node, seen] of states) {
        if (node === sick) expect(seen.every((s) => s === 'miss')).toBe(true);
        else expect(seen.every((s) => s === 'hit')).toBe(true);
      }
      expect(cache.stats().breaker).toBe('open');
    } finally {
      cache.detach();
      await upstream.close();
      await sleep(Math.max(0, pauseEnds - Date.now())); // the tests after this one need every master
    }
  });

  describe('outage mode (an instance per cluster client; the pause holds every master)', () => {
    outageScenarios(
      async () => ({
        member: async () => {
          const member = createCluster({ rootNodes: [{ url: group.urls[0] }] }) as RedisClusterType;
          member.on('error', () => undefined);
          await member.connect();
          return { store: redisStore(member), close: () => member.close() };
        },
        pause: async (ms) => {
          await Promise.all(group.urls.map((url) => pauseServer(url, ms)));
        },
      }),
      { pausable: true, nodes: 3 },
    );
  });

  describe('through node-redis 5 (createCluster of redis@5, which has no isReady)', () => {
    let cluster5: { close(): Promise<void> } & Parameters<typeof redisStore>[0];
    beforeAll(async () => {
      const created = createCluster5({ rootNodes: [{ url: group.urls[0] }] });
      created.on('error', () => undefined);
      cluster5 = (await created.connect()) as unknown as typeof cluster5;
    });
    afterAll(async () => {
      await cluster5?.close();
    });

    storeContract(() => redisStore(cluster5));

    it('runs miss, hit, stale', async () => {
      expect((await missHitStale(redisStore(cluster5), prefixes())).states).toEqual(['miss', 'hit', 'stale']);
    });
  });
});
