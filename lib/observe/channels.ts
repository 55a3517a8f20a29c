import * as diagnostics from 'node:diagnostics_channel';
import type { TracingChannel } from 'node:diagnostics_channel';
import { CHANNELS } from './channel-names.js';
import { BreakerOpenError, StoreBusyError, StoreTimeoutError } from '../errors.js';
import type {
  BreakerMessage,
  ChannelSource,
  ErrorMessage,
  RequestMessage,
  SkipMessage,
  StoreMessage,
  StoreOutcome,
  UpstreamMessage,
} from '../types.js';

/*
 * Publishing follows undici's and node-redis's way: tracing channels for what takes time (a span's
 * start runs in the caller's async context, so a tracer can bind to it), plain channels for events.
 * Every publisher asks `active()` first: a message is built only for a channel someone listens to,
 * which keeps the hit path as it was when nobody does (see bench/run.ts, "channels").
 */

type Traced<M extends object> = TracingChannel<unknown, M>;

const tracing = <M extends object>(name: string): Traced<M> => diagnostics.tracingChannel(name) as Traced<M>;

export const requestChannel = tracing<RequestMessage>(CHANNELS.request);
export const storeChannel = tracing<StoreMessage>(CHANNELS.store);
export const upstreamChannel = tracing<UpstreamMessage>(CHANNELS.upstream);

/** The plain channels, by the event name the Emitter knows them as. */
export const eventChannels = {
  breaker: diagnostics.channel(CHANNELS.breaker),
  skip: diagnostics.channel(CHANNELS.skip),
  error: diagnostics.channel(CHANNELS.error),
} as const;
export type ChannelEvent = keyof typeof eventChannels;
export type EventMessage = BreakerMessage | SkipMessage | ErrorMessage;

/** Whether anyone listens on a tracing channel (TracingChannel.hasSubscribers is Node >= 20.13). */
export function active(channel: TracingChannel<unknown, object>): boolean {
  return (
    channel.start.hasSubscribers ||
    channel.end.hasSubscribers ||
    channel.asyncStart.hasSubscribers ||
    channel.asyncEnd.hasSubscribers ||
    channel.error.hasSubscribers
  );
}

/**
 * Runs `run` as a traced operation: `start` before, `asyncEnd` after, `error` when it rejects. `done`
 * fills the message's answer fields before asyncEnd is published, whether it resolved or rejected.
 */
export function traced<T, M extends object>(
  channel: Traced<M>,
  message: M,
  run: () => Promise<T>,
  done: (message: M, value: T | undefined, error: unknown) => void,
): Promise<T> {
  return channel.tracePromise(async () => {
    let value: T | undefined;
    let failure: unknown;
    try {
      value = await run();
      return value;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      done(message, value, failure);
    }
  }, message);
}

function outcomeOf(error: unknown): StoreOutcome {
  if (error === undefined) return 'ok';
  if (error instanceof BreakerOpenError || error instanceof StoreBusyError) return 'skipped';
  return error instanceof StoreTimeoutError ? 'timeout' : 'error';
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  return value instanceof Uint8Array ? value.byteLength : 0;
}

/** A store call on the store channel (callers ask `active(storeChannel)` first). */
export function tracedStoreCall<T>(
  source: ChannelSource,
  op: StoreMessage['op'],
  key: string | undefined,
  keys: number,
  bytes: number,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const message: StoreMessage = { cache: source.cache, op, key, keys, bytes };
  return traced(storeChannel, message, call, (m, value, error) => {
    m.duration = performance.now() - started;
    m.outcome = outcomeOf(error);
    if (op === 'get' && error === undefined) {
      m.found = value !== null && value !== undefined;
      m.bytes = sizeOf(value);
    }
  });
}
