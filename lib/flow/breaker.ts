import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { BreakerOpenError } from '../errors.js';
import type { Emitter } from '../events.js';
import type { BreakerState } from '../types.js';

/*
 * The store's circuit breaker: after `failures` consecutive failed or timed-out store calls, store
 * calls are skipped at once for `cooldown` ms (a miss, a dropped write), then one call probes the
 * store. The state machine is cockatiel's (its 3.x line: CommonJS and Node 20); two things are ours:
 * a call made while the probe runs is skipped too (cockatiel would queue it behind the probe, which
 * would make a request wait on a store we already believe sick), and the state as our events name it.
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

export function storeBreaker(settings: { failures: number; cooldown: number }, events: Emitter): StoreBreaker {
  const policy: CircuitBreakerPolicy = circuitBreaker(handleAll, {
    halfOpenAfter: settings.cooldown,
    breaker: new ConsecutiveBreaker(settings.failures),
  });
  policy.onStateChange((state) => events.emit('breaker', { target: 'store', state: NAMES[state] }));
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
