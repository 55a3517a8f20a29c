import type { AxiosError } from 'axios';
import { attachStaleCache } from '../../lib/attach';
import type { CacheEvent, CacheEventName } from '../../lib/types';
import { mockedInstance } from '../helpers/backends';
import { fakeClock } from '../helpers/time';

/** A failure is told apart from a success, with what it took and what the upstream said. */
describe('failures are visible', () => {
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(() => {
    clock = fakeClock();
  });
  afterEach(() => clock.restore());

  function setup() {
    const { http, mock } = mockedInstance();
    const cache = attachStaleCache(http, { ttl: 1_000, staleTtl: 60_000 });
    const seen: Array<[CacheEventName, CacheEvent]> = [];
    for (const name of ['hit', 'miss', 'stale', 'bypass', 'failed'] as const)
      cache.on(name, (e) => seen.push([name, e]));
    return { http, mock, cache, seen };
  }

  it('a request that failed with no stale answer is `failed` with its cause and status, not a miss', async () => {
    const { http, mock, cache, seen } = setup();
    mock.onGet('/down').reply(() => {
      clock.advance(120);
      return [503, 'busy'];
    });
    const error = (await http.get('/down').catch((e: unknown) => e)) as AxiosError;
    expect(error.response?.staleCache).toEqual({
      state: 'failed',
      key: expect.any(String),
      cause: 'status',
      status: 503,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[0]).toBe('failed');
    expect(seen[0]?.[1]).toMatchObject({ status: 503, duration: 120, url: 'http://api.test/down', method: 'get' });
    expect(cache.stats()).toMatchObject({ failed: 1, misses: 0 });
    cache.detach();
  });

  it('a network failure is `failed` with cause network and no status', async () => {
    const { http, mock, cache, seen } = setup();
    mock.onGet('/gone').networkError();
    await http.get('/gone').catch(() => undefined);
    expect(seen.map(([n, e]) => [n, e.meta.cause, e.status])).toEqual([['failed', 'network', undefined]]);
    cache.detach();
  });

  it('a miss carries the upstream status and its duration; a hit its own (short) duration', async () => {
    const { http, mock, cache, seen } = setup();
    mock.onGet('/ok').reply(() => {
      clock.advance(80);
      return [203, { ok: true }];
    });
    await http.get('/ok');
    await cache.settled();
    await http.get('/ok');
    expect(seen.map(([n, e]) => [n, e.status, e.duration])).toEqual([
      ['miss', 203, 80],
      ['hit', undefined, 0],
    ]);
    cache.detach();
  });

  it('a stale answer after a failure carries the failing status', async () => {
    const { http, mock, cache, seen } = setup();
    mock.onGet('/s').replyOnce(200, { v: 1 }).onGet('/s').reply(502);
    await http.get('/s');
    await cache.settled();
    clock.advance(1_001);
    const res = await http.get('/s');
    expect(res.staleCache).toMatchObject({ state: 'stale', cause: 'status', status: 502 });
    expect(seen.map(([n]) => n)).toEqual(['miss', 'stale']);
    cache.detach();
  });

  it('coalesced waiters on a failed request are failed too', async () => {
    const { http, mock, cache } = setup();
    mock.onGet('/c').networkError();
    const results = await Promise.all([1, 2, 3].map(() => http.get('/c').catch((e: unknown) => e)));
    expect(results).toHaveLength(3);
    expect(cache.stats()).toMatchObject({ failed: 3, misses: 0, coalesced: 2 });
    cache.detach();
  });
});
