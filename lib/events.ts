import type { CacheEventName, CacheEvents } from './types.js';

type Listener<E extends CacheEventName> = (info: CacheEvents[E]) => void;

/**
 * A typed emitter that never throws into a request: unlike node's EventEmitter, an 'error' with no
 * listener is dropped, and a listener that throws is ignored (the cache must not fail a request).
 */
export class Emitter {
  private readonly listeners = new Map<CacheEventName, Set<Listener<never>>>();

  on<E extends CacheEventName>(event: E, listener: Listener<E>): void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
  }

  off<E extends CacheEventName>(event: E, listener: Listener<E>): void {
    this.listeners.get(event)?.delete(listener as Listener<never>);
  }

  has(event: CacheEventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends CacheEventName>(event: E, info: CacheEvents[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<E>)(info);
      } catch {
        // A broken listener is the application's bug; it must not fail the request it observes.
      }
    }
  }
}
