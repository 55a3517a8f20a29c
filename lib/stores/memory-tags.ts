/*
 * The memory store's tag lists: for each tag, the keys written with it and when each expires. A key
 * the LRU drops (evicted, expired, deleted) leaves every list at once (`forget`, from the LRU's
 * dispose), so the lists hold live keys only, as many as the store holds entries times their tags,
 * and a list's bound counts live keys only. A key already listed never counts twice.
 */

export interface TagLists {
  /** Whether every tag can list these keys (at most `max` live keys each). */
  fits(tags: readonly string[], keys: readonly string[], now: number): boolean;
  /** Lists the keys (each with its expiry, ms on the `now` clock; Infinity for never) under each tag. */
  list(tags: readonly string[], keys: ReadonlyArray<{ key: string; until: number }>): void;
  /** The keys a tag lists, and the tag gone. */
  take(tag: string): string[];
  /** A key the store no longer holds. */
  forget(key: string): void;
  /** Every tag (or those under the prefixes) gone. */
  clear(prefixes?: readonly string[]): void;
}

export function tagLists(max: number): TagLists {
  const lists = new Map<string, Map<string, number>>();
  const tagsOf = new Map<string, Set<string>>();
  const unlist = (tag: string, key: string): void => {
    const list = lists.get(tag);
    list?.delete(key);
    if (list?.size === 0) lists.delete(tag);
    const tags = tagsOf.get(key);
    tags?.delete(tag);
    if (tags?.size === 0) tagsOf.delete(key);
  };
  return {
    fits(tags, keys, now) {
      for (const tag of tags) {
        const list = lists.get(tag);
        if (!list) continue;
        let fresh = 0;
        for (const key of keys) if (!list.has(key)) fresh++;
        if (list.size + fresh <= max) continue;
        for (const [key, until] of list) if (until <= now) unlist(tag, key);
        if (list.size + fresh > max) return false;
      }
      return true;
    },
    list(tags, keys) {
      for (const tag of tags) {
        let list = lists.get(tag);
        if (!list) {
          list = new Map();
          lists.set(tag, list);
        }
        for (const { key, until } of keys) {
          list.set(key, until);
          let of = tagsOf.get(key);
          if (!of) {
            of = new Set();
            tagsOf.set(key, of);
          }
          of.add(tag);
        }
      }
    },
    take(tag) {
      const keys = [...(lists.get(tag)?.keys() ?? [])];
      for (const key of keys) unlist(tag, key);
      lists.delete(tag);
      return keys;
    },
    forget(key) {
      for (const tag of [...(tagsOf.get(key) ?? [])]) unlist(tag, key);
    },
    clear(prefixes) {
      for (const tag of [...lists.keys()]) {
        if (prefixes === undefined || prefixes.some((p) => tag.startsWith(p)))
          for (const key of [...(lists.get(tag)?.keys() ?? [])]) unlist(tag, key);
      }
    },
  };
}
