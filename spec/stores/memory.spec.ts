import { memoryStore } from '../../lib/stores/memory';
import { storeContract } from '../helpers/store-contract';

describe('memoryStore: the store contract', () => {
  const store = memoryStore();
  storeContract(() => store);
});

describe('memoryStore', () => {
  it('100,000 distinct URLs with maxEntries 1000 leave at most 1000 entries', async () => {
    const store = memoryStore({ maxEntries: 1000 });
    const value = Buffer.alloc(64, 1);
    for (let i = 0; i < 100_000; i++) {
      await store.set([
        { key: `primary_http:{${i}}`, value, ttl: 60_000 },
        { key: `stale_http:{${i}}`, value, ttl: 600_000 },
      ]);
    }
    expect(store.size).toBeLessThanOrEqual(1000);
    expect(store.size).toBe(1000);
    expect(await store.get('stale_http:{99999}')).not.toBeNull(); // the newest survive
    expect(await store.get('stale_http:{0}')).toBeNull();
  });

  it('stays under maxBytes, counting keys and values', async () => {
    const store = memoryStore({ maxEntries: 1_000_000, maxBytes: 100_000 });
    for (let i = 0; i < 10_000; i++) await store.set([{ key: `k${i}`, value: 'x'.repeat(90), ttl: 60_000 }]);
    let bytes = 0;
    for (let i = 0; i < 10_000; i++) if ((await store.get(`k${i}`)) !== null) bytes += `k${i}`.length + 90;
    expect(bytes).toBeLessThanOrEqual(100_000);
    expect(bytes).toBeGreaterThan(99_000);
    expect(store.size).toBeLessThan(10_000);
  });

  it('forgets an entry exactly after its ttl, on a fake clock', async () => {
    jest.useFakeTimers();
    try {
      jest.advanceTimersByTime(1); // lru-cache reads a start time of 0 as "no ttl"
      const store = memoryStore();
      await store.set([
        { key: 'short', value: 'a', ttl: 20 },
        { key: 'long', value: 'b', ttl: 10_000 },
      ]);
      jest.advanceTimersByTime(20);
      expect(await store.get('short')).toBe('a');
      jest.advanceTimersByTime(1);
      expect(await store.get('short')).toBeNull();
      expect(await store.get('long')).toBe('b');
    } finally {
      jest.useRealTimers();
    }
  });

  it('deletes keys and prefixes', async () => {
    const store = memoryStore();
    await store.set(['p:{a}', 'p:{a}:v1', 'p:{a}:v2', 'p:{b}'].map((key) => ({ key, value: key, ttl: 10_000 })));
    await store.deletePrefixed(['p:{a}']);
    expect(await store.get('p:{a}:v1')).toBeNull();
    expect(await store.get('p:{b}')).toBe('p:{b}');
    await store.delete(['p:{b}']);
    expect(store.size).toBe(0);
  });

  it.each([
    [{ maxEntries: 0 }, /maxEntries/],
    [{ maxBytes: -1 }, /maxBytes/],
    [{ maxEntries: 1.5 }, /maxEntries/],
    [{ max: 10 }, /unknown option memoryStore options\.max\b/],
  ])('refuses %p with a TypeError naming the option', (options, message) => {
    expect(() => memoryStore(options as never)).toThrow(TypeError);
    expect(() => memoryStore(options as never)).toThrow(message);
  });
});
