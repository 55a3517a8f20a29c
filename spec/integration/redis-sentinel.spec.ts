import { createSentinel, type RedisSentinelType } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { prefixes } from '../helpers/redis';
import { storeContract } from '../helpers/store-contract';
import { operatorTasks } from '../helpers/operator';
import { missHitStale } from '../helpers/store-scenario';
import { startSentinel } from '../setup/redis-server';
import { connect } from '../helpers/redis';
import { getsOf, nearTasks } from '../helpers/near';
import type { RedisClientType } from 'redis';

describe('Redis Sentinel (a master and a sentinel started by the test)', () => {
  let group: Awaited<ReturnType<typeof startSentinel>>;
  let sentinel: RedisSentinelType;

  beforeAll(async () => {
    group = await startSentinel('mymaster');
    sentinel = createSentinel({
      name: 'mymaster',
      sentinelRootNodes: [{ host: '127.0.0.1', port: group.sentinelPort }],
    }) as RedisSentinelType;
    sentinel.on('error', () => undefined);
    await sentinel.connect();
  }, 60_000);
  afterAll(async () => {
    await sentinel?.close();
    await group?.stop();
  });

  describe('the store contract', () => {
    storeContract(() => redisStore(sentinel));
  });

  describe('peek, clear and tags', () => {
    operatorTasks(() => redisStore(sentinel));
  });

  describe('near cache (RESP3 sentinels with clientSideCache)', () => {
    let members: RedisSentinelType[] = [];
    let master: RedisClientType;
    beforeAll(async () => {
      members = await Promise.all(
        [0, 1].map(async () => {
          const member = createSentinel({
            name: 'mymaster',
            sentinelRootNodes: [{ host: '127.0.0.1', port: group.sentinelPort }],
            RESP: 3,
            clientSideCache: { maxEntries: 100 },
          }) as unknown as RedisSentinelType;
          member.on('error', () => undefined);
          await member.connect();
          return member;
        }),
      );
      master = await connect(group.master.url);
    });
    afterAll(async () => {
      await Promise.all([...members.map((m) => m.close()), master.close()]);
    });
    nearTasks(
      () => [redisStore(members[0]!), redisStore(members[1]!)],
      () => ({ gets: () => getsOf(master), del: async (key) => void (await master.del(key)) }),
      false, // the sentinel's master connection: not killed here
    );
  });

  it('runs miss, hit, stale through createSentinel, writing to the master the sentinel names', async () => {
    const p = prefixes();
    const { states, primary, stale } = await missHitStale(redisStore(sentinel), p);
    expect(states).toEqual(['miss', 'hit', 'stale']);
    const master = await connect(group.master.url);
    expect(await master.exists(stale)).toBe(1); // the primary tier's 100 ms are over by now
    expect(await master.exists(primary)).toBe(0);
    expect(await master.pTTL(stale)).toBeGreaterThan(59_000);
    await master.close();
  });
});
