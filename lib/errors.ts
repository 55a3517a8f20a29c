/** Every error class the cache raises or reports (in `error` events), in one place. */

/** A stored value that is not an intact entry of this version, or belongs to another key: a miss. */
export class EntryError extends Error {
  override name = 'EntryError';
}

/** A store call that took longer than `storeTimeout`: a miss (reads), a dropped write, a rejected invalidate(). */
export class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError';
  /**
   * This process's event loop ran late at the deadline (a GC pause, a long synchronous task, a busy
   * machine): the answer may have been there, unread. Such a timeout says nothing about the store,
   * and the store breaker does not count it.
   */
  readonly processLate: boolean;
  constructor(message: string, processLate = false) {
    super(message);
    this.processLate = processLate;
  }
}

/** A store call not made because too many earlier ones are still unanswered. */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
}

/** A store call not made because the store breaker is open (see `storeBreaker`): a miss, a dropped write. */
export class BreakerOpenError extends Error {
  override name = 'BreakerOpenError';
}

/** The Redis client is not connected (or reconnecting): the call fails at once instead of queueing. */
export class RedisNotReadyError extends Error {
  override name = 'RedisNotReadyError';
  constructor() {
    super('Redis client is not ready (not connected, or reconnecting): counted as a miss, nothing was queued');
  }
}
