/**
 * Which requests started before an `invalidate()` of their URL: their answers must not be written,
 * nor their flights joined, once the invalidation has begun. Each request takes the current
 * sequence number when it starts; an invalidation takes the next one and records it per URL digest.
 * Bounded: past `max` URLs the oldest record becomes a floor, which only ever drops more writes.
 */
export class Invalidations {
  private seq = 0;
  private floor = 0;
  private readonly byUrl = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** The sequence number a request starting now carries. */
  get current(): number {
    return this.seq;
  }

  /**
   * Marks these URL digests invalidated from now on. Past `max` URLs the oldest record is dropped and
   * the floor rises to it: only requests that started before that oldest invalidation lose their write.
   */
  invalidate(urlDigests: Iterable<string>): void {
    this.seq++;
    for (const d of urlDigests) {
      this.byUrl.delete(d); // kept in the order of their last invalidation
      if (this.byUrl.size >= this.max) {
        const [oldest, at] = this.byUrl.entries().next().value as [string, number];
        this.byUrl.delete(oldest);
        this.floor = Math.max(this.floor, at);
      }
      this.byUrl.set(d, this.seq);
    }
  }

  /** Marks every URL invalidated from now on (clear()): every request in flight loses its write. */
  invalidateAll(): void {
    this.seq++;
    this.floor = this.seq;
    this.byUrl.clear();
  }

  /** True when a request that started at `started` for this URL digest has been overtaken by an invalidation. */
  overtaken(urlDigest: string, started: number): boolean {
    if (this.floor > started) return true;
    const at = this.byUrl.get(urlDigest);
    return at !== undefined && at > started;
  }
}
