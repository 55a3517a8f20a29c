import type { Entry } from './entry.js';
import type { StaleCacheMeta } from './types.js';

/** What a leader hands the callers that waited on its upstream request. */
export type Outcome =
  | { kind: 'answer'; entry: Entry; meta: StaleCacheMeta }
  | { kind: 'error'; error: unknown; response: Entry | undefined; meta: StaleCacheMeta }
  /** The answer is not for sharing (private, no-store, unstorable body): each waiter asks alone. */
  | { kind: 'alone' }
  /** The leader was cancelled by its own caller: the waiters elect a new leader. */
  | { kind: 'retry' };

/** In-flight upstream requests by primary key: concurrent identical misses share one. */
export class Flights {
  private readonly inFlight = new Map<string, Promise<Outcome>>();

  join(key: string): Promise<Outcome> | undefined {
    return this.inFlight.get(key);
  }

  /** Registers a leader; the returned function publishes its outcome exactly once. */
  lead(key: string): (outcome: Outcome) => void {
    let publish!: (outcome: Outcome) => void;
    const flight = new Promise<Outcome>((resolve) => (publish = resolve));
    this.inFlight.set(key, flight);
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      publish(outcome);
    };
  }

  get size(): number {
    return this.inFlight.size;
  }
}
