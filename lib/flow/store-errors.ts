import { BreakerOpenError } from '../errors.js';
import type { CacheErrorEvent, CacheOperation } from '../types.js';
import type { CacheContext } from './context.js';

/*
 * Store errors as events, collapsed. A store that fails every call (a Redis full under noeviction
 * refuses every write) would otherwise emit an event per request: thousands a second into a log.
 * The first error of a kind (operation and error name) is emitted at once; the ones like it in the
 * next second are counted, and emitted as one event (the last of them, with `repeated`) when the
 * second is over; and so on, a second at a time, while they go on. stats().storeErrors counts
 * every one. Calls the open breaker skipped are counted in storeSkipped and never emitted.
 */

const FLOOD_WINDOW_MS = 1_000;

/** Errors of one kind seen since the last event of that kind. */
export interface Flood {
  folded: number;
  last: CacheErrorEvent | undefined;
  timer: NodeJS.Timeout;
}

function kindOf(op: CacheOperation, error: unknown): string {
  return `${op}:${error instanceof Error ? error.name : typeof error}`;
}

function flush(ctx: CacheContext, kind: string): void {
  const flood = ctx.floods.get(kind);
  if (!flood) return;
  if (flood.folded === 0 || !flood.last) {
    ctx.floods.delete(kind);
    return;
  }
  ctx.events.emit('error', { ...flood.last, repeated: flood.folded });
  flood.folded = 0;
  flood.last = undefined;
  flood.timer = window(ctx, kind);
}

function window(ctx: CacheContext, kind: string): NodeJS.Timeout {
  // Unref'd: a pending count never keeps a process alive.
  return setTimeout(() => flush(ctx, kind), FLOOD_WINDOW_MS).unref();
}

/** Counts a store error, and emits it unless one of its kind was emitted in the last second (see above). */
export function storeError(ctx: CacheContext, op: CacheOperation, key: string | undefined, error: unknown): void {
  if (error instanceof BreakerOpenError) return;
  ctx.stats.storeErrors++;
  const kind = kindOf(op, error);
  const flood = ctx.floods.get(kind);
  if (flood) {
    flood.folded++;
    flood.last = { op, key, error };
    return;
  }
  ctx.events.emit('error', { op, key, error });
  ctx.floods.set(kind, { folded: 0, last: undefined, timer: window(ctx, kind) });
}

/** Stops counting (detach): what was folded and not yet emitted is dropped. */
export function stopFloods(ctx: CacheContext): void {
  for (const flood of ctx.floods.values()) clearTimeout(flood.timer);
  ctx.floods.clear();
}
