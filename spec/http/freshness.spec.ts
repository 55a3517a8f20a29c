import {
  ageHeader,
  CLOCK_SKEW_MS,
  evaluate,
  mayServeStale,
  NO_DIRECTIVES,
  readsPrimary,
  requestDirectives,
  staleLeft,
  storeTtls,
  type Asked,
  type Directives,
  type Stored,
} from '../../lib/http/freshness';

/** Freshness from the entry and the request, never from the store's TTL (pure: the time is an argument). */
describe('freshness', () => {
  const asked: Asked = {
    ttl: 60_000,
    staleTtl: 300_000,
    staleWhileRevalidate: 0,
    failureBackoff: 0,
    refreshAhead: 0,
    cacheControl: false,
    conditional: false,
  };
  const at = 1_000_000;
  const entry: Stored = { storedAt: at, ttl: 60_000, status: 200, headers: {} };
  const use = (e: Stored, a: Partial<Asked>, now: number, d: Partial<Directives> = {}): string =>
    evaluate(e, { ...asked, ...a }, { ...NO_DIRECTIVES, ...d }, now);

  it('is fresh while younger than the shorter of the request’s ttl and the entry’s own', () => {
    expect(use(entry, {}, at + 59_999)).toBe('fresh');
    expect(use(entry, {}, at + 60_000)).toBe('miss');
    expect(use(entry, { ttl: 300 }, at + 300)).toBe('miss');
    expect(use(entry, { ttl: 300 }, at + 299)).toBe('fresh');
    expect(use({ ...entry, ttl: 500 }, {}, at + 500)).toBe('miss');
  });

  it('is answered while revalidated only within this request’s staleWhileRevalidate', () => {
    expect(use(entry, { staleWhileRevalidate: 1_000 }, at + 60_999)).toBe('revalidating');
    expect(use(entry, { staleWhileRevalidate: 1_000 }, at + 61_000)).toBe('miss');
    // ...and only as a stale answer this request may take
    expect(use(entry, { staleWhileRevalidate: 1_000, staleTtl: 60_500 }, at + 60_500)).toBe('miss');
  });

  it('is never fresh when stored in the future beyond the clock skew (the clock stepped back)', () => {
    expect(use(entry, {}, at - CLOCK_SKEW_MS)).toBe('fresh');
    expect(use(entry, {}, at - CLOCK_SKEW_MS - 1)).toBe('miss');
    expect(use(entry, {}, at - 3_600_000)).toBe('miss');
  });

  it('serves stale only within this request’s staleTtl', () => {
    expect(mayServeStale(entry, { staleTtl: 500 }, at + 499)).toBe(true);
    expect(mayServeStale(entry, { staleTtl: 500 }, at + 500)).toBe(false);
    expect(mayServeStale(entry, { staleTtl: Number.POSITIVE_INFINITY }, at + 1e12)).toBe(true);
    expect(mayServeStale(entry, { staleTtl: 0 }, at)).toBe(false);
  });

  it('ttl 0 never answers from the primary tier, but a backoff marker still does', () => {
    expect(use(entry, { ttl: 0 }, at)).toBe('miss');
    expect(use(entry, { ttl: 0, staleWhileRevalidate: 1_000 }, at + 10)).toBe('miss');
    const marker = { ...entry, until: at + 5_000 };
    expect(use(marker, { ttl: 0, failureBackoff: 5_000 }, at + 4_999)).toBe('backoff');
    expect(use(marker, { ttl: 0, failureBackoff: 5_000 }, at + 5_000)).toBe('miss');
    expect(evaluate(marker, { ...asked, failureBackoff: 5_000 }, NO_DIRECTIVES, at + 5_000, () => true)).toBe(
      'backoff',
    );
    expect(use(marker, { failureBackoff: 0 }, at)).toBe('miss');
    expect(use(marker, { failureBackoff: 5_000 }, at, { noCache: true })).toBe('miss');
    expect(readsPrimary({ ...asked, ttl: 0 }, NO_DIRECTIVES)).toBe(false);
    expect(readsPrimary({ ...asked, ttl: 0, failureBackoff: 1 }, NO_DIRECTIVES)).toBe(true);
  });

  describe('request directives (RFC 9111 §5.2.1)', () => {
    it('reads Cache-Control and Pragma', () => {
      expect(requestDirectives('max-age=0, no-cache', undefined)).toEqual({
        noCache: true,
        onlyIfCached: false,
        maxAge: 0,
      });
      expect(requestDirectives(undefined, 'no-cache')).toEqual({ noCache: true, onlyIfCached: false });
      expect(requestDirectives('MAX-STALE, min-fresh="5", only-if-cached', undefined)).toEqual({
        noCache: false,
        onlyIfCached: true,
        maxStale: Number.POSITIVE_INFINITY,
        minFresh: 5,
      });
      expect(requestDirectives('max-stale=10, max-age=abc', undefined)).toEqual({
        noCache: false,
        onlyIfCached: false,
        maxStale: 10,
      });
      expect(requestDirectives(undefined, undefined)).toBe(NO_DIRECTIVES);
      expect(requestDirectives(['max-age=5', 'max-age=3'], 'x')).toMatchObject({ maxAge: 3, noCache: false });
    });

    it('max-age and min-fresh bound the age a hit may have; neither takes a stale-while-revalidate answer', () => {
      expect(use(entry, {}, at + 10_000, { maxAge: 10 })).toBe('fresh');
      expect(use(entry, {}, at + 10_001, { maxAge: 10 })).toBe('miss');
      expect(use(entry, {}, at, { maxAge: 0 })).toBe('miss');
      expect(use(entry, {}, at + 50_000, { minFresh: 10 })).toBe('fresh');
      expect(use(entry, {}, at + 50_001, { minFresh: 10 })).toBe('miss');
      expect(use(entry, { staleWhileRevalidate: 10_000 }, at + 61_000, { maxAge: 100 })).toBe('miss');
      expect(use(entry, {}, at, { noCache: true })).toBe('miss');
    });

    it('max-stale takes a stale entry up to its bound, never past must-revalidate', () => {
      expect(use(entry, {}, at + 70_000, { maxStale: 10 })).toBe('max-stale');
      expect(use(entry, {}, at + 70_001, { maxStale: 10 })).toBe('miss');
      expect(use(entry, {}, at + 10_000_000, { maxStale: Number.POSITIVE_INFINITY })).toBe('max-stale');
      expect(use({ ...entry, mustRevalidate: true }, {}, at + 60_001, { maxStale: 10 })).toBe('miss');
    });
  });

  it('refreshAhead: a hit past that fraction of its freshness refreshes ahead', () => {
    expect(use(entry, { refreshAhead: 0.8 }, at + 47_999)).toBe('fresh');
    expect(use(entry, { refreshAhead: 0.8 }, at + 48_000)).toBe('refresh-ahead');
    expect(use(entry, { refreshAhead: 0.8 }, at + 60_000)).toBe('miss');
  });

  describe('what the server said (recorded with cacheControl)', () => {
    const cc = { cacheControl: true };
    it('an explicit lifetime is not shortened by the request’s ttl', () => {
      const explicit = { ...entry, ttl: 120_000, explicit: true };
      expect(use(explicit, cc, at + 119_999)).toBe('fresh');
      expect(use(explicit, {}, at + 60_000)).toBe('miss'); // a request without cacheControl keeps its ttl
      expect(use(explicit, { ...cc, ttl: 0 }, at + 1)).toBe('fresh');
    });

    it('no-cache: never fresh; revalidated when it has validators and conditional is on', () => {
      const noCache = { ...entry, noCache: true };
      expect(use(noCache, cc, at)).toBe('miss');
      expect(use({ ...noCache, headers: { etag: '"a"' } }, { ...cc, conditional: true }, at)).toBe('revalidate');
      expect(mayServeStale(noCache, asked, at + 1)).toBe(false);
    });

    it('must-revalidate forbids stale answers past freshness, unless stale-if-error allows them', () => {
      const strict = { ...entry, mustRevalidate: true };
      expect(mayServeStale(strict, asked, at + 59_999)).toBe(true);
      expect(mayServeStale(strict, asked, at + 60_000)).toBe(false);
      expect(mayServeStale({ ...strict, sie: 5_000 }, asked, at + 64_999)).toBe(true);
      expect(mayServeStale({ ...strict, sie: 5_000 }, asked, at + 65_000)).toBe(false);
      expect(use(strict, { ...cc, staleWhileRevalidate: 10_000 }, at + 60_001)).toBe('miss');
    });

    it('stale-while-revalidate of the server replaces the request’s window', () => {
      expect(use({ ...entry, swr: 2_000 }, { ...cc, staleWhileRevalidate: 10_000 }, at + 61_999)).toBe('revalidating');
      expect(use({ ...entry, swr: 2_000 }, { ...cc, staleWhileRevalidate: 10_000 }, at + 62_000)).toBe('miss');
    });

    it('an expired entry with validators is revalidated when conditional is on', () => {
      const tagged = { ...entry, headers: { etag: '"v1"' } };
      expect(use(tagged, { conditional: true }, at + 60_000)).toBe('revalidate');
      expect(use(tagged, {}, at + 60_000)).toBe('miss');
      expect(
        use(
          { ...entry, headers: { 'last-modified': 'Tue, 01 Jan 2030 00:00:00 GMT' } },
          { conditional: true },
          at + 60_000,
        ),
      ).toBe('revalidate');
    });
  });

  it('store TTLs follow from the entry', () => {
    const ok = entry;
    expect(storeTtls(ok, asked)).toEqual({ primary: 60_000, stale: 300_000 });
    expect(storeTtls(ok, { ...asked, staleWhileRevalidate: 5_000 })).toEqual({ primary: 65_000, stale: 300_000 });
    expect(storeTtls({ ...ok, headers: { etag: '"a"' } }, { ...asked, conditional: true })).toEqual({
      primary: 120_000,
      stale: 300_000,
    });
    expect(storeTtls({ ...ok, ttl: 1_000, headers: { etag: '"a"' } }, { ...asked, conditional: true }).primary).toBe(
      61_000,
    );
    expect(storeTtls({ ...ok, mustRevalidate: true }, asked)).toEqual({ primary: 60_000, stale: 0 });
    expect(storeTtls({ ...ok, sie: 10_000 }, asked)).toEqual({ primary: 60_000, stale: 70_000 });
    expect(storeTtls(ok, { ...asked, ttl: 0 }).primary).toBe(0);
    expect(storeTtls({ ...ok, status: 404 }, asked)).toEqual({ primary: 60_000, stale: 0 }); // never an error in the stale tier
  });

  it('a stale answer is left for what remains of staleTtl and of the server’s stale-if-error', () => {
    expect(staleLeft(entry, { staleTtl: 300_000 }, at + 100_000)).toBe(200_000);
    expect(staleLeft({ ...entry, sie: 10_000 }, { staleTtl: 300_000 }, at + 65_000)).toBe(5_000);
    expect(staleLeft(entry, { staleTtl: Number.POSITIVE_INFINITY }, at)).toBe(Number.POSITIVE_INFINITY);
  });

  it('Age is the upstream’s Age plus the seconds stored', () => {
    expect(ageHeader(entry, undefined, at + 1_999)).toBe('1');
    expect(ageHeader(entry, '30', at + 2_000)).toBe('32');
    expect(ageHeader(entry, 'junk', at - 5)).toBe('0');
  });
});
