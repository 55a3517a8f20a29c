import type { StoredValue } from '../types.js';

/**
 * Internal fast path for in-process stores: a synchronous read. A store that has it answers
 * without a promise or a timer (it cannot be slow or down), and returns the same value object for
 * the same entry until it is rewritten, which lets the cache keep decoded entries beside it.
 */
export const SYNC_GET: unique symbol = Symbol('axios-stale-cache.syncGet');

export interface SyncReadable {
  [SYNC_GET]?: (key: string) => StoredValue | null;
}
