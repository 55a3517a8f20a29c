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
  private readonly byTag = new Map<string, number>();
  /** The sequence number of the last invalidateTags(). */
  private lastTags = 0;

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
    record(this.byUrl, urlDigests, this.seq, this.max, (at) => {
      this.floor = Math.max(this.floor, at);
    });
  }

  /** Marks every URL invalidated from now on (clear()): every request in flight loses its write. */
  invalidateAll(): void {
    this.seq++;
    this.floor = this.seq;
    this.byUrl.clear();
    this.byTag.clear();
  }

  /** Marks these tags invalidated from now on: an answer in flight that carries one is not written. */
  invalidateTags(tags: Iterable<string>): void {
    this.seq++;
    this.lastTags = this.seq;
    record(this.byTag, tags, this.seq, this.max, (at) => {
      this.floor = Math.max(this.floor, at);
    });
  }

  /**
   * Whether a request that starts now may join a flight that started at `started` for this URL: not
   * after an invalidation of the URL, nor after any invalidateTags() (a flight's tags are known only
   * once it answered: it may carry one).
   */
  joinable(urlDigest: string, started: number): boolean {
    return !this.overtaken(urlDigest, started) && this.lastTags <= started;
  }

  /** True when an answer with these tags, of a request that started at `started`, was overtaken by invalidateTags(). */
  tagsOvertaken(tags: readonly string[], started: number): boolean {
    if (this.floor > started) return true;
    for (const tag of tags) {
      const at = this.byTag.get(tag);
      if (at !== undefined && at > started) return true;
    }
    return false;
  }

  /** True when a request that started at `started` for this URL digest has been overtaken by an invalidation. */
  overtaken(urlDigest: string, started: number): boolean {
    if (this.floor > started) return true;
    const at = this.byUrl.get(urlDigest);
    return at !== undefined && at > started;
  }
}

/** Records `names` at `seq`, in the order of their last record; past `max` the oldest goes (and raises the floor). */
function record(
  map: Map<string, number>,
  names: Iterable<string>,
  seq: number,
  max: number,
  dropped: (at: number) => void,
): void {
  for (const name of names) {
    map.delete(name);
    if (map.size >= max) {
      const [oldest, at] = map.entries().next().value as [string, number];
      map.delete(oldest);
      dropped(at);
    }
    map.set(name, seq);
  }
}
