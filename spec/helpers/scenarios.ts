import axios, { type AxiosError, type AxiosResponse } from 'axios';
import { attachStaleCache } from '../../lib/attach';
import type { StaleCacheHandle } from '../../lib/types';
import type { Backend, Behaviour } from './backends';
import { recordingStore, type RecordingStore } from './recording-store';

import { fakeClock, sleep } from './time';

export { sleep };

const USERS = {
  users: [
    { id: 1, name: 'Ada' },
    { id: 2, name: 'Grace' },
  ],
};

/**
 * DESIGN section 3, issue 2 tests 1-5: the same expectations against axios-mock-adapter and a real
 * HTTP server, so the cache is proven on the adapter users actually run.
 */
export function upstreamScenarios(makeBackend: () => Promise<Backend>): void {
  let backend: Backend;
  let store: RecordingStore;
  let cache: StaleCacheHandle;
  /** Every error the upstream adapter rejected with, to prove the caller gets the same object. */
  let adapterErrors: unknown[];

  // Time moves only when a test says so: a hit "within ttl" cannot turn into a miss on a slow machine.
  let clock: ReturnType<typeof fakeClock>;
  beforeEach(async () => {
    clock = fakeClock();
    backend = await makeBackend();
    adapterErrors = [];
    const inner = axios.getAdapter(backend.http.defaults.adapter);
    backend.http.defaults.adapter = (config) =>
      inner(config).catch((error: unknown) => {
        adapterErrors.push(error);
        throw error;
      });
    store = recordingStore();
    cache = attachStaleCache(backend.http, { store, ttl: 60, staleTtl: 60_000 });
    await backend.set('/users', { kind: 'json', body: USERS, headers: { 'x-served-by': 'origin-1' } });
  });

  afterEach(async () => {
    clock.restore();
    cache.detach();
    await backend.close();
  });

  /** Fills both tiers, then lets the primary tier expire. */
  async function primeAndExpire(): Promise<AxiosResponse> {
    const first = await backend.http.get('/users');
    await cache.settled();
    clock.advance(90);
    return first;
  }

  it('first GET calls the upstream once, is a miss, and writes both tiers with ttl and staleTtl', async () => {
    const res = await backend.http.get('/users');
    await cache.settled();
    expect(backend.calls('/users')).toBe(1);
    expect(res.staleCache?.state).toBe('miss');
    expect(res.data).toEqual(USERS);
    expect(store.sets).toHaveLength(1); // one store call for both tiers
    const [primary, stale] = store.sets[0] ?? [];
    expect(primary?.key).toMatch(/^primary_http:\{[A-Za-z0-9_-]{43}\}$/);
    expect(stale?.key).toBe(primary?.key.replace('primary_http', 'stale_http'));
    expect(primary?.ttl).toBe(60);
    expect(stale?.ttl).toBe(60_000);
  });

  it('a second GET within ttl is a hit: no upstream call, same status, headers and data, new objects', async () => {
    const first = await backend.http.get('/users');
    await cache.settled();
    const second = await backend.http.get('/users');
    expect(backend.calls('/users')).toBe(1);
    expect(second.staleCache?.state).toBe('hit');
    expect(second.status).toBe(first.status);
    expect(second.statusText).toBe(first.statusText);
    expect(second.headers['x-served-by']).toBe('origin-1');
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.data).toEqual(first.data);
    expect(second.data).not.toBe(first.data);
    second.data.users[0].name = 'mutated';
    second.data.users.push({ id: 3 });
    const third = await backend.http.get('/users');
    expect(third.staleCache?.state).toBe('hit');
    expect(third.data).toEqual(USERS);
  });

  const failures: Array<[string, Behaviour, string]> = [
    ['answers 500', { kind: 'status', status: 500 }, 'status'],
    ['answers 502', { kind: 'status', status: 502 }, 'status'],
    ['answers 503', { kind: 'status', status: 503 }, 'status'],
    ['answers 504', { kind: 'status', status: 504 }, 'status'],
    ['refuses the connection', { kind: 'refused' }, 'network'],
    ['times out', { kind: 'timeout' }, 'timeout'],
  ];

  it.each(failures)('serves the last good answer as stale when the upstream %s', async (_name, behaviour, cause) => {
    await primeAndExpire();
    await backend.set('/users', behaviour);
    const res = await backend.http.get('/users');
    expect(res.staleCache?.state).toBe('stale');
    expect(res.staleCache?.cause).toBe(cause);
    expect(res.staleCache?.age).toBeGreaterThanOrEqual(60);
    expect(res.status).toBe(200);
    expect(res.data).toEqual(USERS);
    expect(adapterErrors).toHaveLength(1); // the upstream really failed; the cache answered
  });

  it.each(failures)(
    'with no stale entry, a failure that %s rejects with the very same error object',
    async (_name, behaviour) => {
      await backend.set('/users', behaviour);
      const error = (await backend.http.get('/users').catch((e: unknown) => e)) as AxiosError;
      expect(adapterErrors).toHaveLength(1);
      expect(error).toBe(adapterErrors[0]);
      expect(axios.isAxiosError(error)).toBe(true);
    },
  );

  it('with a validateStatus that accepts 5xx and no stale entry, the original 5xx response is returned', async () => {
    await backend.set('/users', { kind: 'status', status: 503 });
    const res = await backend.http.get('/users', { validateStatus: () => true });
    expect(res.status).toBe(503);
    expect(res.data).toBe('upstream says 503');
    expect(res.staleCache).toMatchObject({ state: 'failed', cause: 'status', status: 503 });
    await cache.settled();
    expect(store.sets).toHaveLength(0);
  });

  it('with a validateStatus that accepts 5xx and a stale entry, the stale answer replaces the 5xx', async () => {
    await primeAndExpire();
    await backend.set('/users', { kind: 'status', status: 503 });
    const res = await backend.http.get('/users', { validateStatus: () => true });
    expect(res.status).toBe(200);
    expect(res.staleCache?.state).toBe('stale');
  });

  it.each([400, 401, 403, 404, 410, 429])(
    'a %i passes through untouched and is not cached, even with a stale entry',
    async (status) => {
      await primeAndExpire();
      const setsBefore = store.sets.length;
      await backend.set('/users', { kind: 'status', status });
      const error = (await backend.http.get('/users').catch((e: unknown) => e)) as AxiosError;
      expect(error).toBe(adapterErrors[0]);
      expect(error.response?.status).toBe(status);
      expect(error.response?.data).toBe(`upstream says ${status}`);
      expect(error.response?.staleCache).toMatchObject({ state: 'failed', cause: 'status', status });
      await backend.http.get('/users').catch(() => undefined);
      expect(backend.calls('/users')).toBe(3); // both 4xx went upstream
      await cache.settled();
      expect(store.sets.length).toBe(setsBefore);
    },
  );

  it.each(['post', 'put', 'delete', 'patch'] as const)(
    '%s is not cached: every call goes upstream, state bypass',
    async (method) => {
      await backend.set('/users', { kind: 'json', body: { ok: true } });
      for (let i = 0; i < 2; i++) {
        const res = await backend.http.request({ method, url: '/users', data: { n: i } });
        expect(res.staleCache).toEqual({ state: 'bypass', reason: 'method' });
      }
      expect(backend.calls('/users')).toBe(2);
      await cache.settled();
      expect(store.gets).toHaveLength(0);
      expect(store.sets).toHaveLength(0);
    },
  );
}
