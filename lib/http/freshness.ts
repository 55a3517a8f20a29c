/*
 * How old an entry is, and what that allows, decided from the entry and the request every time: the
 * store's TTL only bounds storage (a store may keep an entry longer than a request allows, and an
 * entry written with a longer ttl is read by requests that ask for a shorter one). Pure: no I/O, the
 * time is an argument.
 */

/** What an entry carries of its own freshness. */
export interface Dated {
  /** Epoch ms at which it was stored. */
  storedAt: number;
  /** The primary ttl it was written with. */
  ttl: number;
}

/** What a request asks of freshness (its policy). */
export interface Asked {
  ttl: number;
  staleTtl: number;
  staleWhileRevalidate: number;
}

/**
 * How far a writer's clock may run ahead of this process's (clocks of a fleet differ by a little)
 * before an entry stored "in the future" is taken for what it is: written before this clock stepped
 * back, or by a writer whose clock is wrong. Such an entry is never fresh: its age is unknown.
 */
export const CLOCK_SKEW_MS = 1_000;

/** Milliseconds since the entry was stored, never below 0 (a writer's clock a little ahead). */
export function ageOf(entry: Dated, now: number): number {
  return Math.max(0, now - entry.storedAt);
}

/**
 * What a primary-tier entry is to this request now: `fresh` (a hit) while younger than both this
 * request's ttl and the entry's own; then `revalidate` (answered while it is refreshed) for this
 * request's staleWhileRevalidate; then `expired`. An entry from the future is `expired`.
 */
export function freshness(entry: Dated, asked: Asked, now: number): 'fresh' | 'revalidate' | 'expired' {
  if (entry.storedAt > now + CLOCK_SKEW_MS) return 'expired';
  const age = ageOf(entry, now);
  const lifetime = Math.min(asked.ttl, entry.ttl);
  if (age < lifetime) return 'fresh';
  return age < lifetime + asked.staleWhileRevalidate ? 'revalidate' : 'expired';
}

/**
 * Whether an entry may still be a stale answer to this request: younger than its staleTtl. An entry
 * from the future may (it is the newest the cache has, and a stale answer says its age).
 */
export function withinStaleTtl(entry: Dated, asked: Asked, now: number): boolean {
  return asked.staleTtl > 0 && ageOf(entry, now) < asked.staleTtl;
}
