import { tagLists } from '../../lib/stores/memory-tags';
import { memoryStore } from '../../lib/index';

describe('the memory store’s tag lists', () => {
  it('count live keys only: a key listed already never counts twice, a key forgotten or expired frees its place', () => {
    const lists = tagLists(2);
    lists.list(
      ['t'],
      [
        { key: 'a', until: 100 },
        { key: 'b', until: Infinity },
      ],
    );
    expect(lists.fits(['t'], ['a', 'b'], 0)).toBe(true); // listed already
    expect(lists.fits(['t'], ['c'], 0)).toBe(false); // full
    expect(lists.fits(['t'], ['c'], 100)).toBe(true); // 'a' expired at 100
    lists.list(['t'], [{ key: 'c', until: Infinity }]);
    lists.forget('b');
    expect(lists.take('t').sort()).toEqual(['c']);
    expect(lists.take('t')).toEqual([]);
  });

  it('lose a key the LRU evicts, so that a tag of a busy store never fills with keys it no longer holds', async () => {
    const store = memoryStore({ maxEntries: 4 });
    for (let i = 0; i < 50; i++) {
      const ok = await store.setTagged([{ key: `k${i}`, value: 'v', ttl: 60_000 }], [{ key: 'tag', ttl: 60_000 }]);
      expect(ok).toBe(true);
    }
    await store.deleteTagged(['tag']);
    expect(store.size).toBe(0);
  });
});
