import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  CountBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import { BreakerOpenError, StoreTimeoutError } from '../errors.js';
import type { Emitter } from '../events.js';
import type { BreakerState, CacheStore } from '../types.js';

/*
 * The store's circuit breakers: after `failures` consecutive failed or timed-out store calls (while
 * most recent calls fail, see StoreHealth), store calls are skipped at once for `cooldown` ms (a miss,
 * a dropped write), then one call probes the store. The state machine is cockatiel's (its 3.x line:
 * CommonJS and Node 20); three things are ours:
 * - a call made while the probe runs is skipped too (cockatiel would queue it behind the probe, which
 *   would make a request wait on a store we already believe sick);
 * - a timeout while this process's own event loop ran late (StoreTimeoutError.processLate: a GC
 *   pause, a long synchronous task) is not the store's failure, and is not counted (but a probe that
 *   times out so fails: the store has not shown it is back);
 * - one breaker per part of the store (a Cluster master, see CacheStore.scopeOf): a dead node turns
 *   the cache off for its own keys, not for the healthy nodes' ones.
 */

export interface StoreBreaker {
  /** Runs a store call through the breaker; rejects with BreakerOpenError, without calling, while open. */
  run<T>(call: () => Promise<T>): Promise<T>;
  readonly state: BreakerState;
}

const NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

type Settings = { failures: number; cooldown: number };

// The calls whose outcomes are weighed beside the consecutive failures.
const RECENT_CALLS = 20;

/**
 * Opens after `failures` consecutive failures, and only while more than half of the recent calls
 * failed: a few timeouts in a row among many answers (a machine so busy that the store's answers
 * are read late) are not a sick store, while a store that is down fails every call and opens it.
 * cockatiel's two breakers, both asked.
 */
class StoreHealth implements IBreaker {
  private readonly consecutive: ConsecutiveBreaker;
  private readonly recent: CountBreaker;
  constructor(failures: number) {
    this.consecutive = new ConsecutiveBreaker(failures);
    const size = Math.max(RECENT_CALLS, failures);
    this.recent = new CountBreaker({ threshold: 0.5, size, minimumNumberOfCalls: failures });
  }
  get state(): unknown {
    return [this.consecutive.state, this.recent.state];
  }
  set state(value: unknown) {
    const [consecutive, recent] = value as [unknown, unknown];
    this.consecutive.state = consecutive as number;
    this.recent.state = recent;
  }
  success(state: CircuitState): void {
    this.consecutive.success();
    this.recent.success(state);
  }
  failure(state: CircuitState): boolean {
    const inARow = this.consecutive.failure();
    const mostly = this.recent.failure(state);
    return inARow && mostly;
  }
}

export function storeBreaker(settings: Settings, events: Emitter, node?: string): StoreBreaker {
  // Called only once a call failed, after `policy` exists.
  const counts = (error: Error): boolean =>
    !(error instanceof StoreTimeoutError && error.processLate && policy.state !== CircuitState.HalfOpen);
  const policy: CircuitBreakerPolicy = circuitBreaker(handleWhen(counts), {
    halfOpenAfter: settings.cooldown,
    breaker: new StoreHealth(settings.failures),
  });
  policy.onStateChange((state) =>
    events.emit('breaker', { target: 'store', state: NAMES[state], ...(node === undefined ? {} : { node }) }),
  );
  const open = (): BreakerOpenError =>
    new BreakerOpenError(`store breaker is open after ${settings.failures} consecutive store failures`);
  return {
    run<T>(call: () => Promise<T>): Promise<T> {
      if (policy.state === CircuitState.HalfOpen) return Promise.reject(open());
      return policy.execute(call).catch((error: unknown) => {
        throw error instanceof BrokenCircuitError ? open() : error;
      });
    },
    get state() {
      return NAMES[policy.state];
    },
  };
}

// Parts of a store remembered at the most: Cluster masters come and go (a failover promotes a replica
// at another address), and a breaker for a node no key maps to any more is only kept while it is recent.
const MAX_SCOPES = 64;
const WORST: readonly BreakerState[] = ['open', 'half-open', 'closed'];

/** A breaker per part of the store: one for a store that has no parts. */
export class StoreBreakers {
  private readonly byScope = new Map<string, StoreBreaker>();
  private single: StoreBreaker | undefined;

  constructor(
    private readonly settings: Settings,
    private readonly events: Emitter,
    private readonly store: CacheStore,
  ) {}

  /** The breaker of the part of the store `key` lives on. */
  for(key: string | undefined): StoreBreaker {
    let scope: string | undefined;
    try {
      scope = key === undefined ? undefined : this.store.scopeOf?.(key);
    } catch {
      scope = undefined; // the store does not know (yet): the store-wide breaker
    }
    if (scope === undefined) {
      this.single ??= storeBreaker(this.settings, this.events);
      return this.single;
    }
    let breaker = this.byScope.get(scope);
    if (!breaker) {
      if (this.byScope.size >= MAX_SCOPES) this.byScope.delete(this.byScope.keys().next().value as string);
      breaker = storeBreaker(this.settings, this.events, scope);
      this.byScope.set(scope, breaker);
    }
    return breaker;
  }

  /** The worst state of any part: open if one is open. */
  get state(): BreakerState {
    const states = new Set<BreakerState>([...this.byScope.values()].map((b) => b.state));
    if (this.single) states.add(this.single.state);
    return WORST.find((s) => states.has(s)) ?? 'closed';
  }
}
