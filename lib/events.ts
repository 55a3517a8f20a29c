import { eventChannels, type ChannelEvent } from './observe/channels.js';
import type { CacheEventName, CacheEvents, ChannelSource } from './types.js';

type Listener<E extends CacheEventName> = (info: CacheEvents[E]) => void;

/**
 * A typed emitter that never throws into a request: unlike node's EventEmitter, an 'error' with no
 * listener is dropped, and a listener that throws is ignored (the cache must not fail a request).
 */
export class Emitter {
  private readonly listeners = new Map<CacheEventName, Set<Listener<never>>>();

  /** `source`: what messages on the diagnostics channels name as their cache. */
  constructor(private readonly source: ChannelSource) {}

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

  /** Whether anyone hears the event: a listener, or a subscriber of its diagnostics channel. */
  has(event: CacheEventName): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0 || channelOf(event)?.hasSubscribers === true;
  }

  emit<E extends CacheEventName>(event: E, info: CacheEvents[E]): void {
    const channel = channelOf(event);
    if (channel?.hasSubscribers) channel.publish({ cache: this.source.cache, ...info });
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

function channelOf(event: CacheEventName): (typeof eventChannels)[ChannelEvent] | undefined {
  return event === 'breaker' || event === 'skip' || event === 'error' ? eventChannels[event] : undefined;
}
