import { createClient } from 'redis';
import { redisStore } from '../../lib/stores/redis';
import { memoryStore } from '../../lib/stores/memory';
import axios from 'axios';
import { attachStaleCache } from '../../lib/attach';
import { connect, pauseServer, prefixes } from '../helpers/redis';
import { send, startUpstream } from '../helpers/upstream';
import { outageScenarios } from '../helpers/outage-scenarios';
import { runFixture } from '../helpers/fixtures';
import { privateRedis } from '../setup/redis-server';

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
  const redisUrl = privateRedis();

  outageScenarios(
    async () => ({
      member: async () => {
        const client = createClient({ url: redisUrl() });
        client.on('error', () => undefined);
        await client.connect();
        return { store: redisStore(client), close: () => client.close() };
      },
      pause: (ms) => pauseServer(redisUrl(), ms),
    }),
    { pausable: true },
  );

  it('a backoff marker lives in Redis no longer than the stale entry it repeats', async () => {
    const upstream = await startUpstream();
    const client = await connect(redisUrl());
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, {
      store: redisStore(client),
      ttl: 100,
      staleTtl: 3_000,
      failureBackoff: 60_000,
      ...prefixes(),
    });
    try {
      upstream.route('/m', send.json({ v: 1 }));
      await http.get('/m', { staleCache: { ttl: 0 } });
      await cache.settled();
      upstream.route('/m', send.status(503));
      const asked = Date.now();
      const failed = await http.get('/m');
      expect(failed.staleCache).toMatchObject({ state: 'stale', cause: 'status' });
      await cache.settled();
      // The marker's ttl is what is left of the stale entry's when it is made; its write lands a little
      // later (more on a loaded machine): it may outlive the stale entry by that much, never more.
      const writeTook = Date.now() - asked;
      const key = failed.staleCache?.key ?? '';
      const [marker, stale] = await Promise.all([client.pTTL(key), client.pTTL(key.replace('_primary', '_stale'))]);
      expect(marker).toBeGreaterThan(0);
      expect(stale).toBeGreaterThan(0);
      expect(marker).toBeLessThanOrEqual(stale + 5 + writeTook); // not the 60 s window (+ flightTimeout) it asked for
      expect((await http.get('/m')).staleCache?.cause).toBe('backoff');
    } finally {
      cache.detach();
      await client.close();
      await upstream.close();
    }
  });
});

describe('a slow store still gives the stale answer (a private redis-server)', () => {
  const redisUrl = privateRedis();

  it('Redis paused for 400 ms while the upstream answers 500: the stale answer, as tornado-stale-client gives it', async () => {
    const upstream = await startUpstream();
    const client = await connect(redisUrl());
    const http = axios.create({ baseURL: upstream.baseURL });
    const cache = attachStaleCache(http, { store: redisStore(client), ttl: 1, storeTimeout: 100, ...prefixes() });
    try {
      upstream.route('/p', send.json({ v: 1 }));
      await http.get('/p');
      await cache.settled();
      upstream.route('/p', send.status(500));
      await pauseServer(redisUrl(), 400);
      const res = await http.get('/p');
      // The primary read gave up at storeTimeout (a miss); the stale read, whose alternative is the 500, waited.
      expect([res.status, res.staleCache?.state, res.staleCache?.cause, res.data]).toEqual([
        200,
        'stale',
        'status',
        { v: 1 },
      ]);
    } finally {
      cache.detach();
      await client.close();
      await upstream.close();
    }
  });
});

describe('a long outage, in a process of its own', () => {
  interface Run {
    perRequestBytes: number;
  }
  let out: {
    backoff: Run & { upstreamCalls: number; states: string[] };
    breakerOpen: Run & { storeErrors: number; breaker: string };
    softHang: Run & { upstreamCalls: number; states: string[] };
    unhandledRejections: number;
    timersLeft: number;
  };
  beforeAll(async () => {
    out = JSON.parse(await runFixture('outage-process.ts', [], ['--expose-gc'])) as typeof out;
  }, 120_000);

  // 11,000 requests each; a per-request leak of the smallest kind (a closure, a map entry) is over 100 bytes.
  it('the heap stays flat while a backoff holds', () => {
    expect(out.backoff.states).toEqual(['stale/backoff', 'stale/status']);
    expect(out.backoff.upstreamCalls).toBe(2);
    expect(out.backoff.perRequestBytes).toBeLessThan(100);
  });

  it('the heap stays flat while the store breaker is open, and the outage made 5 error events, not 11,000', () => {
    expect(out.breakerOpen).toMatchObject({ storeErrors: 5, breaker: 'open' });
    expect(out.breakerOpen.perRequestBytes).toBeLessThan(100);
  });

  it('the heap stays flat while a hung upstream is answered early', () => {
    expect(out.softHang.states).toEqual(['stale/slow']);
    expect(out.softHang.upstreamCalls).toBe(2);
    expect(out.softHang.perRequestBytes).toBeLessThan(100);
  });

  it('sees zero unhandled rejections, and no timer of ours runs once settled() resolved', () => {
    expect(out.unhandledRejections).toBe(0);
    expect(out.timersLeft).toBe(0);
  });
});
