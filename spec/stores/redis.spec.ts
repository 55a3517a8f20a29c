import type { RedisClientType } from 'redis';
import { createClient as createClient5 } from 'redis5';
import { RedisNotReadyError } from '../../lib/errors';
import { redisStore } from '../../lib/stores/redis';
import type { CacheStore } from '../../lib/types';
import { runFixture } from '../helpers/fixtures';
import { operatorTasks } from '../helpers/operator';
import { storeContract } from '../helpers/store-contract';
import { connect, REDIS_URL } from '../helpers/redis';
import { randomBytes } from 'node:crypto';

describe('redisStore on a real Redis: the store contract', () => {
  let client: RedisClientType;
  const ns = `tcontract${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${ns}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length) await client.del(keys);
    await client.close();
  });
  storeContract(() => redisStore(client), ns);
});

describe('redisStore on node-redis 5 (the redis@5 package): the store contract', () => {
  let client5: { close(): Promise<void> } & Parameters<typeof redisStore>[0];
  const ns = `tcontract5${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    const created = createClient5({ url: REDIS_URL });
    created.on('error', () => undefined);
    client5 = (await created.connect()) as unknown as typeof client5;
  });
  afterAll(async () => {
    const admin = await connect();
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${ns}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length) await admin.del(keys);
    await admin.close();
    await client5.close();
  });
  storeContract(() => redisStore(client5), ns);
  describe('peek, clear and tags', () => {
    operatorTasks(() => redisStore(client5));
  });
});

describe('redisStore on a real Redis', () => {
  let client: RedisClientType;
  let store: CacheStore;
  const ns = `tstore${randomBytes(4).toString('hex')}`;
  const k = (s: string): string => `${ns}:${s}`;

  beforeAll(async () => {
    client = await connect();
    store = redisStore(client);
  });
  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${ns}*`, COUNT: 1000 })) keys.push(...batch);
    if (keys.length) await client.del(keys);
    await client.close();
  });

  it('set writes every entry with its own PX ttl; get reads bytes back exactly', async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128, 1]);
    await store.set([
      { key: k('{a}'), value: bytes, ttl: 5_000 },
      { key: k('{a}:s'), value: 'text é', ttl: 60_000 },
    ]);
    const back = await store.get(k('{a}'));
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(Buffer.compare(back as Buffer, bytes)).toBe(0);
    expect(Buffer.from((await store.get(k('{a}:s'))) as Uint8Array).toString()).toBe('text é');
    const [p1, p2] = await Promise.all([client.pTTL(k('{a}')), client.pTTL(k('{a}:s'))]);
    expect(p1).toBeGreaterThan(4_900);
    expect(p1).toBeLessThanOrEqual(5_000);
    expect(p2).toBeGreaterThan(59_900);
  });

  it('get of a missing key is null', async () => {
    expect(await store.get(k('missing'))).toBeNull();
  });

  it('delete removes keys, across hash tags', async () => {
    await store.set([
      { key: k('{x}'), value: 'a', ttl: 10_000 },
      { key: k('{y}'), value: 'b', ttl: 10_000 },
    ]);
    await store.delete([k('{x}'), k('{y}')]);
    expect(await client.exists([k('{x}'), k('{y}')])).toBe(0);
  });

  it('deletePrefixed removes every key under a prefix and nothing else', async () => {
    const keys = [k('{v}'), k('{v}:1'), k('{v}:2'), k('{w}:1')];
    await store.set(keys.map((key) => ({ key, value: 'x', ttl: 10_000 })));
    await store.deletePrefixed!([k('{v}')]);
    expect(await client.exists(keys.slice(0, 3))).toBe(0);
    expect(await client.exists(k('{w}:1'))).toBe(1);
  });

  it('a prefix with glob characters only matches itself', async () => {
    await store.set([
      { key: k('{g*}:1'), value: 'x', ttl: 10_000 },
      { key: k('{gg}:1'), value: 'x', ttl: 10_000 },
    ]);
    await store.deletePrefixed!([k('{g*}')]);
    expect(await client.exists(k('{gg}:1'))).toBe(1);
    expect(await client.exists(k('{g*}:1'))).toBe(0);
  });

  it('fails at once, without queueing, when the client is not connected', async () => {
    const offline = await connect();
    const offlineStore = redisStore(offline);
    await offline.close();
    // Rejected before a timer of a single tick fires: nothing was queued or awaited on the network.
    const tick = new Promise<'tick'>((r) => setImmediate(() => r('tick')));
    const get = offlineStore.get(k('a')).catch((e: unknown) => e);
    expect(await Promise.race([get, tick])).toBeInstanceOf(RedisNotReadyError);
    await expect(offlineStore.set([{ key: k('a'), value: 'x', ttl: 10 }])).rejects.toBeInstanceOf(RedisNotReadyError);
  });

  it('reads keep working across read windows (each window shares one abort signal)', async () => {
    await store.set([{ key: k('{win}'), value: 'w', ttl: 30_000 }]);
    expect(Buffer.from((await store.get(k('{win}'))) as Uint8Array).toString()).toBe('w');
    await new Promise((r) => setTimeout(r, 1_100)); // the next window, with a new signal
    expect(Buffer.from((await store.get(k('{win}'))) as Uint8Array).toString()).toBe('w');
  });

  it('hundreds of concurrent reads on one shared signal print no MaxListenersExceededWarning', async () => {
    expect(JSON.parse(await runFixture('redis-many-reads.ts', [REDIS_URL, k('{many}')]))).toEqual({
      ok: true,
      warnings: [],
    });
  });

  it.each([
    [{}, /node-redis client/],
    [null, /node-redis client/],
  ])('refuses %p as a client', (value, message) => {
    expect(() => redisStore(value as never)).toThrow(message);
  });

  it('refuses unknown and bad options', () => {
    expect(() => redisStore(client, { scan: 1 } as never)).toThrow(/redisStore options\.scan\b/);
    expect(() => redisStore(client, { scanCount: 0 })).toThrow(/scanCount/);
  });

  it.each([
    ['yes', /options\.nearCache must be a boolean/],
    [{ maxEntries: 0 }, /options\.nearCache\.maxEntries must be an integer >= 1/],
    [{ maxBytes: 1.5 }, /options\.nearCache\.maxBytes must be an integer >= 1/],
    [{ max: 10 }, /unknown option redisStore options\.nearCache\.max\b/],
    // A node-redis client without a client-side cache has no invalidations to keep one by.
    [true, /nearCache needs a node-redis client made with RESP: 3 and clientSideCache/],
  ])('refuses nearCache: %p with a TypeError naming it', (value, message) => {
    expect(() => redisStore(client, { nearCache: value as never })).toThrow(TypeError);
    expect(() => redisStore(client, { nearCache: value as never })).toThrow(message);
  });

  it('nearCache: false on a client without a client-side cache, and the default, have no near cache', () => {
    expect(redisStore(client, { nearCache: false }).peekSync).toBeUndefined();
    expect(redisStore(client).peekSync).toBeUndefined();
  });
});
