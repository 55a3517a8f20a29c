import { CLOCK_SKEW_MS, freshness, withinStaleTtl } from '../../lib/http/freshness';

/** Freshness from the entry and the request, never from the store's TTL (pure: the time is an argument). */
describe('freshness', () => {
  const asked = { ttl: 60_000, staleTtl: 300_000, staleWhileRevalidate: 0 };
  const at = 1_000_000;
  const entry = { storedAt: at, ttl: 60_000 };

  it('is fresh while younger than the shorter of the request’s ttl and the entry’s own', () => {
    expect(freshness(entry, asked, at + 59_999)).toBe('fresh');
    expect(freshness(entry, asked, at + 60_000)).toBe('expired');
    expect(freshness(entry, { ...asked, ttl: 300 }, at + 300)).toBe('expired');
    expect(freshness(entry, { ...asked, ttl: 300 }, at + 299)).toBe('fresh');
    expect(freshness({ ...entry, ttl: 500 }, asked, at + 500)).toBe('expired');
  });

  it('is answered while revalidated only within this request’s staleWhileRevalidate', () => {
    const swr = { ...asked, staleWhileRevalidate: 1_000 };
    expect(freshness(entry, swr, at + 60_999)).toBe('revalidate');
    expect(freshness(entry, swr, at + 61_000)).toBe('expired');
  });

  it('is never fresh when stored in the future beyond the clock skew (the clock stepped back)', () => {
    expect(freshness(entry, asked, at - CLOCK_SKEW_MS)).toBe('fresh');
    expect(freshness(entry, asked, at - CLOCK_SKEW_MS - 1)).toBe('expired');
    expect(freshness(entry, asked, at - 3_600_000)).toBe('expired');
  });

  it('serves stale only within this request’s staleTtl', () => {
    expect(withinStaleTtl(entry, { ...asked, staleTtl: 500 }, at + 499)).toBe(true);
    expect(withinStaleTtl(entry, { ...asked, staleTtl: 500 }, at + 500)).toBe(false);
    expect(withinStaleTtl(entry, { ...asked, staleTtl: Number.POSITIVE_INFINITY }, at + 1e12)).toBe(true);
    expect(withinStaleTtl(entry, { ...asked, staleTtl: 0 }, at)).toBe(false);
  });
});
