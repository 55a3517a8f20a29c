import type { Entry } from '../entry/codec.js';
import type { StaleCacheMeta } from '../types.js';
import type { CacheContext, CacheRequest } from './context.js';

/** What a leader hands the callers that waited on its upstream request. */
export type Outcome =
  | { kind: 'answer'; entry: Entry; meta: StaleCacheMeta }
  | { kind: 'error'; error: unknown; meta: StaleCacheMeta }
  /** The answer is not for sharing (private, no-store, a cookie, Vary: *): each waiter asks alone. */
  | { kind: 'alone' }
  /**
   * The leader's outcome came from its own limits (its timeout, maxContentLength, maxRedirects) or
   * its own cancellation: the waiters, which have their own, elect a new leader.
   */
  | { kind: 'retry' };

/** One upstream request that identical concurrent misses share. */
export interface Flight {
  /** performance.now() when it started. */
  readonly started: number;
  /**
   * performance.now() when it started or last showed progress (bytes of its answer arriving): a
   * flight silent for longer than flightTimeout is not joined, and its waiters stop relying on it.
   */
  readonly progressed: number;
  /**
   * True while it is a second request racing a silent flight that has not answered yet: it is
   * joined and waited on however silent it is (two requests for one URL are enough).
   */
  readonly racing: boolean;
  /** Invalidation sequence number at its start: an invalidated URL's old flight is not joined. */
  readonly epoch: number;
  /**
   * The leader's early answer (a stale answer at its softTimeout) while its upstream request goes on
   * in the background: a caller with a softTimeout of its own takes it at once instead of waiting.
   */
  readonly early: Outcome | undefined;
  /**
   * Adds a waiter, which takes the early answer too when `early` is set; the returned function
   * removes it (a waiter that gives up leaves nothing behind).
   */
  wait(waiter: (outcome: Outcome) => void, early?: boolean): () => void;
  /**
   * An answer or error that a flight racing this silent one got first: handed at once to the waiters
   * still relying on this one (each takes it only if it fits, see follow.ts), instead of each asking
   * again when its own wait runs out. Whichever answer lands first is everyone's.
   */
  offer(outcome: Extract<Outcome, { kind: 'answer' | 'error' }>): void;
}

/**
 * performance.now() until which a flight counts as alive: `silence` ms after its start or its last
 * sign of progress; for ever while it races a silent flight.
 */
export function aliveUntil(flight: Flight, silence: number): number {
  return flight.racing ? Number.POSITIVE_INFINITY : flight.progressed + silence;
}

/** The leader's side of a flight. */
export interface Leader {
  /** Hands the waiters that take one an early answer; the flight stays open for the final outcome. */
  early(outcome: Outcome): void;
  /** Publishes the final outcome to every waiter, once, and closes the flight. */
  publish(outcome: Outcome): void;
  /** The upstream request shows progress: bytes of its answer arrived. */
  progress(): void;
}

/** What the coalescing protocol needs of its flights: in process (Flights), and across the fleet (fleet.ts). */
export interface Coalescer {
  /** The flight to wait on for `key`, unless it has been silent for over `maxSilence` ms or `accept` refuses it. */
  join(key: string, maxSilence: number, accept?: (flight: Flight) => boolean): Flight | undefined;
  /** Registers a leader for `key`; with `silent`, one that races that silent flight (see Flight.racing). */
  lead(key: string, epoch: number, silent?: Flight): Leader;
  /** True while a flight for `key` has not published its outcome. */
  active(key: string): boolean;
}

/** In-flight upstream requests by primary key, in this process. */
export class Flights implements Coalescer {
  private readonly inFlight = new Map<string, Flight>();

  join(key: string, maxSilence: number, accept: (flight: Flight) => boolean = () => true): Flight | undefined {
    const flight = this.inFlight.get(key);
    if (!flight || performance.now() > aliveUntil(flight, maxSilence) || !accept(flight)) return undefined;
    return flight;
  }

  /** Registers a leader (replacing a flight nobody may join any more). */
  lead(key: string, epoch: number, silent?: Flight): Leader {
    let racing = silent !== undefined;
    silent?.wait(() => {
      racing = false;
    });
    // Each waiter, and whether it takes an early answer.
    const waiters = new Map<(outcome: Outcome) => void, boolean>();
    let early: Outcome | undefined;
    const started = performance.now();
    let progressed = started;
    const flight: Flight = {
      started,
      get progressed() {
        return progressed;
      },
      get racing() {
        return racing;
      },
      epoch,
      get early() {
        return early;
      },
      wait(waiter, takesEarly = false) {
        waiters.set(waiter, takesEarly);
        return () => waiters.delete(waiter);
      },
      offer(outcome) {
        if (done) return;
        for (const waiter of [...waiters.keys()]) {
          waiters.delete(waiter);
          waiter(outcome);
        }
      },
    };
    this.inFlight.set(key, flight);
    let done = false;
    return {
      early: (outcome) => {
        if (done || early) return;
        early = outcome;
        for (const [waiter, takesEarly] of waiters) {
          if (!takesEarly) continue;
          waiters.delete(waiter);
          waiter(outcome);
        }
      },
      progress: () => {
        progressed = performance.now();
      },
      publish: (outcome) => {
        if (done) return;
        done = true;
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
        for (const waiter of waiters.keys()) waiter(outcome);
        waiters.clear();
        if (silent && (outcome.kind === 'answer' || outcome.kind === 'error')) silent.offer(outcome);
      },
    };
  }

  active(key: string): boolean {
    return this.inFlight.has(key);
  }

  get size(): number {
    return this.inFlight.size;
  }
}

/**
 * The flight this request may join for its key: not silent for over `maxSilence` ms, not overtaken
 * by an invalidation of its URL, and accepted by `accept`.
 */
export function flightFor(
  ctx: CacheContext,
  req: CacheRequest,
  maxSilence: number,
  accept: (flight: Flight) => boolean = () => true,
): Flight | undefined {
  return ctx.flights.join(
    req.keys.primary,
    maxSilence,
    (flight) => ctx.invalidations.joinable(req.urlDigest, flight.epoch) && accept(flight),
  );
}
