import { randomBytes } from 'node:crypto';
import type { CacheStore, StoredValue } from '../../lib/types';
import { sleep } from './scenarios';

const bytesOf = (value: StoredValue | null): Buffer | null =>
  value === null ? null : Buffer.from(value as Uint8Array | string);

/**
 * What every CacheStore must do, as undici's cacheStoreTests: run inside a describe() of each store
 * (memory, Redis, Cluster, Sentinel). `store()` is called in each test, so a store built in a
 * beforeAll (a cluster the describe started) can be handed over lazily. Expiry is tested with real
 * time on purpose: it is the store's own (Redis PX, lru-cache ttl) that is under test.
 */
export function storeContract(store: () => CacheStore, namespace = 'contract'): void {
  const p = (): string => `${namespace}${randomBytes(5).toString('hex')}`;

  it('get of a key never written is null', async () => {
    expect(await store().get(`${p()}:{none}`)).toBeNull();
  });

  it('writes several entries of one hash tag at once and reads each back byte for byte', async () => {
    const prefix = p();
    const binary = Buffer.from([0, 0x0a, 0xff, 0xfe, 0x0d, 0x0a, 0x7b]);
    const text = 'line\nbreak é ✓';
    await store().set([
      { key: `${prefix}:{t}`, value: binary, ttl: 60_000 },
      { key: `${prefix}:{t}:r1`, value: text, ttl: 60_000 },
    ]);
    expect(bytesOf(await store().get(`${prefix}:{t}`))).toEqual(binary);
    expect(bytesOf(await store().get(`${prefix}:{t}:r1`))?.toString('utf8')).toBe(text);
  });

  it('a later write of a key replaces it', async () => {
    const key = `${p()}:{t}`;
    await store().set([{ key, value: 'one', ttl: 60_000 }]);
    await store().set([{ key, value: 'two', ttl: 60_000 }]);
    expect(bytesOf(await store().get(key))?.toString()).toBe('two');
  });

  it('forgets an entry after its ttl, keeps one written with ttl Infinity', async () => {
    const prefix = p();
    await store().set([
      { key: `${prefix}:{t}:short`, value: 'x', ttl: 40 },
      { key: `${prefix}:{t}:forever`, value: 'y', ttl: Infinity },
    ]);
    await sleep(150);
    expect(await store().get(`${prefix}:{t}:short`)).toBeNull();
    expect(bytesOf(await store().get(`${prefix}:{t}:forever`))?.toString()).toBe('y');
    await store().delete([`${prefix}:{t}:forever`]);
  });

  it('delete removes the keys named, across hash tags, and nothing else', async () => {
    const prefix = p();
    await store().set([{ key: `${prefix}:{a}`, value: 'a', ttl: 60_000 }]);
    await store().set([{ key: `${prefix}:{b}`, value: 'b', ttl: 60_000 }]);
    await store().set([{ key: `${prefix}:{c}`, value: 'c', ttl: 60_000 }]);
    await store().delete([`${prefix}:{a}`, `${prefix}:{b}`]);
    expect(await store().get(`${prefix}:{a}`)).toBeNull();
    expect(await store().get(`${prefix}:{b}`)).toBeNull();
    expect(await store().get(`${prefix}:{c}`)).not.toBeNull();
  });

  it('setUnlessNewer writes in one call unless a guard key holds an entry stored later', async () => {
    const s = store();
    if (!s.setUnlessNewer) return; // optional: the cache then reads the guards first
    const k = `${p()}:{t}`;
    const entry = (storedAt: number, body: string | Buffer): Buffer =>
      Buffer.concat([Buffer.from(`[2,${storedAt},200,"OK",{}]\n`), Buffer.from(body)]);
    await s.set([{ key: `${k}:stale`, value: entry(2_000, 'v2'), ttl: 60_000 }]);
    const guard = (storedAt: number) => ({ keys: [`${k}:stale`, `${k}:primary`], storedAt });
    const older = [{ key: `${k}:primary`, value: entry(1_000, 'v1'), ttl: 60_000 }];
    expect(await s.setUnlessNewer(older, guard(1_000))).toBe(false);
    expect(await s.get(`${k}:primary`)).toBeNull();
    const binary = entry(2_000, Buffer.from([0, 0xff, 0x0a]));
    expect(await s.setUnlessNewer([{ key: `${k}:primary`, value: binary, ttl: Infinity }], guard(2_000))).toBe(true);
    expect(bytesOf(await s.get(`${k}:primary`))).toEqual(binary);
    // A guard that holds no entry (or nothing) never blocks a write.
    await s.set([{ key: `${k}:stale`, value: 'not an entry', ttl: 60_000 }]);
    const garbage = { keys: [`${k}:stale`, `${k}:none`], storedAt: 0 };
    expect(await s.setUnlessNewer([{ key: `${k}:other`, value: 'x', ttl: 40 }], garbage)).toBe(true);
    await sleep(150);
    expect(await s.get(`${k}:other`)).toBeNull();
    await s.delete([`${k}:stale`, `${k}:primary`]);
  });

  it('deletePrefixed removes every key under a prefix (all variants of a URL) and nothing else', async () => {
    const s = store();
    if (!s.deletePrefixed) return; // optional: stores without it keep only base variants
    const prefix = p();
    await s.set([
      { key: `${prefix}:{url}`, value: 'base', ttl: 60_000 },
      { key: `${prefix}:{url}:rV1`, value: 'variant', ttl: 60_000 },
    ]);
    await s.set([{ key: `${prefix}:{other}`, value: 'other', ttl: 60_000 }]);
    await s.set([{ key: `${prefix}*:{url}`, value: 'glob look-alike', ttl: 60_000 }]);
    await s.deletePrefixed([`${prefix}:{url}`]);
    expect(await s.get(`${prefix}:{url}`)).toBeNull();
    expect(await s.get(`${prefix}:{url}:rV1`)).toBeNull();
    expect(await s.get(`${prefix}:{other}`)).not.toBeNull();
    expect(await s.get(`${prefix}*:{url}`)).not.toBeNull();
  });

  it('setIndexed writes and lists the keys it is told to; deleteIndexed removes the named keys, what the indexes list, and them', async () => {
    const s = store();
    if (!s.setIndexed || !s.deleteIndexed) return; // optional, together
    const prefix = p();
    const index = `${prefix}:{url}:i`;
    const listed = [`${prefix}:{url}:v1`, `${prefix}:{url}:v1:rX`];
    await s.setIndexed(
      [
        { key: `${prefix}:{url}:base`, value: 'named', ttl: 60_000 },
        { key: listed[0] as string, value: 'one', ttl: 60_000 },
        { key: listed[1] as string, value: Buffer.from([0, 0xff]), ttl: Infinity },
      ],
      { key: index, ttl: 60_000, keys: listed },
    );
    await s.setIndexed([{ key: `${prefix}:{url}:v2`, value: 'two', ttl: 1_000 }], {
      key: index,
      ttl: 1_000,
      keys: [`${prefix}:{url}:v2`],
    });
    await s.set([{ key: `${prefix}:{url}`, value: 'base', ttl: 60_000 }]);
    await s.set([{ key: `${prefix}:{other}`, value: 'other', ttl: 60_000 }]); // one hash tag per call
    expect(bytesOf(await s.get(`${prefix}:{url}:v1:rX`))).toEqual(Buffer.from([0, 0xff]));
    await s.deleteIndexed([`${prefix}:{url}`, `${prefix}:{other2}`], [index, `${prefix}:{none}:i`]);
    for (const key of ['', ':v1', ':v1:rX', ':v2', ':i']) expect(await s.get(`${prefix}:{url}${key}`)).toBeNull();
    expect(await s.get(`${prefix}:{url}:base`)).not.toBeNull(); // written, never listed, never named
    expect(await s.get(`${prefix}:{other}`)).not.toBeNull();
  });

  it('soft keys are listed while the index has room: deleteIndexed reaches them', async () => {
    const s = store();
    if (!s.setIndexed || !s.deleteIndexed) return;
    const prefix = p();
    const index = `${prefix}:{s}:i`;
    const soft = `${prefix}:{s}:tenant-b`;
    await s.setIndexed([{ key: soft, value: 'b', ttl: 60_000 }], { key: index, ttl: 60_000, keys: [], soft: [soft] });
    await s.deleteIndexed([], [index]);
    expect(await s.get(soft)).toBeNull();
  });

  it('an index outlives the entries it lists: a later, shorter write does not shorten it', async () => {
    const s = store();
    if (!s.setIndexed || !s.deleteIndexed) return;
    const prefix = p();
    const index = `${prefix}:{u}:i`;
    const a = `${prefix}:{u}:a`;
    const b = `${prefix}:{u}:b`;
    await s.setIndexed([{ key: a, value: 'a', ttl: 60_000 }], { key: index, ttl: 60_000, keys: [a] });
    await s.setIndexed([{ key: b, value: 'b', ttl: 50 }], { key: index, ttl: 50, keys: [b] });
    await sleep(120);
    await s.deleteIndexed([], [index]);
    expect(await s.get(a)).toBeNull(); // still listed: the index was not cut to 50 ms
  });

  it('a full index (1,000 keys) writes no more of the entries it would list: none could be reached', async () => {
    const s = store();
    if (!s.setIndexed || !s.deleteIndexed) return;
    const prefix = p();
    const index = `${prefix}:{f}:i`;
    for (let i = 0; i < 10; i++) {
      const keys = Array.from({ length: 100 }, (_, j) => `${prefix}:{f}:${i * 100 + j}`);
      await s.setIndexed(
        keys.map((key) => ({ key, value: 'x', ttl: 60_000 })),
        { key: index, ttl: 60_000, keys },
      );
    }
    await s.setIndexed(
      [
        { key: `${prefix}:{f}:named`, value: 'n', ttl: 60_000 },
        { key: `${prefix}:{f}:more`, value: 'm', ttl: 60_000 },
      ],
      { key: index, ttl: 60_000, keys: [`${prefix}:{f}:more`] },
    );
    expect(await s.get(`${prefix}:{f}:more`)).toBeNull();
    expect(await s.get(`${prefix}:{f}:named`)).not.toBeNull();
    // a soft key (a vary value: there may be one per user) is written when the index is full, unlisted
    await s.setIndexed([{ key: `${prefix}:{f}:soft`, value: 's', ttl: 60_000 }], {
      key: index,
      ttl: 60_000,
      keys: [],
      soft: [`${prefix}:{f}:soft`],
    });
    expect(await s.get(`${prefix}:{f}:soft`)).not.toBeNull();
    await s.deleteIndexed([`${prefix}:{f}:named`], [index]);
    expect(await s.get(`${prefix}:{f}:999`)).toBeNull();
    expect(await s.get(`${prefix}:{f}:soft`)).not.toBeNull(); // out of reach, as it was written
  });

  it('getOrLock (fleet coalescing): the entry if there is one; else the lock, taken once, then named to others and marked as waited on', async () => {
    const s = store();
    if (!s.getOrLock || !s.unlock) return expect(s.getOrLock).toBeUndefined();
    const key = `${p()}:{f}`;
    const lock = { key: `${key}:l`, ttl: 60_000, read: true, wait: true, outcomes: [] };
    const binary = Buffer.from([0, 0x0a, 0xff, 0x7b]);
    await s.set([{ key, value: binary, ttl: 60_000 }]);
    const found = await s.getOrLock(key, { ...lock, token: 'a.1' });
    expect(bytesOf(found.value)).toEqual(binary);
    expect(found).toMatchObject({ outcome: null, holder: null });
    await s.delete([key]);
    expect(await s.getOrLock(key, { ...lock, token: 'a.2' })).toEqual({ outcome: null, value: null, holder: 'a.2' });
    // Another process: told who holds it (and the holder learns it was waited on).
    expect(await s.getOrLock(key, { ...lock, token: 'b.1' })).toEqual({ outcome: null, value: null, holder: 'a.2' });
    expect(await s.getOrLock(key, { ...lock, token: 'b.2' })).toMatchObject({ holder: 'a.2' });
    // The holder's own owner reading is no waiter (its flight is the one it would wait on).
    expect(await s.getOrLock(key, { ...lock, token: 'a.3' })).toMatchObject({ holder: 'a.2' });
    expect(await s.unlock({ key: lock.key, token: 'b.1' })).toBe('lost');
    expect(await s.unlock({ key: lock.key, token: 'a.2' })).toBe('waited');
    const outcome = { key: `${lock.key}.a.2`, value: Buffer.from([1, 0x0a, 0xfe]), ttl: 60_000 };
    expect(await s.unlock({ key: lock.key, token: 'a.2', outcome })).toBe('released');
    // The waiter finds the outcome it watches; a newcomer, which watches none, takes the free lock.
    const watching = await s.getOrLock(key, { ...lock, token: 'b.3', outcomes: [outcome.key] });
    expect(bytesOf(watching.outcome)).toEqual(outcome.value);
    expect(await s.getOrLock(key, { ...lock, token: 'c.1' })).toMatchObject({ holder: 'c.1' });
    // Its own owner's reads do not mark it: released without an outcome.
    expect(await s.getOrLock(key, { ...lock, token: 'c.2' })).toMatchObject({ holder: 'c.1' });
    expect(await s.unlock({ key: lock.key, token: 'c.1' })).toBe('released');
    await s.set([{ key, value: binary, ttl: 60_000 }]);
    expect(await s.getOrLock(key, { ...lock, read: false, token: 'd.1' })).toMatchObject({
      value: null,
      holder: 'd.1',
    });
    await s.unlock({ key: lock.key, token: 'd.1' });
    await s.delete([key, outcome.key]);
  });

  it('extendLock keeps a lock for its holder only', async () => {
    const s = store();
    if (!s.getOrLock) return expect(s.extendLock).toBeUndefined();
    const key = `${p()}:{f}`;
    const lock = { key: `${key}:l`, ttl: 100, read: true, wait: true, outcomes: [] };
    expect(await s.getOrLock(key, { ...lock, token: 'a.1' })).toMatchObject({ holder: 'a.1' });
    expect(await s.extendLock?.({ key: lock.key, token: 'b.1', ttl: 60_000 })).toBe(false);
    await s.getOrLock(key, { ...lock, token: 'b.1' }); // waited on: 'a.1*'
    expect(await s.extendLock?.({ key: lock.key, token: 'a.1', ttl: 60_000 })).toBe(true);
    await sleep(200);
    expect(await s.getOrLock(key, { ...lock, token: 'c.1' })).toMatchObject({ holder: 'a.1' });
    await s.delete([lock.key]);
  });

  it('a lock expires after its ttl: the next getOrLock takes it', async () => {
    const s = store();
    if (!s.getOrLock) return expect(s.unlock).toBeUndefined();
    const key = `${p()}:{f}`;
    const lock = { key: `${key}:l`, ttl: 50, read: true, wait: true, outcomes: [] };
    expect(await s.getOrLock(key, { ...lock, token: 'a.1' })).toMatchObject({ holder: 'a.1' });
    await sleep(120);
    expect(await s.getOrLock(key, { ...lock, token: 'b.1' })).toMatchObject({ holder: 'b.1' });
    await s.delete([lock.key]);
  });
}
