import type { CacheContext } from '../flow/context.js';
import { deleteTagged } from '../flow/store-io.js';
import { tagKey } from '../http/key.js';
import { isTag } from '../http/tags.js';

/**
 * Removes every entry written with one of `tags` (both tiers, every variant), in the store, for every
 * process sharing it; answers in flight here that carry one are not written. Bounded by storeTimeout:
 * rejects when the store is slow, down, or has no tags.
 */
export async function invalidateTags(ctx: CacheContext, tags: string | ReadonlyArray<string>): Promise<void> {
  const list: unknown = typeof tags === 'string' ? [tags] : tags;
  if (!Array.isArray(list) || !list.every(isTag)) {
    throw new TypeError(
      'axios-stale-cache: invalidateTags() takes a tag or an array of tags (strings of 1 to 256 printable characters)',
    );
  }
  const { store, primaryKeyPrefix } = ctx.opts;
  if (!store.deleteTagged) throw new Error('axios-stale-cache: this store has no tags (no setTagged, deleteTagged)');
  if (list.length === 0) return;
  ctx.invalidations.invalidateTags(list);
  await deleteTagged(
    ctx,
    list.map((tag) => tagKey(primaryKeyPrefix, tag)),
  );
}
